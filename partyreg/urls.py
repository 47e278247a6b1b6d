from django.contrib import admin
from django.urls import include, path

from members.views import home

from . import views

urlpatterns = [
    path("", home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("members/", include("members.urls")),
    path("residence/", include("residence.urls")),
    path("admin/", admin.site.urls),
]
