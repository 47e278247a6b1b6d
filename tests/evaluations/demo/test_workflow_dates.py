"""The demo's workflows on awkward days, and the same rows for the same day.

Kept apart from test_demo_workflows.py, whose module-wide demo would make these loads a no-op.
"""

from datetime import date, datetime
from io import StringIO
from zoneinfo import ZoneInfo

import time_machine
from django.conf import settings
from django.core.management import call_command
from django.db import transaction

from evaluations.models import Campaign, CommentRequest, Grade, Sitting
from residence.meetings.models import Attendance, Meeting
from residence.models import Referral
from residence.selectors import overdue_q


def _at(day: date, hour: int = 8):
    return time_machine.travel(
        datetime(day.year, day.month, day.day, hour, tzinfo=ZoneInfo(settings.TIME_ZONE)),
        tick=True,
    )


def test_on_new_years_day_everything_happens_today(db):
    today = date(2027, 1, 1)
    with _at(today):
        call_command("load_demo", stdout=StringIO())
    campaign = Campaign.objects.get()
    assert campaign.year == 2027 and campaign.due_on > today
    past, upcoming = Meeting.objects.order_by("held_on")
    assert past.held_on == today and past.state == Meeting.State.CONFIRMED
    assert upcoming.held_on == date(2027, 1, 15)
    assert Sitting.objects.get().held_on == today
    assert CommentRequest.objects.filter(state=CommentRequest.State.CERTIFIED).exists()
    assert CommentRequest.objects.filter(meetings_invited=1).exists()
    assert Grade.objects.filter(year=2027).count() == 2
    # Dating a letter back would cross into 2026, the year before its number: no overdue one.
    with _at(today):
        assert not Referral.objects.filter(overdue_q()).exists()


def _picture():
    """What the demo shows, by card number, so two loads can be compared."""
    return (
        sorted(
            Referral.objects.values_list(
                "member__card_number", "state", "commune__code", "residence_cell__code", "due_on"
            )
        ),
        sorted(
            Attendance.objects.values_list(
                "meeting__held_on", "member__card_number", "status", "reason", "absence_notice"
            )
        ),
        sorted(
            CommentRequest.objects.values_list(
                "member__card_number", "state", "other_comments", "similar_to__member__card_number"
            )
        ),
        sorted(Grade.objects.values_list("member__card_number", "level", "points")),
    )


def test_the_same_day_gives_the_same_rows(db):
    pictures = []
    for _ in range(2):
        with _at(date(2027, 5, 20)), transaction.atomic():
            call_command("load_demo", stdout=StringIO())
            pictures.append(_picture())
            transaction.set_rollback(True)
    assert pictures[0] == pictures[1]
    referrals, attendance, comments, grades = pictures[0]
    assert len(referrals) > 50 and len(attendance) > 10 and len(comments) > 5 and grades
    # In May the overdue letter exists: issued in March, due in April.
    assert sum(1 for row in referrals if row[4] < date(2027, 5, 20)) == 1
