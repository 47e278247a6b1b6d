"""Printed sheets and print jobs, in the evaluations namespace (included by
evaluations/urls.py). The verification page the sheets' QR code opens is evaluations.signatures'."""

from django.urls import path

from . import views

urlpatterns = [
    path("requests/<int:pk>/sheet.pdf", views.sheet_pdf, name="sheet_pdf"),
    path("print/", views.printjob_list, name="printjob_list"),
    path("print/new/", views.printjob_new, name="printjob_new"),
    path("print/<int:pk>/", views.printjob_detail, name="printjob_detail"),
    path("print/<int:pk>/retry/", views.printjob_retry, name="printjob_retry"),
    path(
        "print/<int:pk>/files/<int:position>.pdf",
        views.printjob_file,
        name="printjob_file",
    ),
]
