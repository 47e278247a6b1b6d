from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResidenceConfig(AppConfig):
    name = "residence"
    verbose_name = _("Residence")

    def ready(self):
        from partyreg.templatetags.partyreg_tags import register_audit_labels

        register_audit_labels(
            actions={
                "referral.issue": _("Referral issued"),
                "referral.receive": _("Referral received"),
                "referral.assign": _("Assigned to a residence cell"),
                "referral.report": _("Presented to the residence cell"),
                "referral.close": _("Referral closed"),
                "referral.handover": _("Referral handed to the new workplace"),
                "change.record": _("Change recorded and notified"),
                "change.acknowledge": _("Change notice acknowledged"),
            },
            fields={
                "state": _("state"),
                "issuing_org": _("workplace organisation"),
                "commune": _("commune or ward committee"),
                "residence_cell": _("residence cell"),
                "exempt_activity": _("exempt from residence activity"),
                "due_on": _("report due on"),
                "presented_on": _("presented on"),
                "close_reason": _("reason for closing"),
                "effective_on": _("effective on"),
                "acknowledged_at": _("acknowledged at"),
            },
        )
        from .meetings.services import register_meeting_audit_labels

        register_meeting_audit_labels()
