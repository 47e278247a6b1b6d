"""Each user's choice of notification email (at once, one summary a day, none), the daily
summary sent once per user and day, files attached to email, and the choice's page."""

import email as email_parser
from datetime import datetime, timedelta
from smtplib import SMTPException
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from partyreg.models import Delivery, Digest, Notification, NotificationPreference
from partyreg.notifications import delivery as notifications
from partyreg.notifications import digest, preferences
from partyreg.notifications.delivery import Attachment, Message
from partyreg.notifications.handover import handover, handovers_to
from partyreg.notifications.tasks import compose_digests_task, send_digest_task
from tests.members.factories import UserFactory
from tests.partyreg.handover_helpers import email_of

pytestmark = pytest.mark.django_db
Status = Delivery.Status
Choice = NotificationPreference.Email
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
CALENDAR = Attachment(
    name="sinh-hoat.ics",
    mimetype="text/calendar; method=REQUEST",
    content="BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n",
)


def at(day: str, hour: int):
    return time_machine.travel(datetime.fromisoformat(f"{day}T{hour:02d}:00").replace(tzinfo=TZ))


def told(user, n: int, *, attachment=None) -> Notification:
    return notifications.notify(
        handover(
            event="thing.done",
            target=f"thing:{n}",
            recipient_id=user.pk,
            subject=f"Việc số {n}",
            body=f"Nội dung việc {n}",
            url=f"/things/{n}/",
            attachment=attachment,
        )
    )


def choose(user, choice):
    return preferences.notification_preference_save(user=user, email=choice)


@pytest.fixture
def user():
    return UserFactory(username="thu", email="thu@example.vn")


# --- The choice decides the email, never the bell ---------------------------------------------


def test_without_a_choice_each_email_goes_at_once(user, django_capture_on_commit_callbacks):
    assert preferences.email_choice(user) == Choice.IMMEDIATE
    with django_capture_on_commit_callbacks(execute=True):
        notification = told(user, 1)
    assert email_of(notification).status == Status.SENT
    (sent,) = mail.outbox
    assert sent.subject == "Việc số 1"


def test_no_email_leaves_the_bell_alone(user, django_capture_on_commit_callbacks):
    choose(user, Choice.NONE)
    with django_capture_on_commit_callbacks(execute=True):
        notification = told(user, 1)
    assert notifications.unread_count(user) == 1
    delivery = email_of(notification)
    assert delivery.status == Status.SKIPPED
    assert "no email" in delivery.last_error
    assert mail.outbox == []


def test_a_daily_summary_carries_the_days_notifications_once(
    user, django_capture_on_commit_callbacks
):
    choose(user, Choice.DIGEST)
    with at("2026-11-20", 9), django_capture_on_commit_callbacks(execute=True):
        first, second = told(user, 1), told(user, 2)
    assert notifications.unread_count(user) == 2
    assert mail.outbox == []
    assert {email_of(n).status for n in (first, second)} == {Status.DIGEST}

    with at("2026-11-21", 6), django_capture_on_commit_callbacks(execute=True):
        assert compose_digests_task.apply().get() == 1
        assert compose_digests_task.apply().get() == 0
    (sent,) = mail.outbox
    assert sent.to == ["thu@example.vn"]
    # In the site's language, as every email.
    assert sent.subject == "partyreg: 2 thông báo ngày 21/11/2026"
    assert "Việc số 1" in sent.body and "Việc số 2" in sent.body
    assert "http://127.0.0.1:8000/things/2/" in sent.body
    html = sent.alternatives[0][0]
    assert "Việc số 1" in html and "/things/1/" in html
    summary = Digest.objects.get()
    assert (summary.status, summary.day.isoformat()) == (Status.SENT, "2026-11-21")
    assert sent.extra_headers["Message-ID"] == f"<digest-{summary.pk}@partyreg>"
    assert {email_of(n).status for n in (first, second)} == {Status.SENT}
    assert send_digest_task.apply(args=[summary.pk]).get() == "not-claimed"
    assert len(mail.outbox) == 1


