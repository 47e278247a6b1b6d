import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from members.models import Member, Role
from partyreg.audit import audit_history
from partyreg.models import AuditEntry
from residence import services as referral_services
from residence.meetings import services
from residence.meetings.models import (
    Attendance,
    AttendanceCorrection,
    Meeting,
    NonParticipationReport,
)
from residence.meetings.services import ALLOWED_TRANSITIONS
from tests.members.factories import MemberFactory, OrganisationFactory, RoleFactory, UserFactory
from tests.residence.meetings.setup import assign, cell_member, held_and_confirmed, record, schedule

pytestmark = pytest.mark.django_db
S = Meeting.State
A = Attendance.Status


@pytest.fixture
def members(world):
    """world.member plus two more, all assigned to world.residence_cell."""
    assign(world, world.member)
    return [
        world.member,
        cell_member(world, "Trần Thị Hoa", present=True),
        cell_member(world, "Lê Văn Đức"),
    ]


def _invitees(meeting):
    return set(Attendance.objects.filter(meeting=meeting).values_list("member_id", flat=True))


def _statuses(meeting):
    return dict(Attendance.objects.filter(meeting=meeting).values_list("member_id", "status"))


# --- Scheduling and invitation ------------------------------------------------------------------


def test_schedule_invites_assigned_members_who_take_part(world, members):
    exempt_category = cell_member(
        world, "Phạm Văn Miễn", category=Member.Category.EXEMPT_ACTIVITY, category_reason="Quân đội"
    )
    referral_exempt = cell_member(world, "Võ Thị Lan")
    # A referral issued as form 2-213 (exempt from residence activity).
    referral_exempt.referrals.update(exempt_activity=True)
    not_yet_assigned = MemberFactory(workplace_org=world.cell, residence_commune=world.commune)
    referral_services.referral_issue(actor=world.secretary, member=not_yet_assigned)
    other_cell_member = MemberFactory(
        workplace_org=world.other_cell, residence_commune=world.other_commune
    )

    meeting = schedule(world)

    assert meeting.state == S.SCHEDULED
    assert _invitees(meeting) == {m.pk for m in members}
    for outsider in (exempt_category, referral_exempt, not_yet_assigned, other_cell_member):
        assert outsider.pk not in _invitees(meeting)
    row = Attendance.objects.get(meeting=meeting, member=world.member)
    assert row.status == A.INVITED and row.referral.residence_cell == world.residence_cell
    entry = audit_history(meeting).get()
    assert entry.action == "meeting.schedule" and entry.actor == world.residence_secretary
    assert "3" in entry.note


def test_closed_or_dead_members_are_not_invited(world, members):
    referral = members[2].referrals.get()
    referral_services.referral_close(
        actor=world.secretary, referral=referral, reason="withdrawn", note="nhầm"
    )
    Member.objects.filter(pk=members[1].pk).update(status=Member.Status.DECEASED)
    assert _invitees(schedule(world)) == {world.member.pk}


def test_commune_officer_above_the_cell_may_schedule(world, members):
    meeting = schedule(world, actor=world.commune_officer)
    assert meeting.created_by == world.commune_officer


@pytest.mark.parametrize("who", ["secretary", "other_secretary", "bloc_staff", "member_user"])
def test_schedule_refused_to_the_wrong_role(world, members, who):
    with pytest.raises(PermissionDenied):
        schedule(world, actor=getattr(world, who))
    assert not Meeting.objects.exists()


def test_schedule_refused_to_another_commune(world):
    officer = UserFactory(username="lamvien")
    RoleFactory(user=officer, organisation=world.other_commune, kind=Role.Kind.OFFICER)
    with pytest.raises(PermissionDenied):
        schedule(world, actor=officer)


def test_supervising_staff_role_reaching_the_cell_still_cannot_schedule(world):
    staff = UserFactory(username="tinh")
    RoleFactory(user=staff, organisation=world.province, kind=Role.Kind.STAFF)
    with pytest.raises(PermissionDenied):
        schedule(world, actor=staff)


