"""Every write to residence meetings and attendance: atomic, audited, refusing bad input.

Each service that touches a meeting's list locks the meeting row first, so two secretaries
saving at once, a member announcing an absence and a confirmation all take turns: a save that
comes after the confirmation sees the confirmed state and is refused. Refusals raise
``PermissionDenied`` (wrong role) or ``ValidationError`` (wrong state or input) with a message
saying what to do, and leave the database as it was.
"""

from datetime import date, time

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from members.models import Member, Organisation
from partyreg.audit import audit_record, changes_between, snapshot

from . import meeting_permissions as permissions
from . import meeting_selectors as selectors
from .meeting_models import Attendance, AttendanceCorrection, Meeting, NonParticipationReport

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
    before = _meeting_snapshot(meeting)
    meeting.state = to
    for name, value in fields.items():
        setattr(meeting, name, value)
    meeting.save()
    audit_record(
        actor=actor,
        action=action,
        target=meeting,
        changes=changes_between(before, _meeting_snapshot(meeting)),
        note=note,
    )
    return meeting


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
    return added


@transaction.atomic
def meeting_cancel(*, actor, meeting: Meeting, reason: str) -> Meeting:
    locked = _lock(meeting)
    _refuse_role(actor, locked)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the meeting is cancelled.")})
    return _move(
        actor=actor,
        meeting=locked,
        to=State.CANCELLED,
        action="meeting.cancel",
        note=reason,
        cancel_reason=reason[:REASON_MAX],
        cancelled_at=timezone.now(),
        cancelled_by=_user(actor),
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


# --- Non-participation (workflow 6) -------------------------------------------------------------


@transaction.atomic
def nonparticipation_report(
    *, actor, member: Member, residence_cell: Organisation, text: str, year: int | None = None
) -> NonParticipationReport:
    """Tells the member's workplace committee that the member does not take part."""
    if not permissions.can_report_nonparticipation(actor, residence_cell):
        raise PermissionDenied(
            _("Only the secretary or an officer of %(cell)s can report on its members.")
            % {"cell": residence_cell}
        )
    member = Member.objects.select_related("workplace_org").get(pk=member.pk)
    if residence_cell not in selectors.member_cells(member):
        raise ValidationError(
            _("%(member)s is not assigned to %(cell)s; report only on the cell's own members.")
            % {"member": member, "cell": residence_cell},
            code="not_in_cell",
        )
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("Describe what the member failed to do.")})
    year = year or timezone.localdate().year
    facts = selectors.attendance_facts(member_ids=[member.pk], year=year)[member.pk]
    report = NonParticipationReport.objects.create(
        member=member,
        residence_cell=residence_cell,
        workplace_org=member.workplace_org,
        year=year,
        text=text,
        meetings_missed=facts.unexcused,
        created_by=_user(actor),
    )
    audit_record(
        actor=actor,
        action="nonparticipation.report",
        target=report,
        subject=member,
        changes={"meetings_missed": [None, facts.unexcused]},
        note=text,
    )
    return report


@transaction.atomic
def nonparticipation_acknowledge(
    *, actor, report: NonParticipationReport, action_taken: str
) -> NonParticipationReport:
    locked = NonParticipationReport.objects.select_for_update().get(pk=report.pk)
    if not permissions.can_acknowledge_report(actor, locked):
        raise PermissionDenied(
            _("Only the member's workplace committee can acknowledge this report.")
        )
    if locked.acknowledged_at is not None:
        raise ValidationError(
            _("This report was already acknowledged on %(date)s; nothing more to do.")
            % {"date": timezone.localtime(locked.acknowledged_at).strftime("%d/%m/%Y")},
            code="wrong_state",
        )
    action_taken = (action_taken or "").strip()
    if not action_taken:
        raise ValidationError({"action_taken": _("Say what the workplace committee did about it.")})
    locked.acknowledged_at = timezone.now()
    locked.acknowledged_by = _user(actor)
    locked.action_taken = action_taken
    locked.save(update_fields=["acknowledged_at", "acknowledged_by", "action_taken"])
    audit_record(
        actor=actor,
        action="nonparticipation.acknowledge",
        target=locked,
        subject=locked.member,
        changes={"acknowledged_at": [None, locked.acknowledged_at]},
        note=action_taken,
    )
    return locked


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