def test_what_comes_after_the_days_summary_waits_for_the_next(
    user, django_capture_on_commit_callbacks
):
    choose(user, Choice.DIGEST)
    with at("2026-11-20", 9):
        told(user, 1)
    with at("2026-11-21", 6), django_capture_on_commit_callbacks(execute=True):
        digest.digests_compose()
    with at("2026-11-21", 10):
        late = told(user, 2)
    # The scheduler started again at noon: today's summary is gone, nothing is sent twice.
    with at("2026-11-21", 12), django_capture_on_commit_callbacks(execute=True):
        assert digest.digests_compose() == []
    assert len(mail.outbox) == 1
    assert email_of(late).status == Status.DIGEST
    with at("2026-11-22", 6), django_capture_on_commit_callbacks(execute=True):
        assert len(digest.digests_compose()) == 1
    assert len(mail.outbox) == 2
    assert "Việc số 2" in mail.outbox[1].body and "Việc số 1" not in mail.outbox[1].body
    assert Digest.objects.count() == 2


def test_each_user_gets_their_own_summary(django_capture_on_commit_callbacks):
    users = [UserFactory(username=f"u{i}", email=f"u{i}@example.vn") for i in range(3)]
    for user in users:
        choose(user, Choice.DIGEST)
    with at("2026-11-20", 9):
        notifications.notify_many(
            handovers_to(
                [u.pk for u in users], event="e", target="t:1", subject="S", body="B", url=""
            )
        )
        told(users[0], 7)
    with at("2026-11-21", 6), django_capture_on_commit_callbacks(execute=True):
        assert len(digest.digests_compose()) == 3
    by_address = {m.to[0]: m for m in mail.outbox}
    assert set(by_address) == {"u0@example.vn", "u1@example.vn", "u2@example.vn"}
    assert "Việc số 7" in by_address["u0@example.vn"].body
    assert "Việc số 7" not in by_address["u1@example.vn"].body


def test_a_failing_summary_is_retried_then_marked_failed(
    user, settings, django_capture_on_commit_callbacks
):
    choose(user, Choice.DIGEST)
    with at("2026-11-20", 9):
        notification = told(user, 1)
    with (
        mock.patch(
            "django.core.mail.EmailMultiAlternatives.send", side_effect=SMTPException("421 busy")
        ),
        at("2026-11-21", 6),
    ):
        with django_capture_on_commit_callbacks(execute=True):
            (summary_id,) = digest.digests_compose()
        summary = Digest.objects.get(pk=summary_id)
        assert (summary.status, summary.claimed_at, summary.attempts) == (Status.PENDING, None, 1)
        assert "421 busy" in summary.last_error
        for _ in range(settings.PARTYREG["DELIVERY_MAX_ATTEMPTS"] - 1):
            send_digest_task.apply(args=[summary_id])
    assert Digest.objects.get().status == Status.FAILED
    assert email_of(notification).status == Status.FAILED
    assert digest.digests_sweep() == 0
    assert mail.outbox == []


def test_the_sweep_sends_a_summary_whose_task_was_lost(user):
    choose(user, Choice.DIGEST)
    with at("2026-11-20", 9):
        told(user, 1)
    with at("2026-11-21", 6):
        # Composed, but the queue never got the task (no on-commit run here).
        digest.digests_compose()
    with at("2026-11-21", 6) as clock:
        clock.shift(timedelta(minutes=10))
        assert digest.digests_sweep() == 1
        assert digest.digests_sweep() == 0
    assert len(mail.outbox) == 1


