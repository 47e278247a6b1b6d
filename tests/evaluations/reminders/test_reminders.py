"""The reminder rules: each finds what is due and only that, escalates on time, can be
switched off per organisation, and costs the same number of queries at any size."""

import threading
from datetime import date, datetime, time, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from evaluations.models import CommentRequest
from evaluations.reminders import rules
from evaluations.reminders import scan as reminders
from evaluations.reminders.tasks import reminders_scan_task
from evaluations.services import campaign_open
from members.models import Member
from partyreg.models import Delivery, Notification, Reminder
from partyreg.notifications.handover import RULE_PREFIX
from residence import services
from residence.meetings import services as meeting_services
from residence.models import ChangeNotice, Referral
from tests.members.factories import MemberFactory, UserFactory

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
ISSUED_ON = date(2026, 3, 2)  # a Monday


@pytest.fixture(autouse=True)
def _english_site(settings):
    """The scan writes in the site's language; these tests match the English source text."""
    settings.LANGUAGE_CODE = "en"


def at(day: date, hour: int = 6):
    return time_machine.travel(datetime.combine(day, time(hour, 0), tzinfo=TZ), tick=False)


def scan(day: date):
    with at(day):
        return reminders.reminders_scan(day)


def reminder_rows(model=Notification):
    """Rows of the reminder rules: the hand-overs the set-up told (a referral issued to the
    commune…) are another feature's (tests/partyreg/test_handovers.py)."""
    return model.objects.exclude(rule__startswith=RULE_PREFIX)


def received(user, rule=None) -> list[Notification]:
    rows = reminder_rows().filter(user=user)
    if rule:
        rows = rows.filter(rule=rule)
    return list(rows)


@pytest.fixture
def referral(world) -> Referral:
    with at(ISSUED_ON, 9):
        return services.referral_issue(actor=world.secretary, member=world.member)


@pytest.fixture
def placed(world, referral) -> Referral:
    with at(ISSUED_ON + timedelta(days=1), 9):
        services.referral_receive(actor=world.commune_officer, referral=referral)
        return services.referral_assign(
            actor=world.commune_officer, referral=referral, residence_cell=world.residence_cell
        )


# --- A member not presented -----------------------------------------------------------------


def test_member_is_reminded_days_before_the_reporting_deadline_and_not_earlier(world, referral):
    due = referral.due_on
    scan(due - timedelta(days=8))
    assert received(world.member_user) == []

    scan(due - timedelta(days=7))
    (reminder,) = received(world.member_user, reminders.REFERRAL_REPORT)
    assert reminder.url == f"/residence/referral/{referral.pk}/"
    assert received(world.secretary, reminders.REFERRAL_REPORT + reminders.ESCALATION) == []


def test_overdue_member_is_reminded_and_the_workplace_secretary_after_the_set_days(world, referral):
    due = referral.due_on
    scan(due + timedelta(days=1))
    assert len(received(world.member_user, reminders.REFERRAL_REPORT)) == 1
    assert received(world.secretary, reminders.REFERRAL_REPORT + reminders.ESCALATION) == []

    scan(due + timedelta(days=7))
    (digest,) = received(world.secretary, reminders.REFERRAL_REPORT + reminders.ESCALATION)
    assert "Nguyễn Văn An" in digest.body
    assert digest.url == "/residence/referrals/workplace/?overdue=on"
    # The other organisation's secretary hears nothing of it.
    assert received(world.other_secretary) == []


def test_a_presented_member_is_not_reminded(world, placed):
    with at(ISSUED_ON + timedelta(days=3), 9):
        services.referral_report(
            actor=world.residence_secretary, referral=placed, presented_on=ISSUED_ON
        )
    scan(placed.due_on + timedelta(days=10))
    assert Notification.objects.filter(rule__startswith=reminders.REFERRAL_REPORT).count() == 0


def test_escalation_timing_is_a_setting(world, referral, settings):
    settings.PARTYREG = {
        **settings.PARTYREG,
        "REMINDERS": {
            **settings.PARTYREG["REMINDERS"],
            "referral_report": {"enabled": True, "days_before": 0, "escalate_after_days": 2},
        },
    }
    scan(referral.due_on + timedelta(days=2))
    assert len(received(world.secretary, reminders.REFERRAL_REPORT + reminders.ESCALATION)) == 1


