"""The reminder settings page, mounted at /reminders/ by partyreg/urls.py (no namespace)."""

from django.urls import path

from . import views

urlpatterns = [
    path("settings/", views.reminder_settings, name="reminder_settings"),
]
