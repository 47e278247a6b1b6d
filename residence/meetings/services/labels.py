"""Readable names of the meeting services' audit actions and fields."""


def register_meeting_audit_labels() -> None:
    """Readable names of this module's audit actions and fields (called from apps.ready)."""
    from django.utils.translation import gettext_lazy

    from partyreg.templatetags.partyreg_tags import register_audit_labels

    register_audit_labels(
        actions={
            "meeting.schedule": gettext_lazy("Meeting scheduled"),
            "meeting.record": gettext_lazy("Attendance recording started"),
            "meeting.confirm": gettext_lazy("Attendance list confirmed"),
            "meeting.cancel": gettext_lazy("Meeting cancelled"),
            "meeting.move": gettext_lazy("Meeting moved"),
            "attendance.invite": gettext_lazy("Invited to a residence meeting"),
            "attendance.record": gettext_lazy("Attendance recorded"),
            "attendance.correct": gettext_lazy("Attendance corrected"),
            "attendance.announce_absence": gettext_lazy("Absence announced"),
            "attendance.withdraw_absence": gettext_lazy("Announced absence taken back"),
            "nonparticipation.report": gettext_lazy("Non-participation reported to the workplace"),
            "nonparticipation.acknowledge": gettext_lazy("Non-participation report acknowledged"),
        },
        fields={
            "starts_at": gettext_lazy("time"),
            "place": gettext_lazy("place"),
            "agenda": gettext_lazy("agenda"),
            "attendance": gettext_lazy("attendance"),
            "absence_reason": gettext_lazy("reason for absence"),
            "absence_notice": gettext_lazy("absence announced by the member"),
            "meetings_missed": gettext_lazy("meetings missed without reason"),
        },
    )