def test_leaving_the_summary_sends_or_drops_what_waits(django_capture_on_commit_callbacks):
    now_user, never_user = UserFactory(username="ngay"), UserFactory(username="khong")
    for user in (now_user, never_user):
        choose(user, Choice.DIGEST)
        told(user, 1)
    with django_capture_on_commit_callbacks(execute=True):
        choose(now_user, Choice.IMMEDIATE)
        choose(never_user, Choice.NONE)
    (sent,) = mail.outbox
    assert sent.to == [now_user.email]
    (dropped,) = Delivery.objects.filter(notification__user=never_user, channel="email")
    assert dropped.status == Status.SKIPPED
    assert digest.digests_compose() == []


def test_a_user_without_an_address_has_nothing_to_summarise(django_capture_on_commit_callbacks):
    user = UserFactory(username="khongthu", email="")
    choose(user, Choice.DIGEST)
    notification = told(user, 1)
    assert email_of(notification).status == Status.SKIPPED
    with django_capture_on_commit_callbacks(execute=True):
        assert digest.digests_compose() == []
    assert mail.outbox == []


def test_a_choice_outside_the_list_is_refused(user):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        choose(user, "hourly")
    assert not NotificationPreference.objects.exists()


# --- Files with the email ----------------------------------------------------------------------


def _calendar_part(message):
    parsed = email_parser.message_from_bytes(message.message().as_bytes())
    return next(p for p in parsed.walk() if p.get_content_type() == "text/calendar")


def test_a_file_travels_with_the_email_and_in_the_summary(user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        told(user, 1, attachment=CALENDAR)
    part = _calendar_part(mail.outbox[0])
    assert part.get_param("method") == "REQUEST"
    assert part.get_filename() == "sinh-hoat.ics"
    assert "METHOD:REQUEST" in part.get_payload(decode=True).decode()

    choose(user, Choice.DIGEST)
    with at("2026-11-20", 9):
        told(user, 2, attachment=CALENDAR)
    with at("2026-11-21", 6), django_capture_on_commit_callbacks(execute=True):
        digest.digests_compose()
    assert _calendar_part(mail.outbox[1]).get_filename() == "sinh-hoat.ics"


# --- The hand-over keys -----------------------------------------------------------------------


def test_a_handover_is_keyed_by_event_thing_version_and_recipient(user):
    other = UserFactory(username="khac")
    fields = {"event": "referral.issued", "target": "referral:5", "subject": "S", "body": "B"}
    messages = handovers_to([user.pk, other.pk, user.pk], actor=other, url="/r/5/", **fields)
    assert messages == [
        Message("handover:referral.issued", "referral:5", "", user.pk, "S", "B", "/r/5/")
    ]
    assert notifications.notify_many(messages).created == 1
    assert notifications.notify_many(messages).created == 0
    moved = handovers_to([user.pk], url="/r/5/", version="2", **fields)
    assert notifications.notify_many(moved).created == 1


# --- The page ---------------------------------------------------------------------------------


def test_the_page_shows_and_saves_the_users_choice(user, login):
    client = login(user)
    page = client.get("/notifications/email/")
    assert page.status_code == 200
    assert page.context["form"].initial["email"] == Choice.IMMEDIATE
    assert "thu@example.vn" in page.content.decode()
    response = client.post("/notifications/email/", {"email": "digest"})
    assert response.status_code == 302 and response.url == "/notifications/email/"
    assert preferences.email_choice(user) == Choice.DIGEST
    assert client.get("/notifications/email/").context["form"].initial["email"] == Choice.DIGEST


def test_the_page_refuses_a_choice_outside_the_list(user, login):
    response = login(user).post("/notifications/email/", {"email": "hourly"})
    assert response.status_code == 200 and response.context["form"].errors
    assert not NotificationPreference.objects.exists()


def test_the_page_is_only_for_a_logged_in_user(client):
    response = client.get("/notifications/email/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    assert client.post("/notifications/email/", {"email": "none"}).status_code == 302
    assert not NotificationPreference.objects.exists()


def test_the_account_menu_leads_to_the_page(user, login):
    assert 'href="/notifications/email/"' in login(user).get("/notifications/").content.decode()
