from django.contrib import admin
from django.urls import include, path

from evaluations.mergers import organisation_merge
from members import views as member_views

from . import views

urlpatterns = [
    path("", member_views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    # A merger carries rows of every app along, so the view gets the top-level service.
    path(
        "members/organisations/<int:pk>/merge/",
        member_views.organisation_merge,
        {"merge": organisation_merge},
        name="organisation_merge",
    ),
    path("members/", include("members.urls")),
    path("residence/", include("residence.urls")),
    path("evaluations/", include("evaluations.urls")),
    path("admin/", admin.site.urls),
]
