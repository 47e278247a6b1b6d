from django.urls import path

from . import dashboard_views, printing_views, views

app_name = "evaluations"

urlpatterns = [
    path("", views.index, name="index"),
    path("campaigns/", views.campaign_list, name="campaign_list"),
    path("campaigns/open/", views.campaign_open, name="campaign_open"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign_detail"),
    path("campaigns/<int:pk>/close/", views.campaign_close, name="campaign_close"),
    path("campaigns/<int:pk>/request/", views.request_create, name="request_create"),
    path("inbox/", views.inbox, name="inbox"),
    path("cells/<int:cell_pk>/sittings/new/", views.sitting_create, name="sitting_create"),
    path("cells/<int:cell_pk>/certify/", views.certify_cell, name="certify_cell"),
    path("requests/<int:pk>/", views.request_detail, name="request_detail"),
    path("requests/<int:pk>/comment/", views.comment_edit, name="comment_edit"),
    path("requests/<int:pk>/certify/", views.comment_certify, name="comment_certify"),
    path("requests/<int:pk>/grade/", views.grade_record, name="grade_record"),
    # The compliance dashboard, its spreadsheet and the yearly report (dashboard_views).
    path("dashboard/", dashboard_views.dashboard_index, name="dashboard_index"),
    path("dashboard/<int:pk>/", dashboard_views.dashboard_view, name="dashboard"),
    path(
        "dashboard/<int:pk>/export.xlsx", dashboard_views.dashboard_export, name="dashboard_export"
    ),
    path(
        "dashboard/<int:pk>/report.pdf", dashboard_views.dashboard_report, name="dashboard_report"
    ),
    # Printed sheets and print jobs (printing_views).
    path("requests/<int:pk>/sheet.pdf", printing_views.sheet_pdf, name="sheet_pdf"),
    path("verify/<str:code>/", printing_views.sheet_verify, name="sheet_verify"),
    path("print/", printing_views.printjob_list, name="printjob_list"),
    path("print/new/", printing_views.printjob_new, name="printjob_new"),
    path("print/<int:pk>/", printing_views.printjob_detail, name="printjob_detail"),
    path("print/<int:pk>/retry/", printing_views.printjob_retry, name="printjob_retry"),
    path(
        "print/<int:pk>/files/<int:position>.pdf",
        printing_views.printjob_file,
        name="printjob_file",
    ),
]
