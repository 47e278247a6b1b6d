"""Two secretaries saving the same list at once, and a save racing a confirmation (PostgreSQL).

Each service locks the meeting row first. To make the race real rather than lucky, the first
caller is slowed down while it holds the lock, and the second starts only once it does.
"""

import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from members.models import Role
from partyreg.models import AuditEntry
from residence.meetings import services
from residence.meetings.models import Attendance, Meeting
from residence.meetings.services import attendance
from tests.members.factories import RoleFactory, UserFactory
from tests.residence.meetings.setup import assign, cell_member, schedule

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
A = Attendance.Status


@pytest.fixture
def setup(world):
    assign(world, world.member)
    members = [world.member] + [cell_member(world, f"Đảng viên {i}") for i in range(5)]
    colleague = UserFactory(username="chibo2")
    RoleFactory(user=colleague, organisation=world.residence_cell, kind=Role.Kind.OFFICER)
    return schedule(world), members, colleague


def _run_first_holding_the_lock(monkeypatch, first, second, *, slow):
    """Runs ``first`` in a thread, slowed inside ``slow`` (called under the meeting lock), then
    ``second`` in another thread while the first still holds the lock."""
    holding = threading.Event()
    original = getattr(attendance, slow)

    def slowed(*args, **kwargs):
        result = original(*args, **kwargs)
        if threading.current_thread().name == "first":
            holding.set()
            time.sleep(0.5)
        return result

    monkeypatch.setattr(attendance, slow, slowed)
    outcomes = {}

    def run(name, action):
        try:
            outcomes[name] = action()
        except Exception as error:  # noqa: BLE001 - the outcome is what the test reads
            outcomes[name] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=("first", first), name="first")]
    threads[0].start()
    assert holding.wait(10), "the first call never took the lock"
    threads.append(threading.Thread(target=run, args=("second", second), name="second"))
    started = time.monotonic()
    threads[1].start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes, time.monotonic() - started


def test_two_secretaries_saving_at_once_lose_nothing(world, setup, monkeypatch):
    meeting, members, colleague = setup
    half, other_half = members[:3], members[3:]
    shared = members[2]
    outcomes, waited = _run_first_holding_the_lock(
        monkeypatch,
        lambda: services.attendance_record(
            actor=world.residence_secretary,
            meeting=meeting,
            marks={m.pk: (A.PRESENT, "") for m in half},
        ),
        lambda: services.attendance_record(
            actor=colleague,
            meeting=meeting,
            marks={
                **{m.pk: (A.UNEXCUSED, "") for m in other_half},
                shared.pk: (A.EXCUSED, "Ốm"),
            },
        ),
        slow="_clean_mark",
    )
    assert all(isinstance(o, list) for o in outcomes.values()), outcomes
    assert waited > 0.3, "the second save did not wait for the first"
    rows = {r.member_id: r for r in Attendance.objects.filter(meeting=meeting)}
    assert len(rows) == len(members) == Attendance.objects.filter(meeting=meeting).count()
    assert {rows[m.pk].status for m in half if m != shared} == {A.PRESENT}
    assert {rows[m.pk].status for m in other_half} == {A.UNEXCUSED}
    # The same member marked by both: the later save wins.
    assert (rows[shared.pk].status, rows[shared.pk].reason) == (A.EXCUSED, "Ốm")
    assert rows[shared.pk].recorded_by == colleague
    assert AuditEntry.objects.filter(action="attendance.record").count() == 2
    assert AuditEntry.objects.filter(action="meeting.record").count() == 1
    assert Meeting.objects.get(pk=meeting.pk).state == Meeting.State.RECORDED


def test_save_racing_a_confirmation_is_refused_after_it(world, setup, monkeypatch):
    meeting, members, colleague = setup
    services.attendance_record(
        actor=world.residence_secretary,
        meeting=meeting,
        marks={m.pk: (A.PRESENT, "") for m in members},
    )
    outcomes, waited = _run_first_holding_the_lock(
        monkeypatch,
        lambda: services.meeting_confirm(actor=world.residence_secretary, meeting=meeting),
        lambda: services.attendance_record(
            actor=colleague, meeting=meeting, marks={members[0].pk: (A.UNEXCUSED, "")}
        ),
        slow="_refuse_locked",
    )
    assert isinstance(outcomes["first"], Meeting), outcomes
    assert isinstance(outcomes["second"], ValidationError), outcomes
    # The thread runs in the default language, so the refusal is read by its code.
    assert outcomes["second"].error_list[0].code == "locked"
    assert waited > 0.3
    assert set(Attendance.objects.filter(meeting=meeting).values_list("status", flat=True)) == {
        A.PRESENT
    }


def test_confirmation_racing_a_save_comes_after_it(world, setup, monkeypatch):
    meeting, members, colleague = setup
    services.attendance_record(
        actor=world.residence_secretary,
        meeting=meeting,
        marks={m.pk: (A.PRESENT, "") for m in members[1:]},
    )
    outcomes, _ = _run_first_holding_the_lock(
        monkeypatch,
        lambda: services.attendance_record(
            actor=colleague, meeting=meeting, marks={members[0].pk: (A.UNEXCUSED, "")}
        ),
        lambda: services.meeting_confirm(actor=world.residence_secretary, meeting=meeting),
        slow="_clean_mark",
    )
    assert isinstance(outcomes["first"], list) and isinstance(outcomes["second"], Meeting), outcomes
    fresh = Meeting.objects.get(pk=meeting.pk)
    assert fresh.state == Meeting.State.CONFIRMED
    assert Attendance.objects.get(meeting=meeting, member=members[0]).status == A.UNEXCUSED
