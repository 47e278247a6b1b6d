from django.contrib import admin
from django.urls import include, path

from evaluations import home
from evaluations.mergers import organisation_merge
from members import views as member_views

from . import twofactor, views

urlpatterns = [
    path("", home.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/two-factor/", twofactor.two_factor_setup, name="two_factor_setup"),
    path("accounts/two-factor/verify/", twofactor.two_factor_verify, name="two_factor_verify"),
    path("accounts/", include("django.contrib.auth.urls")),
    # A merger carries rows of every app along, so the view gets the top-level service.
    path(
        "members/organisations/<int:pk>/merge/",
        member_views.organisation_merge,
        {"merge": organisation_merge},
        name="organisation_merge",
    ),
    path("notifications/", include("partyreg.notifications.urls")),
    path("reminders/", include("evaluations.reminders.urls")),
    path("members/", include("members.urls")),
    path("residence/", include("residence.urls")),
    path("evaluations/", include("evaluations.urls")),
    path("admin/", admin.site.urls),
]
