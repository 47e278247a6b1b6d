"""Attendance: the member's advance notice, and recording, confirming and correcting the list."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from members.models import Member
from partyreg.audit import audit_record, changes_between

from .. import handovers, permissions
from ..models import Attendance, AttendanceCorrection, Meeting
from ._transitions import (
    REASON_MAX,
    State,
    Status,
    _lock,
    _mark,
    _move,
    _refuse_locked,
    _refuse_role,
    _user,
)

# --- The member's advance notice ----------------------------------------------------------------


@transaction.atomic
def attendance_announce_absence(*, actor, attendance: Attendance, reason: str) -> Attendance:
    """The invited member says in advance they will be absent, and why."""
    if not permissions.can_announce_absence(actor, attendance):
        raise PermissionDenied(_("Only the invited member can announce their own absence."))
    meeting = _lock(attendance.meeting)
    _refuse_locked(meeting)
    if meeting.held_on < timezone.localdate():
        raise ValidationError(
            _(
                "The meeting has already taken place; ask the cell secretary to record why you "
                "were absent."
            ),
            code="past",
        )
    row = Attendance.objects.select_related("member").get(pk=attendance.pk)
    if row.is_final:
        raise ValidationError(
            _(
                "The secretary has already recorded your attendance as “%(status)s”; "
                "ask them to change it."
            )
            % {"status": row.get_status_display().lower()},
            code="recorded",
        )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why you will be absent.")})
    before = _mark(row)
    row.status = Status.WILL_BE_ABSENT
    row.absence_notice = reason[:REASON_MAX]
    row.absence_notice_at = timezone.now()
    row.save(update_fields=["status", "absence_notice", "absence_notice_at"])
    audit_record(
        actor=actor,
        action="attendance.announce_absence",
        target=meeting,
        subject=row.member,
        changes=changes_between(before, _mark(row)),
        note=str(meeting),
    )
    row.meeting = meeting
    handovers.absence_announced(actor=actor, attendance=row)
    return row


@transaction.atomic
def attendance_withdraw_absence(*, actor, attendance: Attendance) -> Attendance:
    """The member takes back an announced absence: they will come after all."""
    if not permissions.can_announce_absence(actor, attendance):
        raise PermissionDenied(_("Only the invited member can change their own announcement."))
    meeting = _lock(attendance.meeting)
    _refuse_locked(meeting)
    row = Attendance.objects.select_related("member").get(pk=attendance.pk)
    if row.status != Status.WILL_BE_ABSENT:
        raise ValidationError(
            _("There is no announced absence to take back; reload the page."), code="wrong_state"
        )
    row.status = Status.INVITED
    row.save(update_fields=["status"])
    audit_record(
        actor=actor,
        action="attendance.withdraw_absence",
        target=meeting,
        subject=row.member,
        changes={"attendance": [str(Status.WILL_BE_ABSENT.label), str(Status.INVITED.label)]},
        note=str(meeting),
    )
    return row


# --- Recording, confirming, correcting ----------------------------------------------------------


def _clean_mark(member: Member, status: str, reason: str) -> tuple[str, str]:
    reason = (reason or "").strip()
    if status not in Attendance.FINAL_STATUSES:
        raise ValidationError(
            _("Choose present, absent with reason or absent without reason for %(member)s.")
            % {"member": member},
            code="status",
        )
    if status == Status.EXCUSED and not reason:
        raise ValidationError(
            _("Give the reason %(member)s was absent, or mark them absent without reason.")
            % {"member": member},
            code="reason",
        )
    if len(reason) > REASON_MAX:
        raise ValidationError(
            _("The reason for %(member)s is too long; keep it under %(max)d characters.")
            % {"member": member, "max": REASON_MAX},
            code="reason",
        )
    # Only an excused absence carries a reason; a stray one would print next to "present".
    return status, reason if status == Status.EXCUSED else ""


@transaction.atomic
def attendance_record(*, actor, meeting: Meeting, marks: dict) -> list[Attendance]:
    """Records marks ``{member_id: (status, reason)}`` on the list; returns the rows changed.

    Rows not named keep their mark, so two secretaries saving different parts of the list
    both keep their work; for the same member the later save wins.
    """
    locked = _lock(meeting)
    _refuse_role(actor, locked)
    _refuse_locked(locked)
    if locked.held_on > timezone.localdate():
        raise ValidationError(
            _("The meeting is on %(date)s; attendance is recorded on the day or after.")
            % {"date": locked.held_on.strftime("%d/%m/%Y")},
            code="too_early",
        )
    rows = {
        row.member_id: row
        for row in Attendance.objects.filter(
            meeting=locked, member_id__in=list(marks)
        ).select_related("member")
    }
    strangers = set(marks) - set(rows)
    if strangers:
        raise ValidationError(
            _(
                "Some of the marked members are not invited to this meeting; reload the page "
                "and mark the list again."
            ),
            code="not_invited",
        )
    now, user = timezone.now(), _user(actor)
    changed, audit_changes = [], {}
    for member_id, (status, reason) in marks.items():
        row = rows[member_id]
        status, reason = _clean_mark(row.member, status, reason)
        if (row.status, row.reason) == (status, reason):
            continue
        old = row.get_status_display()
        row.status, row.reason, row.recorded_at, row.recorded_by = status, reason, now, user
        changed.append(row)
        audit_changes[row.member.full_name] = [
            str(old),
            str(row.get_status_display()) + (f" ({reason})" if reason else ""),
        ]
    if changed:
        Attendance.objects.bulk_update(
            changed, ["status", "reason", "recorded_at", "recorded_by"], batch_size=500
        )
    if locked.state == State.SCHEDULED:
        _move(actor=actor, meeting=locked, to=State.RECORDED, action="meeting.record")
    if audit_changes:
        audit_record(actor=actor, action="attendance.record", target=locked, changes=audit_changes)
    return changed


@transaction.atomic
def meeting_confirm(*, actor, meeting: Meeting) -> Meeting:
    """Confirms the list; from then on it is locked."""
    locked = _lock(meeting)
    _refuse_role(actor, locked)
    _refuse_locked(locked)
    if locked.state == State.SCHEDULED:
        raise ValidationError(
            _("Record the attendance first, then confirm the list."), code="not_recorded"
        )
    unmarked = list(
        Attendance.objects.filter(meeting=locked)
        .exclude(status__in=Attendance.FINAL_STATUSES)
        .select_related("member")
        .order_by("member__search_name")
    )
    if unmarked:
        raise ValidationError(
            _("Mark every invitee before confirming. Not yet marked: %(names)s.")
            % {"names": ", ".join(row.member.full_name for row in unmarked)},
            code="unmarked",
        )
    return _move(
        actor=actor,
        meeting=locked,
        to=State.CONFIRMED,
        action="meeting.confirm",
        confirmed_at=timezone.now(),
        confirmed_by=_user(actor),
    )


@transaction.atomic
def attendance_correct(
    *, actor, attendance: Attendance, status: str, reason: str = "", why: str
) -> AttendanceCorrection:
    """Changes one mark of a confirmed list, keeping the old mark and the reason for the change."""
    meeting = _lock(attendance.meeting)
    _refuse_role(actor, meeting)
    if meeting.state != State.CONFIRMED:
        raise ValidationError(
            _("The list is not confirmed yet; change the mark on the attendance page."),
            code="not_confirmed",
        )
    row = Attendance.objects.select_related("member").get(pk=attendance.pk)
    why = (why or "").strip()
    if not why:
        raise ValidationError({"why": _("Say why the mark is corrected (who asked, what proof).")})
    status, reason = _clean_mark(row.member, status, reason)
    if (row.status, row.reason) == (status, reason):
        raise ValidationError(
            _("This is the mark already recorded; choose a different one."), code="unchanged"
        )
    correction = AttendanceCorrection.objects.create(
        attendance=row,
        old_status=row.status,
        new_status=status,
        old_reason=row.reason,
        new_reason=reason,
        why=why[:REASON_MAX],
        created_by=_user(actor),
    )
    before = _mark(row)
    row.status, row.reason = status, reason
    row.recorded_at, row.recorded_by = timezone.now(), _user(actor)
    row.save(update_fields=["status", "reason", "recorded_at", "recorded_by"])
    audit_record(
        actor=actor,
        action="attendance.correct",
        target=meeting,
        subject=row.member,
        changes=changes_between(before, _mark(row)),
        note=why,
    )
    return correction
