"""The compliance dashboard, its spreadsheet and the yearly report, in the evaluations namespace
(included by evaluations/urls.py)."""

from django.urls import path

from . import views

urlpatterns = [
    path("dashboard/", views.dashboard_index, name="dashboard_index"),
    path("dashboard/<int:pk>/", views.dashboard_view, name="dashboard"),
    path("dashboard/<int:pk>/export.xlsx", views.dashboard_export, name="dashboard_export"),
    path("dashboard/<int:pk>/report.pdf", views.dashboard_report, name="dashboard_report"),
]