# --- A referral not received or not assigned ------------------------------------------------


def test_referral_not_received_reminds_the_commune_then_the_workplace(world, referral):
    scan(ISSUED_ON + timedelta(days=6))
    assert received(world.commune_officer) == []

    scan(ISSUED_ON + timedelta(days=7))
    (digest,) = received(world.commune_officer, reminders.REFERRAL_RECEIPT)
    assert "1 referral" in digest.subject
    assert received(world.secretary, reminders.REFERRAL_RECEIPT + reminders.ESCALATION) == []

    scan(ISSUED_ON + timedelta(days=14))
    assert len(received(world.secretary, reminders.REFERRAL_RECEIPT + reminders.ESCALATION)) == 1


def test_an_assigned_referral_is_not_reminded_to_the_commune(world, placed):
    scan(ISSUED_ON + timedelta(days=20))
    assert received(world.commune_officer, reminders.REFERRAL_RECEIPT) == []


# --- Meetings -------------------------------------------------------------------------------


def test_cell_behind_its_meetings_reminds_the_secretary_then_the_commune(world, placed):
    scan(date(2026, 5, 15))
    assert received(world.residence_secretary) == []

    scan(date(2026, 6, 5))
    (reminder,) = received(world.residence_secretary, reminders.CELL_MEETINGS)
    assert reminder.url == f"/residence/meetings/cell/{world.residence_cell.pk}/"
    assert received(world.commune_officer, reminders.CELL_MEETINGS + reminders.ESCALATION) == []

    scan(date(2026, 7, 20))
    (digest,) = received(world.commune_officer, reminders.CELL_MEETINGS + reminders.ESCALATION)
    assert world.residence_cell.name in digest.body


def test_a_planned_meeting_stops_the_cell_reminder(world, placed):
    with at(date(2026, 6, 1), 9):
        meeting_services.meeting_schedule(
            actor=world.residence_secretary,
            residence_cell=world.residence_cell,
            held_on=date(2026, 6, 20),
            starts_at=time(19, 30),
            place="Nhà văn hóa tổ 5",
            agenda="Sinh hoạt định kỳ",
        )
    scan(date(2026, 6, 5))
    assert received(world.residence_secretary, reminders.CELL_MEETINGS) == []


def test_every_invitee_is_reminded_days_before_a_meeting(world, placed):
    with at(date(2026, 6, 1), 9):
        meeting = meeting_services.meeting_schedule(
            actor=world.residence_secretary,
            residence_cell=world.residence_cell,
            held_on=date(2026, 6, 20),
            starts_at=time(19, 30),
            place="Nhà văn hóa tổ 5",
            agenda="Sinh hoạt định kỳ",
        )
    scan(date(2026, 6, 16))
    assert received(world.member_user, reminders.MEETING_UPCOMING) == []

    scan(date(2026, 6, 17))
    (reminder,) = received(world.member_user, reminders.MEETING_UPCOMING)
    assert reminder.key == f"meeting:{meeting.pk}/2026-06-20"
    assert "19:30" in reminder.body

    scan(date(2026, 6, 19))
    assert len(received(world.member_user, reminders.MEETING_UPCOMING)) == 1


# --- Comments -------------------------------------------------------------------------------


@pytest.fixture
def comment_request(world, placed) -> CommentRequest:
    with at(date(2026, 11, 2), 9):
        result = campaign_open(actor=world.secretary, organisation=world.agency)
    (request,) = result.requests
    return request


def test_comment_near_its_deadline_reminds_the_cell(world, comment_request):
    due = comment_request.due_on
    scan(due - timedelta(days=6))
    assert received(world.residence_secretary, reminders.COMMENT_DUE) == []

    scan(due - timedelta(days=5))
    (reminder,) = received(world.residence_secretary, reminders.COMMENT_DUE)
    assert reminder.url == "/evaluations/inbox/"
    assert received(world.commune_officer, reminders.COMMENT_DUE + reminders.ESCALATION) == []


