from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = _("Organisations and members")

    def ready(self):
        from partyreg.templatetags.partyreg_tags import register_audit_labels

        register_audit_labels(
            actions={
                "signer.add": _("Signing certificate given to the committee"),
                "signer.remove": _("Signing certificate withdrawn from the committee"),
                "signing.switch": _("Electronic signing switched"),
            },
            fields={
                "organisation": _("committee"),
                "credential": _("signing certificate"),
                "enabled": _("signs electronically"),
                "active": _("active"),
            },
        )