def test_schedule_refuses_bad_input_and_writes_nothing(world, members):
    with pytest.raises(ValidationError) as error:
        services.meeting_schedule(
            actor=world.residence_secretary,
            residence_cell=world.residence_cell,
            held_on=timezone.localdate(),
            starts_at=datetime.time(8),
            place="  ",
            agenda="",
            kind="party",
        )
    assert set(error.value.message_dict) == {"place", "agenda", "kind"}
    assert not Meeting.objects.exists() and not Attendance.objects.exists()


def test_schedule_only_for_a_residence_cell(world):
    with pytest.raises(PermissionDenied):
        schedule(world, cell=world.commune, actor=world.commune_officer)


def test_member_assigned_later_is_added(world, members):
    meeting = schedule(world)
    late = cell_member(world, "Hoàng Văn Muộn")
    added = services.meeting_invite_new(actor=world.residence_secretary, meeting=meeting)
    assert [row.member for row in added] == [late]
    assert late.pk in _invitees(meeting)
    assert services.meeting_invite_new(actor=world.residence_secretary, meeting=meeting) == []
    assert audit_history(late).filter(action="attendance.invite").count() == 1


def test_invite_refused_once_confirmed(world, members):
    meeting = held_and_confirmed(world, dict.fromkeys(members, A.PRESENT))
    cell_member(world, "Hoàng Văn Muộn")
    with pytest.raises(ValidationError, match="locked"):
        services.meeting_invite_new(actor=world.residence_secretary, meeting=meeting)


# --- Recording ----------------------------------------------------------------------------------


def test_record_moves_to_recorded_and_keeps_the_marks(world, members):
    meeting = schedule(world)
    changed = record(
        world,
        meeting,
        {
            members[0]: A.PRESENT,
            members[1]: (A.EXCUSED, "Đi công tác Hà Nội"),
            members[2]: (A.UNEXCUSED, "ignored for an unexcused absence"),
        },
    )
    assert len(changed) == 3
    meeting.refresh_from_db()
    assert meeting.state == S.RECORDED
    rows = {r.member_id: r for r in Attendance.objects.filter(meeting=meeting)}
    assert rows[members[1].pk].reason == "Đi công tác Hà Nội"
    assert rows[members[2].pk].status == A.UNEXCUSED and rows[members[2].pk].reason == ""
    assert rows[members[0].pk].recorded_by == world.residence_secretary
    entry = audit_history(meeting).filter(action="attendance.record").get()
    assert entry.changes["Trần Thị Hoa"] == ["Invited", "Absent with reason (Đi công tác Hà Nội)"]


def test_record_a_second_time_changes_only_what_differs(world, members):
    meeting = schedule(world)
    record(world, meeting, dict.fromkeys(members, A.PRESENT))
    changed = record(world, meeting, {members[0]: A.PRESENT, members[1]: A.UNEXCUSED})
    assert [r.member for r in changed] == [members[1]]
    assert AuditEntry.objects.filter(action="meeting.record").count() == 1


def test_record_refuses_an_excused_absence_without_reason(world, members):
    meeting = schedule(world)
    with pytest.raises(ValidationError, match="Give the reason Trần Thị Hoa was absent"):
        record(world, meeting, {members[0]: A.PRESENT, members[1]: A.EXCUSED})
    assert set(_statuses(meeting).values()) == {A.INVITED}
    assert Meeting.objects.get(pk=meeting.pk).state == S.SCHEDULED


@pytest.mark.parametrize("status", [A.INVITED, A.WILL_BE_ABSENT, "maybe"])
def test_record_refuses_a_status_that_is_not_a_mark(world, members, status):
    meeting = schedule(world)
    with pytest.raises(ValidationError):
        record(world, meeting, {members[0]: status})


def test_record_refuses_someone_not_invited(world, members):
    meeting = schedule(world)
    with pytest.raises(ValidationError, match="not invited"):
        record(world, meeting, {world.other_member: A.PRESENT, members[0]: A.PRESENT})
    assert set(_statuses(meeting).values()) == {A.INVITED}


