"""Signed documents, in the evaluations namespace (included by evaluations/urls.py). ``kind``
is a kind of signed document (kinds.py): "sheet" (pk: the comment request) or "letter" (pk:
the referral)."""

from django.urls import path

from . import views

urlpatterns = [
    path("signatures/<str:kind>/<int:pk>/", views.document_page, name="signed_document"),
    path("signatures/<str:kind>/<int:pk>/sign/", views.document_sign, name="signed_document_sign"),
    path(
        "signatures/<str:kind>/<int:pk>/upload/",
        views.document_upload,
        name="signed_document_upload",
    ),
    path(
        "signatures/<str:kind>/<int:pk>/check/",
        views.document_check,
        name="signed_document_check",
    ),
    path(
        "signatures/<str:kind>/<int:pk>/document.pdf",
        views.document_pdf,
        name="signed_document_pdf",
    ),
    # What the QR code of every printed sheet and signed letter opens.
    path("verify/<str:code>/", views.sheet_verify, name="sheet_verify"),
]
