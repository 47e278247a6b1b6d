"""The one place a meeting changes state, and the helpers every meeting service shares."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from partyreg.audit import audited_update, snapshot

from .. import permissions
from ..models import Attendance, Meeting

State = Meeting.State
Status = Attendance.Status

# Which state may follow which; everything else is refused.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    State.SCHEDULED: frozenset({State.RECORDED, State.CANCELLED}),
    State.RECORDED: frozenset({State.CONFIRMED, State.CANCELLED}),
    State.CONFIRMED: frozenset(),
    State.CANCELLED: frozenset(),
}
MEETING_AUDIT_FIELDS = ("state", "kind", "held_on", "starts_at", "place", "agenda")
REASON_MAX = 500


def _meeting_snapshot(meeting: Meeting) -> dict:
    values = snapshot(meeting, MEETING_AUDIT_FIELDS)
    # The audit log stores JSON, which has no time of day.
    values["starts_at"] = meeting.starts_at.strftime("%H:%M") if meeting.starts_at else None
    return values


def _user(actor):
    return actor if actor is not None and actor.is_authenticated else None


def _lock(meeting: Meeting) -> Meeting:
    return Meeting.objects.select_for_update().select_related("residence_cell").get(pk=meeting.pk)


def _refuse_role(actor, meeting: Meeting) -> None:
    if not permissions.can_manage_meeting(actor, meeting):
        raise PermissionDenied(
            _("Only the secretary or an officer of %(cell)s (or its commune) can do this.")
            % {"cell": meeting.residence_cell}
        )


def _refuse_locked(meeting: Meeting) -> None:
    if meeting.state == State.CONFIRMED:
        raise ValidationError(
            _(
                "The attendance list of %(meeting)s was confirmed and is locked. To change a mark, "
                "open the member's row and record a correction with its reason."
            )
            % {"meeting": meeting},
            code="locked",
        )
    if meeting.state == State.CANCELLED:
        raise ValidationError(
            _("%(meeting)s was cancelled; nothing more can be recorded on it.")
            % {"meeting": meeting},
            code="cancelled",
        )


def _move(*, actor, meeting: Meeting, to: str, action: str, note: str = "", **fields) -> Meeting:
    """The one place a meeting changes state (the caller holds the lock)."""
    if to not in ALLOWED_TRANSITIONS[meeting.state]:
        _refuse_locked(meeting)
        raise ValidationError(
            _("%(meeting)s is “%(state)s”; reload the page to see what was done.")
            % {"meeting": meeting, "state": meeting.get_state_display().lower()},
            code="wrong_state",
        )
    return audited_update(
        actor=actor,
        obj=meeting,
        values={"state": to, **fields},
        take_snapshot=_meeting_snapshot,
        action=action,
        note=note,
    )


def _mark(row: Attendance) -> dict:
    """A row's mark for the audit log, under names no other table uses."""
    return {
        "attendance": str(row.get_status_display()),
        "absence_reason": row.reason,
        "absence_notice": row.absence_notice,
    }


def _invite(meeting: Meeting, referrals) -> list[Attendance]:
    now = timezone.now()
    rows = [
        Attendance(meeting=meeting, member=r.member, referral=r, invited_at=now) for r in referrals
    ]
    Attendance.objects.bulk_create(rows, batch_size=500)
    return rows