def test_record_refused_before_the_day(world, members):
    meeting = schedule(world, held_on=timezone.localdate() + datetime.timedelta(days=3))
    with pytest.raises(ValidationError, match="on the day or after"):
        record(world, meeting, {members[0]: A.PRESENT})


@pytest.mark.parametrize("who", ["secretary", "other_secretary", "bloc_staff", "member_user"])
def test_record_refused_to_the_wrong_role(world, members, who):
    meeting = schedule(world)
    with pytest.raises(PermissionDenied):
        record(world, meeting, {members[0]: A.PRESENT}, actor=getattr(world, who))
    assert set(_statuses(meeting).values()) == {A.INVITED}


# --- Confirming and the lock --------------------------------------------------------------------


def test_confirm_refused_before_anything_is_recorded(world, members):
    meeting = schedule(world)
    with pytest.raises(ValidationError, match="Record the attendance first"):
        services.meeting_confirm(actor=world.residence_secretary, meeting=meeting)


def test_confirm_refused_while_someone_is_unmarked(world, members):
    meeting = schedule(world)
    record(world, meeting, {members[0]: A.PRESENT})
    with pytest.raises(ValidationError, match="Lê Văn Đức") as error:
        services.meeting_confirm(actor=world.residence_secretary, meeting=meeting)
    assert "Trần Thị Hoa" in str(error.value) and "Nguyễn Văn An" not in str(error.value)
    assert Meeting.objects.get(pk=meeting.pk).state == S.RECORDED


def test_confirm_refused_to_the_workplace(world, members):
    meeting = schedule(world)
    record(world, meeting, dict.fromkeys(members, A.PRESENT))
    with pytest.raises(PermissionDenied):
        services.meeting_confirm(actor=world.secretary, meeting=meeting)


def test_confirmed_list_is_locked(world, members):
    meeting = held_and_confirmed(world, dict.fromkeys(members, A.PRESENT))
    assert meeting.state == S.CONFIRMED and meeting.confirmed_by == world.residence_secretary
    with pytest.raises(ValidationError, match="locked"):
        record(world, meeting, {members[0]: A.UNEXCUSED})
    with pytest.raises(ValidationError, match="locked"):
        services.meeting_confirm(actor=world.residence_secretary, meeting=meeting)
    with pytest.raises(ValidationError, match="locked"):
        services.meeting_cancel(actor=world.residence_secretary, meeting=meeting, reason="x")
    assert set(_statuses(meeting).values()) == {A.PRESENT}


def test_every_transition_outside_the_table_is_refused(world, members):
    assert ALLOWED_TRANSITIONS[S.CONFIRMED] == frozenset()
    assert ALLOWED_TRANSITIONS[S.CANCELLED] == frozenset()
    assert S.CONFIRMED not in ALLOWED_TRANSITIONS[S.SCHEDULED]


def test_cancel_needs_a_reason_then_locks_the_meeting(world, members):
    meeting = schedule(world)
    with pytest.raises(ValidationError):
        services.meeting_cancel(actor=world.residence_secretary, meeting=meeting, reason=" ")
    meeting = services.meeting_cancel(
        actor=world.residence_secretary, meeting=meeting, reason="Mưa bão"
    )
    assert meeting.state == S.CANCELLED and meeting.cancel_reason == "Mưa bão"
    with pytest.raises(ValidationError, match="cancelled"):
        record(world, meeting, {members[0]: A.PRESENT})
    with pytest.raises(ValidationError, match="cancelled"):
        services.meeting_cancel(actor=world.residence_secretary, meeting=meeting, reason="again")


# --- Corrections --------------------------------------------------------------------------------


