"""Third-party apps under Vietnamese names in the administration.

Their own catalogues have no Vietnamese (the project's catalogue translates their model and field
names), and django-otp names its TOTP model in plain English, outside gettext.
"""

from axes.apps import AppConfig as AxesAppConfig
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.apps import DefaultConfig as TotpAppConfig


class AxesConfig(AxesAppConfig):
    verbose_name = _("Login protection")


class TotpConfig(TotpAppConfig):
    verbose_name = _("Two-factor login")

    def ready(self):
        super().ready()
        from django_otp.plugins.otp_totp.models import TOTPDevice

        TOTPDevice._meta.verbose_name = _("authenticator app")
        TOTPDevice._meta.verbose_name_plural = _("authenticator apps")
