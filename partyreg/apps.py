from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartyregConfig(AppConfig):
    name = "partyreg"
    verbose_name = _("Infrastructure")

    def ready(self):
        # The system checks register themselves; twofactor decides at login whether a code
        # is needed.
        from . import checks, twofactor  # noqa: F401
        from .signing.models import AUDIT_ACTIONS, AUDIT_FIELDS
        from .templatetags.partyreg_tags import register_audit_labels

        register_audit_labels(actions=AUDIT_ACTIONS, fields=AUDIT_FIELDS)