def test_correction_changes_a_confirmed_mark_with_an_audited_entry(world, members):
    meeting = held_and_confirmed(world, dict.fromkeys(members, A.PRESENT))
    row = Attendance.objects.get(meeting=meeting, member=members[2])
    correction = services.attendance_correct(
        actor=world.commune_officer,
        attendance=row,
        status=A.EXCUSED,
        reason="Nằm viện",
        why="Đồng chí nộp giấy ra viện ngày 20/11",
    )
    assert (correction.old_status, correction.new_status) == (A.PRESENT, A.EXCUSED)
    assert correction.created_by == world.commune_officer
    row.refresh_from_db()
    assert (row.status, row.reason) == (A.EXCUSED, "Nằm viện")
    assert Meeting.objects.get(pk=meeting.pk).state == S.CONFIRMED
    entry = audit_history(members[2]).filter(action="attendance.correct").get()
    assert entry.actor == world.commune_officer
    assert entry.changes["attendance"] == ["Present", "Absent with reason"]
    assert entry.note == "Đồng chí nộp giấy ra viện ngày 20/11"


def test_correction_refusals(world, members):
    meeting = schedule(world)
    record(world, meeting, dict.fromkeys(members, A.PRESENT))
    row = Attendance.objects.get(meeting=meeting, member=members[0])
    kwargs = {"attendance": row, "status": A.UNEXCUSED, "why": "sai"}
    with pytest.raises(ValidationError, match="not confirmed"):
        services.attendance_correct(actor=world.residence_secretary, **kwargs)
    services.meeting_confirm(actor=world.residence_secretary, meeting=meeting)
    with pytest.raises(PermissionDenied):
        services.attendance_correct(actor=world.secretary, **kwargs)
    with pytest.raises(ValidationError) as error:
        services.attendance_correct(actor=world.residence_secretary, **{**kwargs, "why": " "})
    assert "why" in error.value.message_dict
    with pytest.raises(ValidationError, match="already recorded"):
        services.attendance_correct(
            actor=world.residence_secretary, attendance=row, status=A.PRESENT, why="x"
        )
    assert not AttendanceCorrection.objects.exists()
    assert Attendance.objects.get(pk=row.pk).status == A.PRESENT


# --- The member's advance notice ----------------------------------------------------------------


@pytest.fixture
def upcoming(world, members):
    return schedule(world, held_on=timezone.localdate() + datetime.timedelta(days=7))


def _own_row(world, meeting):
    return Attendance.objects.get(meeting=meeting, member=world.member)


def test_member_announces_and_takes_back_an_absence(world, upcoming):
    row = services.attendance_announce_absence(
        actor=world.member_user, attendance=_own_row(world, upcoming), reason="Đi học tập trung"
    )
    assert row.status == A.WILL_BE_ABSENT and row.absence_notice == "Đi học tập trung"
    assert audit_history(world.member).filter(action="attendance.announce_absence").exists()
    row = services.attendance_withdraw_absence(actor=world.member_user, attendance=row)
    assert row.status == A.INVITED
    with pytest.raises(ValidationError):
        services.attendance_withdraw_absence(actor=world.member_user, attendance=row)


def test_only_the_member_announces_their_own_absence(world, upcoming, members):
    other_row = Attendance.objects.get(meeting=upcoming, member=members[1])
    with pytest.raises(PermissionDenied):
        services.attendance_announce_absence(
            actor=world.member_user, attendance=other_row, reason="x"
        )
    with pytest.raises(PermissionDenied):
        services.attendance_announce_absence(
            actor=world.residence_secretary, attendance=_own_row(world, upcoming), reason="x"
        )
    with pytest.raises(ValidationError):
        services.attendance_announce_absence(
            actor=world.member_user, attendance=_own_row(world, upcoming), reason="  "
        )
    assert set(_statuses(upcoming).values()) == {A.INVITED}


