"""The bell and the notification list, mounted at /notifications/ by partyreg/urls.py."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.notification_list, name="notification_list"),
    path("badge/", views.notification_badge, name="notification_badge"),
    path("<int:pk>/", views.notification_open, name="notification_open"),
    path("read/", views.notification_mark_all_read, name="notification_read_all"),
    path("test/", views.notification_send_test, name="notification_send_test"),
    path("email/", views.notification_preferences, name="notification_preferences"),
]
