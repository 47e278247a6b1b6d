"""Scheduling a meeting, inviting members placed since, moving and cancelling it; the
invitees are told of each (``handovers``)."""

import copy
from datetime import date, time

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from members.models import Organisation
from partyreg.audit import audit_record, audited_update, changes_between

from .. import handovers, permissions, selectors
from ..models import Attendance, Meeting
from ._transitions import (
    REASON_MAX,
    State,
    Status,
    _invite,
    _lock,
    _meeting_snapshot,
    _move,
    _refuse_locked,
    _refuse_role,
    _user,
)

# --- Scheduling ---------------------------------------------------------------------------------


@transaction.atomic
def meeting_schedule(
    *,
    actor,
    residence_cell: Organisation,
    held_on: date,
    starts_at: time,
    place: str,
    agenda: str,
    kind: str = Meeting.Kind.REGULAR,
) -> Meeting:
    """Schedules a meeting and invites every member assigned to the cell who takes part."""
    # The cell row is locked so an assignment racing the invitation waits for it or follows it.
    cell = Organisation.objects.select_for_update().get(pk=residence_cell.pk)
    if not permissions.can_manage_meetings(actor, cell):
        raise PermissionDenied(
            _(
                "Only the secretary or an officer of %(cell)s (or its commune) can schedule its "
                "meetings."
            )
            % {"cell": cell}
        )
    if not cell.is_active:
        raise ValidationError(_("%(cell)s is no longer active.") % {"cell": cell}, code="inactive")
    errors = {}
    if kind not in Meeting.Kind.values:
        errors["kind"] = _("Choose the kind of meeting.")
    if not (place or "").strip():
        errors["place"] = _("Say where the meeting takes place.")
    if not (agenda or "").strip():
        errors["agenda"] = _("Write the agenda, one item a line.")
    if held_on is None:
        errors["held_on"] = _("Give the date of the meeting.")
    if starts_at is None:
        errors["starts_at"] = _("Give the time the meeting starts.")
    if errors:
        raise ValidationError(errors)
    meeting = Meeting.objects.create(
        residence_cell=cell,
        kind=kind,
        held_on=held_on,
        starts_at=starts_at,
        place=place.strip(),
        agenda=agenda.strip(),
        created_by=_user(actor),
    )
    invited = _invite(meeting, selectors.eligible_referrals(cell))
    audit_record(
        actor=actor,
        action="meeting.schedule",
        target=meeting,
        changes=changes_between({}, _meeting_snapshot(meeting)),
        note=_("%(count)d members invited.") % {"count": len(invited)},
    )
    handovers.meeting_invited(actor=actor, meeting=meeting)
    return meeting


@transaction.atomic
def meeting_invite_new(*, actor, meeting: Meeting) -> list[Attendance]:
    """Adds the members assigned to the cell since the meeting was scheduled."""
    locked = _lock(meeting)
    _refuse_role(actor, locked)
    _refuse_locked(locked)
    added = _invite(locked, selectors.uninvited_referrals(locked))
    for row in added:
        audit_record(
            actor=actor,
            action="attendance.invite",
            target=locked,
            subject=row.member,
            changes={"attendance": [None, str(Status.INVITED.label)]},
            note=str(locked),
        )
    if added and locked.held_on >= timezone.localdate():
        handovers.meeting_invited(
            actor=actor, meeting=locked, member_ids=[row.member_id for row in added]
        )
    return added


def _check_move(meeting: Meeting, held_on: date, starts_at: time, place: str) -> None:
    if meeting.state != State.SCHEDULED:
        raise ValidationError(
            _("Attendance has been recorded for %(meeting)s; it can no longer be moved.")
            % {"meeting": meeting},
            code="recorded",
        )
    errors = {}
    if held_on is None:
        errors["held_on"] = _("Give the date of the meeting.")
    elif held_on < timezone.localdate():
        errors["held_on"] = _("A meeting can be moved to today or a later day only.")
    if starts_at is None:
        errors["starts_at"] = _("Give the time the meeting starts.")
    if not place:
        errors["place"] = _("Say where the meeting takes place.")
    if errors:
        raise ValidationError(errors)
    if (held_on, starts_at, place) == (meeting.held_on, meeting.starts_at, meeting.place):
        raise ValidationError(
            _("This is the date, time and place already set; change one of them."),
            code="unchanged",
        )


@transaction.atomic
def meeting_move(*, actor, meeting: Meeting, held_on: date, starts_at: time, place: str) -> Meeting:
    """Moves a scheduled meeting to another day, time or place; every invitee is told."""
    locked = _lock(meeting)
    _refuse_role(actor, locked)
    _refuse_locked(locked)
    place = (place or "").strip()
    _check_move(locked, held_on, starts_at, place)
    before = copy.copy(locked)
    moved = audited_update(
        actor=actor,
        obj=locked,
        values={
            "held_on": held_on,
            "starts_at": starts_at,
            "place": place[:255],
            "sequence": locked.sequence + 1,
        },
        take_snapshot=_meeting_snapshot,
        action="meeting.move",
    )
    handovers.meeting_moved(actor=actor, meeting=moved, before=before)
    return moved


@transaction.atomic
def meeting_cancel(*, actor, meeting: Meeting, reason: str) -> Meeting:
    locked = _lock(meeting)
    _refuse_role(actor, locked)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the meeting is cancelled.")})
    cancelled = _move(
        actor=actor,
        meeting=locked,
        to=State.CANCELLED,
        action="meeting.cancel",
        note=reason,
        cancel_reason=reason[:REASON_MAX],
        cancelled_at=timezone.now(),
        cancelled_by=_user(actor),
        sequence=locked.sequence + 1,
    )
    if cancelled.held_on >= timezone.localdate():
        handovers.meeting_cancelled(actor=actor, meeting=cancelled)
    return cancelled
