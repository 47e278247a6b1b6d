from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartyregConfig(AppConfig):
    name = "partyreg"
    verbose_name = _("Infrastructure")

    def ready(self):
        from . import checks  # noqa: F401  (registers the system checks)
