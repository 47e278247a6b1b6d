from django.conf import settings
from django.contrib.auth import views as auth_views
from django.db import connection
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from .forms import LoginForm

DEMO_LOGINS = (
    ("khoi", _("Supervising bloc staff")),
    ("coquan", _("Secretary of a grassroots organisation")),
    ("phuong", _("Commune committee officer")),
    ("chibo", _("Residence cell secretary")),
    ("dangvien", _("Party member")),
    ("admin", _("Site administrator")),
)


def demo_logins_available() -> bool:
    if not settings.PARTYREG["SHOW_DEMO_LOGINS"]:
        return False
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(username="coquan", is_active=True).exists()


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if demo_logins_available():
            context["demo_logins"] = DEMO_LOGINS
        return context


@never_cache
def healthz(request):
    """For load balancers and compose health checks: the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")
