from django.urls import path

from . import views
from .spreadsheets import views as spreadsheet_views

app_name = "members"

urlpatterns = [
    path("", views.member_list_view, name="member_list"),
    path("new/", views.member_create, name="member_create"),
    path("<int:pk>/", views.member_detail, name="member_detail"),
    path("<int:pk>/edit/", views.member_edit, name="member_edit"),
    path("<int:pk>/views/", views.member_views, name="member_views"),
    path("import/", spreadsheet_views.member_import, name="member_import"),
    path(
        "import/<int:pk>/",
        spreadsheet_views.member_import_preview,
        name="member_import_preview",
    ),
    path(
        "import/template.xlsx",
        spreadsheet_views.member_import_template,
        name="member_import_template",
    ),
    path("export.xlsx", spreadsheet_views.member_export, name="member_export"),
    path("organisations/", views.organisation_tree, name="organisation_tree"),
    path("organisations/<int:pk>/", views.organisation_detail, name="organisation_detail"),
    path("organisations/<int:pk>/move/", views.organisation_move, name="organisation_move"),
    path("organisations/<int:pk>/areas/", views.residence_area_add, name="residence_area_add"),
    path("areas/<int:pk>/remove/", views.residence_area_remove, name="residence_area_remove"),
]