def test_overdue_comment_escalates_to_the_commune_and_the_workplace(world, comment_request):
    due = comment_request.due_on
    scan(due + timedelta(days=1))
    assert received(world.residence_secretary, reminders.COMMENT_DUE)
    assert received(world.commune_officer, reminders.COMMENT_DUE + reminders.ESCALATION) == []

    scan(due + timedelta(days=5))
    assert len(received(world.commune_officer, reminders.COMMENT_DUE + reminders.ESCALATION)) == 1
    assert len(received(world.secretary, reminders.COMMENT_DUE + reminders.ESCALATION)) == 1


# --- Change notices -------------------------------------------------------------------------


def test_unacknowledged_change_notice_reminds_the_residence_side(world, placed):
    with at(date(2026, 4, 1), 9):
        notice = ChangeNotice.objects.create(
            member=world.member,
            kind=ChangeNotice.Kind.DISCIPLINED,
            effective_on=date(2026, 3, 30),
            workplace_org=world.cell,
            commune=world.commune,
            residence_cell=world.residence_cell,
        )
    scan(date(2026, 4, 7))
    assert received(world.commune_officer, reminders.NOTICE_UNACKNOWLEDGED) == []

    scan(date(2026, 4, 8))
    assert len(received(world.commune_officer, reminders.NOTICE_UNACKNOWLEDGED)) == 1
    assert len(received(world.residence_secretary, reminders.NOTICE_UNACKNOWLEDGED)) == 1

    ChangeNotice.objects.filter(pk=notice.pk).update(acknowledged_at=notice.created_at)
    scan(date(2026, 4, 20))
    assert len(received(world.commune_officer, reminders.NOTICE_UNACKNOWLEDGED)) == 1


# --- Switches, once only, email, cost -------------------------------------------------------


def test_an_organisation_switches_a_rule_off_for_its_subtree(world, referral):
    reminders.reminder_settings_save(
        actor=world.secretary, organisation=world.agency, enabled={"referral_report": False}
    )
    scan(referral.due_on + timedelta(days=10))
    assert Notification.objects.filter(rule__startswith=reminders.REFERRAL_REPORT).count() == 0
    # Other rules carry on.
    assert received(world.commune_officer, reminders.REFERRAL_RECEIPT)


def test_the_nearest_setting_wins(world, referral):
    reminders.reminder_settings_save(
        actor=world.admin,
        organisation=world.province,
        enabled={"referral_report": False},
    )
    reminders.reminder_settings_save(
        actor=world.secretary, organisation=world.agency, enabled={"referral_report": True}
    )
    scan(referral.due_on + timedelta(days=10))
    assert received(world.member_user, reminders.REFERRAL_REPORT)


def test_switching_off_needs_a_role_in_the_organisation(world):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied, match="secretary or an officer"):
        reminders.reminder_settings_save(
            actor=world.other_secretary, organisation=world.agency, enabled={"cell_meetings": False}
        )
    assert not world.agency.reminder_settings.exists()


def test_scanning_twice_sends_nothing_twice(world, referral, django_capture_on_commit_callbacks):
    day = referral.due_on + timedelta(days=10)
    with django_capture_on_commit_callbacks(execute=True):
        first = scan(day)
    sent = len(mail.outbox)
    assert first.created > 0 and sent == first.emails > 0
    with django_capture_on_commit_callbacks(execute=True):
        second = scan(day)
    assert second.found == first.found
    assert second.created == 0
    # The scan task retried (or delivered twice by the broker) the same day: nothing new.
    with at(day), django_capture_on_commit_callbacks(execute=True):
        assert reminders_scan_task.apply().get()["created"] == 0
    assert len(mail.outbox) == sent
    assert reminder_rows().count() == first.created


def test_a_scan_dying_midway_leaves_nothing_half_done(
    world, referral, django_capture_on_commit_callbacks
):
    """A worker lost in the middle of the scan (here: while writing the deliveries) rolls the
    whole scan back; the scan run again (acks_late redelivers it) sends everything once."""
    day = referral.due_on + timedelta(days=10)
    with (
        # Every row is written; the worker is lost before the transaction commits.
        mock.patch(
            "partyreg.notifications.delivery.transaction.on_commit",
            side_effect=RuntimeError("lost"),
        ),
        pytest.raises(RuntimeError),
    ):
        scan(day)
    assert (reminder_rows(Reminder).count(), reminder_rows().count()) == (0, 0)
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        again = scan(day)
    assert again.created == again.found > 0
    assert len(mail.outbox) == again.emails > 0


