"""Every write to residence meetings and attendance: atomic, audited, refusing bad input.

Each service that touches a meeting's list locks the meeting row first, so two secretaries
saving at once, a member announcing an absence and a confirmation all take turns: a save that
comes after the confirmation sees the confirmed state and is refused. Refusals raise
``PermissionDenied`` (wrong role) or ``ValidationError`` (wrong state or input) with a message
saying what to do, and leave the database as it was.
"""

from ._transitions import ALLOWED_TRANSITIONS
from .attendance import (
    attendance_announce_absence,
    attendance_correct,
    attendance_record,
    attendance_withdraw_absence,
    meeting_confirm,
)
from .labels import register_meeting_audit_labels
from .nonparticipation import nonparticipation_acknowledge, nonparticipation_report
from .scheduling import meeting_cancel, meeting_invite_new, meeting_move, meeting_schedule

__all__ = [
    "ALLOWED_TRANSITIONS",
    "attendance_announce_absence",
    "attendance_correct",
    "attendance_record",
    "attendance_withdraw_absence",
    "meeting_cancel",
    "meeting_confirm",
    "meeting_invite_new",
    "meeting_move",
    "meeting_schedule",
    "nonparticipation_acknowledge",
    "nonparticipation_report",
    "register_meeting_audit_labels",
]