def test_absence_cannot_be_announced_after_confirmation_or_after_the_day(world, members):
    meeting = held_and_confirmed(world, dict.fromkeys(members, A.PRESENT))
    with pytest.raises(ValidationError, match="locked"):
        services.attendance_announce_absence(
            actor=world.member_user, attendance=_own_row(world, meeting), reason="x"
        )
    past = schedule(world, held_on=timezone.localdate() - datetime.timedelta(days=2))
    with pytest.raises(ValidationError, match="already taken place"):
        services.attendance_announce_absence(
            actor=world.member_user, attendance=_own_row(world, past), reason="x"
        )


def test_absence_cannot_be_announced_once_marked(world, members):
    meeting = schedule(world)
    record(world, meeting, {world.member: A.PRESENT})
    with pytest.raises(ValidationError, match="already recorded"):
        services.attendance_announce_absence(
            actor=world.member_user, attendance=_own_row(world, meeting), reason="x"
        )


# --- Non-participation reports ------------------------------------------------------------------


def test_report_counts_the_unexcused_absences_and_the_workplace_acknowledges(world, members):
    held_and_confirmed(
        world, {members[0]: A.UNEXCUSED, members[1]: A.PRESENT, members[2]: A.PRESENT}
    )
    held_and_confirmed(
        world, {members[0]: A.UNEXCUSED, members[1]: A.PRESENT, members[2]: A.PRESENT}
    )
    report = services.nonparticipation_report(
        actor=world.residence_secretary,
        member=world.member,
        residence_cell=world.residence_cell,
        text="Đồng chí không tham gia hai buổi sinh hoạt.",
    )
    assert report.meetings_missed == 2 and report.workplace_org == world.cell
    assert audit_history(world.member).filter(action="nonparticipation.report").exists()

    with pytest.raises(PermissionDenied):
        services.nonparticipation_acknowledge(
            actor=world.residence_secretary, report=report, action_taken="x"
        )
    with pytest.raises(PermissionDenied):
        services.nonparticipation_acknowledge(
            actor=world.other_secretary, report=report, action_taken="x"
        )
    with pytest.raises(ValidationError):
        services.nonparticipation_acknowledge(actor=world.secretary, report=report, action_taken="")
    report = services.nonparticipation_acknowledge(
        actor=world.secretary, report=report, action_taken="Chi bộ đã nhắc nhở"
    )
    assert report.acknowledged_by == world.secretary
    with pytest.raises(ValidationError, match="already acknowledged"):
        services.nonparticipation_acknowledge(
            actor=world.secretary, report=report, action_taken="again"
        )


def test_report_refused_for_a_member_of_another_cell_or_by_the_wrong_role(world, members):
    other_cell = OrganisationFactory(
        name="Chi bộ Tổ dân phố 6", kind="residence_cell", parent=world.commune
    )
    stranger = cell_member(world, "Đinh Văn Lạ", cell=other_cell)
    with pytest.raises(ValidationError, match="not assigned"):
        services.nonparticipation_report(
            actor=world.residence_secretary,
            member=stranger,
            residence_cell=world.residence_cell,
            text="x",
        )
    with pytest.raises(PermissionDenied):
        services.nonparticipation_report(
            actor=world.secretary,
            member=world.member,
            residence_cell=world.residence_cell,
            text="x",
        )
    assert not NonParticipationReport.objects.exists()


@time_machine.travel(datetime.datetime(2026, 6, 15, 9, tzinfo=datetime.UTC), tick=False)
def test_absence_announced_then_excused_counts_as_excused(world, members):
    meeting = schedule(world, held_on=datetime.date(2026, 6, 20))
    services.attendance_announce_absence(
        actor=world.member_user, attendance=_own_row(world, meeting), reason="Đi công tác"
    )
    with time_machine.travel(datetime.datetime(2026, 6, 20, 20, tzinfo=datetime.UTC)):
        record(world, meeting, {world.member: (A.EXCUSED, "Đi công tác"), members[1]: A.PRESENT})
        record(world, meeting, {members[2]: A.PRESENT})
        services.meeting_confirm(actor=world.residence_secretary, meeting=meeting)
    row = _own_row(world, meeting)
    assert row.status == A.EXCUSED and row.absence_notice == "Đi công tác"