def test_messages_are_written_in_the_site_language(world, referral, settings):
    """Subjects and bodies are composed through gettext in the site's language (Vietnamese),
    whatever language the caller runs in; the email is rendered in it too."""
    settings.LANGUAGE_CODE = "vi"
    languages = []
    real = rules._

    def spy(text):
        languages.append(translation.get_language())
        return real(text)

    with mock.patch.object(rules, "_", spy), translation.override("en"):
        scan(referral.due_on + timedelta(days=10))
    assert languages and set(languages) == {"vi"}
    notification = reminder_rows().get(user=world.member_user)
    english = "You have not yet presented yourself to your residence Party cell"
    with translation.override("vi"):
        expected = translation.gettext(english)
    assert notification.subject == expected != english
    from partyreg.notifications.delivery import render_email

    text, html = render_email(notification)
    assert '<html lang="vi">' in html and notification.subject in text


def test_email_only_to_users_with_an_address(world, referral, django_capture_on_commit_callbacks):
    world.member_user.email = ""
    world.member_user.save(update_fields=["email"])
    with django_capture_on_commit_callbacks(execute=True):
        scan(referral.due_on + timedelta(days=10))
    member_email = Delivery.objects.get(
        notification__user=world.member_user, channel=Delivery.Channel.EMAIL
    )
    assert member_email.status == Delivery.Status.SKIPPED
    assert "no email address" in member_email.last_error
    assert reminder_rows().filter(user=world.member_user).count() == 1
    recipients = {address for message in mail.outbox for address in message.to}
    assert world.secretary.email in recipients
    assert world.member_user.email not in recipients
    (message,) = [m for m in mail.outbox if "not presented" in m.subject]
    assert message.to == [world.secretary.email]
    assert message.alternatives[0][1] == "text/html"
    assert "Nguyễn Văn An" in message.body and "Nguyễn Văn An" in message.alternatives[0][0]


def _due_everywhere(world, count: int, start: int):
    """``count`` members with logins, each with an overdue referral and an open comment."""
    members = [
        MemberFactory(
            workplace_org=world.cell,
            residence_commune=world.commune,
            user=UserFactory(username=f"m{start + i}"),
        )
        for i in range(count)
    ]
    with at(ISSUED_ON, 9):
        for member in members:
            referral = services.referral_issue(actor=world.secretary, member=member)
            if member.pk % 2:
                services.referral_receive(actor=world.commune_officer, referral=referral)
                services.referral_assign(
                    actor=world.commune_officer,
                    referral=referral,
                    residence_cell=world.residence_cell,
                )


def _scan_queries(day: date) -> tuple[int, int]:
    Reminder.objects.all().delete()
    with at(day), CaptureQueriesContext(connection) as captured:
        result = reminders.reminders_scan(day)
    return len(captured), result.created


def test_the_scan_costs_the_same_queries_with_ten_times_the_members(world):
    day = date(2026, 6, 10)
    _due_everywhere(world, 3, 0)
    small, small_created = _scan_queries(day)
    _due_everywhere(world, 27, 100)
    large, large_created = _scan_queries(day)
    # Per-member messages grow tenfold; digests to committees stay one per organisation.
    assert large_created > 4 * small_created
    assert large == small
    assert Member.objects.count() >= 30


def test_run_reminders_command_scans_and_reports(world, referral, capsys):
    with at(referral.due_on + timedelta(days=10)):
        call_command("run_reminders")
    out = capsys.readouterr().out
    assert "new notifications" in out
    assert reminder_rows().filter(user=world.member_user).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_schedulers_scanning_at_once_create_each_reminder_once(world):
    _due_everywhere(world, 12, 0)
    day = date(2026, 6, 10)
    expected = len({m.identity for m in reminders.reminders_due(day)})
    barrier = threading.Barrier(2)
    created, errors = [], []

    def scheduler():
        try:
            barrier.wait(timeout=10)
            created.append(reminders.reminders_scan(day).created)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    with at(day):
        threads = [threading.Thread(target=scheduler) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    assert errors == []
    assert sum(created) == expected > 12
    assert reminder_rows(Reminder).count() == reminder_rows().count() == expected
