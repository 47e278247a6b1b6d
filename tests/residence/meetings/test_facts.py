"""attendance_facts and cell_meeting_counts over a small, known set of meetings."""

import datetime

import pytest
import time_machine

from residence.meetings import services
from residence.meetings.models import Attendance, Meeting
from residence.meetings.selectors import AttendanceFacts, attendance_facts, cell_meeting_counts
from tests.members.factories import MemberFactory
from tests.residence.meetings.setup import assign, cell_member, record, schedule

pytestmark = pytest.mark.django_db
A = Attendance.Status
YEAR = 2026


@pytest.fixture
def known(world):
    """Three members; two confirmed regular meetings count, four others do not."""
    with time_machine.travel(datetime.datetime(YEAR, 2, 1, 9, tzinfo=datetime.UTC), tick=False):
        assign(world, world.member)
        an, hoa, duc = (
            world.member,
            cell_member(world, "Trần Thị Hoa"),
            cell_member(world, "Lê Văn Đức"),
        )

    def meeting(day, marks, *, kind=Meeting.Kind.REGULAR, confirm=True, announce=None):
        held_on = datetime.date.fromisoformat(day)
        moment = datetime.datetime.combine(held_on, datetime.time(20), tzinfo=datetime.UTC)
        with time_machine.travel(moment - datetime.timedelta(days=5), tick=False):
            m = schedule(world, held_on=held_on, kind=kind)
            if announce:
                row = Attendance.objects.get(meeting=m, member=announce[0])
                services.attendance_announce_absence(
                    actor=world.member_user, attendance=row, reason=announce[1]
                )
        with time_machine.travel(moment, tick=False):
            record(world, m, marks)
            if confirm:
                services.meeting_confirm(actor=world.residence_secretary, meeting=m)
        return m

    # Counted: confirmed, regular, in YEAR.
    meeting("2026-03-01", {an: A.PRESENT, hoa: (A.EXCUSED, "Ốm"), duc: A.UNEXCUSED})
    # An announced absence counts as what the secretary finally marked.
    meeting(
        "2026-06-01",
        {an: (A.EXCUSED, "Đi công tác"), hoa: A.PRESENT, duc: A.UNEXCUSED},
        announce=(an, "Đi công tác"),
    )
    # Not counted: recorded but not confirmed; residents' activity; another year.
    meeting("2026-06-10", {an: A.UNEXCUSED, hoa: A.UNEXCUSED, duc: A.UNEXCUSED}, confirm=False)
    meeting("2026-07-01", dict.fromkeys((an, hoa, duc), A.UNEXCUSED), kind=Meeting.Kind.RESIDENTS)
    meeting("2025-12-20", dict.fromkeys((an, hoa, duc), A.UNEXCUSED))
    # An announced absence the secretary overruled: unexcused (2027, outside the year).
    meeting("2027-01-10", {an: A.UNEXCUSED, hoa: A.PRESENT, duc: A.PRESENT}, announce=(an, "x"))
    return an, hoa, duc


def test_facts_count_only_confirmed_regular_meetings_of_the_year(world, known):
    an, hoa, duc = known
    nobody = MemberFactory()
    facts = attendance_facts(member_ids=[an.pk, hoa.pk, duc.pk, nobody.pk], year=YEAR)
    assert facts == {
        an.pk: AttendanceFacts(invited=2, present=1, excused=1, unexcused=0),
        hoa.pk: AttendanceFacts(invited=2, present=1, excused=1, unexcused=0),
        duc.pk: AttendanceFacts(invited=2, present=0, excused=0, unexcused=2),
        nobody.pk: AttendanceFacts(),
    }
    assert attendance_facts(member_ids=[an.pk], year=2027)[an.pk] == AttendanceFacts(
        invited=1, present=0, excused=0, unexcused=1
    )
    assert attendance_facts(member_ids=[], year=YEAR) == {}


def test_facts_are_frozen(world, known):
    facts = attendance_facts(member_ids=[known[0].pk], year=YEAR)[known[0].pk]
    with pytest.raises(AttributeError):
        facts.present = 5


def test_cell_meeting_counts(world, known):
    assert cell_meeting_counts(
        cell_ids=[world.residence_cell.pk, world.other_residence_cell.pk], year=YEAR
    ) == {world.residence_cell.pk: 2, world.other_residence_cell.pk: 0}
    assert cell_meeting_counts(cell_ids=[world.residence_cell.pk], year=2025) == {
        world.residence_cell.pk: 1
    }


def test_facts_and_counts_take_one_query_whatever_the_number_of_members(
    world, known, django_assert_num_queries
):
    few = [m.pk for m in known]
    many = few + [MemberFactory().pk for _ in range(30)]
    with django_assert_num_queries(1):
        assert len(attendance_facts(member_ids=few, year=YEAR)) == 3
    with django_assert_num_queries(1):
        assert len(attendance_facts(member_ids=many, year=YEAR)) == 33
    with django_assert_num_queries(1):
        cell_meeting_counts(
            cell_ids=[world.residence_cell.pk, world.other_residence_cell.pk], year=YEAR
        )
