"""Notifications: once only through the database, whatever the queue, the workers or Redis do."""

import threading
from datetime import timedelta
from smtplib import SMTPException
from unittest import mock

import pytest
import time_machine
from celery.exceptions import Retry
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from partyreg import celery_app
from partyreg.models import Delivery, Notification, Reminder
from partyreg.notifications import delivery as notifications
from partyreg.notifications.handover import RULE_PREFIX
from partyreg.notifications.tasks import retry_countdown, send_delivery_task, sweep_deliveries_task
from partyreg.scheduler import EmbeddedScheduler
from tests.members.factories import UserFactory

Status = Delivery.Status


def message(user, target="thing:1", period="2026-W47", rule="test_rule"):
    return notifications.Message(
        rule=rule,
        target=target,
        period=period,
        recipient_id=user.pk,
        subject="Việc cần làm",
        body="Nội dung nhắc việc",
        url="/members/",
    )


def email_of(notification) -> Delivery:
    return notification.deliveries.get(channel=Delivery.Channel.EMAIL)


@pytest.fixture
def user(db):
    return UserFactory(username="thu", email="thu@example.vn")


def test_a_message_is_created_once_whatever_the_number_of_calls(user):
    first = notifications.notify_many([message(user), message(user)])
    again = notifications.notify_many([message(user)])
    assert first.created == 1
    assert again.created == 0 and again.email_ids == []
    assert Reminder.objects.count() == Notification.objects.count() == 1
    assert Delivery.objects.filter(channel="email", status=Status.PENDING).count() == 1
    assert Delivery.objects.filter(channel="in_app", status=Status.SENT).count() == 1


def test_another_period_is_another_message(user):
    notifications.notify(message(user, period="2026-W47"))
    notifications.notify(message(user, period="2026-W48"))
    assert Notification.objects.count() == 2


def test_a_user_without_an_address_gets_the_message_in_the_app_only(db):
    nobody = UserFactory(username="khong", email="")
    notification = notifications.notify(message(nobody))
    delivery = email_of(notification)
    assert delivery.status == Status.SKIPPED
    assert notifications.delivery_send(delivery.pk) == "not-claimed"
    assert mail.outbox == []


def test_a_retried_or_duplicated_task_sends_once(user):
    notification = notifications.notify(message(user))
    delivery = email_of(notification)
    assert send_delivery_task.apply(args=[delivery.pk]).get() == "sent"
    assert send_delivery_task.apply(args=[delivery.pk]).get() == "not-claimed"
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.subject == "Việc cần làm"
    assert sent.extra_headers["Message-ID"] == f"<delivery-{delivery.pk}@partyreg>"
    assert "http://127.0.0.1:8000/members/" in sent.body
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.claimed_at) == (Status.SENT, 1, None)


def test_a_worker_dying_before_the_send_leaves_it_to_the_sweep(user):
    delivery = email_of(notifications.notify(message(user)))
    # The worker claimed the row, then died before talking to the mail server.
    assert notifications._claim(delivery.pk)
    # Its redelivered task finds the claim fresh and leaves it alone; so does the sweep.
    assert notifications.delivery_send(delivery.pk) == "not-claimed"
    assert notifications.deliveries_to_sweep() == []
    later = timezone.now() + timedelta(minutes=16)
    with time_machine.travel(later, tick=False):
        assert notifications.deliveries_sweep() == 1
        assert notifications.deliveries_sweep() == 0
    assert len(mail.outbox) == 1
    delivery.refresh_from_db()
    assert delivery.status == Status.SENT and delivery.attempts == 2


def test_a_worker_dying_after_the_send_is_the_documented_at_least_once_window(user):
    """The mail server accepted the message, the worker died before marking it sent: the
    sweep sends it again. This pins the trade-off partyreg.notifications.delivery documents."""
    delivery = email_of(notifications.notify(message(user)))
    assert notifications._claim(delivery.pk)
    mail.EmailMessage("Việc cần làm", "…", to=[delivery.address]).send()
    with time_machine.travel(timezone.now() + timedelta(minutes=16), tick=False):
        notifications.deliveries_sweep()
    assert len(mail.outbox) == 2
    delivery.refresh_from_db()
    assert delivery.status == Status.SENT


def test_a_mail_failure_releases_the_claim_and_ends_as_failed(user, settings):
    delivery = email_of(notifications.notify(message(user)))
    with mock.patch(
        "django.core.mail.EmailMultiAlternatives.send", side_effect=SMTPException("421 busy")
    ):
        assert send_delivery_task.apply(args=[delivery.pk]).get() == "failed-will-retry"
        delivery.refresh_from_db()
        assert (delivery.status, delivery.claimed_at, delivery.attempts) == (
            Status.PENDING,
            None,
            1,
        )
        assert "421 busy" in delivery.last_error
        for _ in range(settings.PARTYREG["DELIVERY_MAX_ATTEMPTS"] - 1):
            send_delivery_task.apply(args=[delivery.pk])
    delivery.refresh_from_db()
    assert delivery.status == Status.FAILED
    assert notifications.deliveries_sweep() == 0
    assert mail.outbox == []


def test_retries_back_off_exponentially():
    waits = [retry_countdown(n) for n in range(5)]
    assert all(later > earlier for earlier, later in zip(waits, waits[1:], strict=False))
    assert waits[0] >= 60 and retry_countdown(20) <= 3630


def test_one_send_task_per_email_queued_only_after_commit(user, django_capture_on_commit_callbacks):
    nobody = UserFactory(username="khong", email="")
    others = [UserFactory(username=f"u{i}", email=f"u{i}@example.vn") for i in range(2)]
    with mock.patch.object(send_delivery_task, "apply_async") as apply_async:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            result = notifications.notify_many(
                [message(u, target=f"t:{u.pk}") for u in [user, nobody, *others]]
            )
        assert apply_async.call_count == 0  # nothing leaves before the rows are committed
        for callback in callbacks:
            callback()
    queued = [c.kwargs["args"] for c in apply_async.call_args_list]
    assert sorted(queued) == sorted([[pk] for pk in result.email_ids])
    assert len(queued) == 3  # one per user with an address, each a primary key


def test_a_mail_failure_in_a_worker_is_retried_with_backoff(user):
    delivery = email_of(notifications.notify(message(user)))
    send_delivery_task.push_request(id="retry-test", retries=2, is_eager=False)
    try:
        with (
            mock.patch(
                "django.core.mail.EmailMultiAlternatives.send",
                side_effect=SMTPException("421 busy"),
            ),
            mock.patch.object(send_delivery_task, "retry", side_effect=Retry()) as retry,
            pytest.raises(Retry),
        ):
            send_delivery_task.run(delivery.pk)
    finally:
        send_delivery_task.pop_request()
    assert 240 <= retry.call_args.kwargs["countdown"] <= 270  # the third wait: ~4 minutes
    assert isinstance(retry.call_args.kwargs["exc"], SMTPException)
    delivery.refresh_from_db()
    # The claim is given back so the retry (or the sweep) can take it.
    assert (delivery.status, delivery.claimed_at, delivery.attempts) == (Status.PENDING, None, 1)


def test_tasks_have_time_limits_and_are_acknowledged_late():
    from evaluations.reminders.tasks import reminders_scan_task

    for task in (send_delivery_task, sweep_deliveries_task, reminders_scan_task):
        assert 0 < task.soft_time_limit < task.time_limit, task.name
    assert send_delivery_task.acks_late and reminders_scan_task.acks_late
    assert send_delivery_task.max_retries >= 3


def test_the_delivery_log_shows_each_message_with_its_outcome(world, login, settings):
    settings.LANGUAGE_CODE = "en"
    sent = email_of(notifications.notify(message(world.secretary, target="log:1")))
    send_delivery_task.apply(args=[sent.pk])
    notifications.notify(message(UserFactory(username="khong", email=""), target="log:2"))
    page = login(world.admin).get("/admin/partyreg/delivery/")
    assert page.status_code == 200
    html = page.content.decode()
    assert sent.address in html
    for outcome in ("Sent", "Skipped", "In the application"):
        assert outcome in html
    assert login(world.secretary).get("/admin/partyreg/delivery/").status_code == 302


# --- Redis down -----------------------------------------------------------------------------


@pytest.fixture
def broker_down():
    """Tasks really published, to a Redis port where nothing listens."""
    conf = celery_app.conf
    saved = conf.broker_url, conf.task_always_eager
    conf.broker_url = "redis://127.0.0.1:1/0"
    conf.task_always_eager = False
    celery_app._pool = None
    celery_app.amqp._producer_pool = None

    def restore():
        conf.broker_url, conf.task_always_eager = saved
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    yield restore
    restore()


def test_redis_down_the_page_answers_and_the_sweep_sends_once_it_is_back(
    user, login, broker_down, django_capture_on_commit_callbacks
):
    client = login(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/notifications/test/")
    assert response.status_code == 302
    (delivery,) = Delivery.objects.filter(channel=Delivery.Channel.EMAIL)
    assert delivery.status == Status.PENDING and delivery.claimed_at is None
    assert mail.outbox == []
    assert client.get("/notifications/").status_code == 200

    broker_down()  # Redis is back (tasks run in-process here).
    with time_machine.travel(timezone.now() + timedelta(minutes=10), tick=False):
        assert notifications.deliveries_sweep() == 1
        assert notifications.deliveries_sweep() == 0
    assert len(mail.outbox) == 1
    delivery.refresh_from_db()
    assert delivery.status == Status.SENT


def test_redis_down_during_the_daily_scan_loses_no_email(
    world, broker_down, django_capture_on_commit_callbacks
):
    """The scan commits its notifications even though no task can be queued; the bell shows
    them at once, and every email goes out once when the broker is back."""
    from evaluations.reminders.scan import reminders_scan
    from residence import services

    with time_machine.travel("2026-03-02 09:00 +07:00", tick=False):
        referral = services.referral_issue(actor=world.secretary, member=world.member)
    # The commune's hand-over notification is tests/partyreg/test_handovers.py's.
    Reminder.objects.filter(rule__startswith=RULE_PREFIX).delete()
    day = referral.due_on + timedelta(days=10)
    with (
        time_machine.travel(f"{day.isoformat()} 06:00 +07:00", tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        result = reminders_scan(day)
    assert result.created > 0 and result.emails > 0
    assert mail.outbox == []
    pending = Delivery.objects.filter(channel=Delivery.Channel.EMAIL, status=Status.PENDING)
    assert pending.count() == result.emails
    assert notifications.unread_count(world.member_user) == 1

    broker_down()  # Redis is back (tasks run in-process here).
    with time_machine.travel(f"{day.isoformat()} 06:10 +07:00", tick=False):
        assert notifications.deliveries_sweep() == result.emails
        assert notifications.deliveries_sweep() == 0
    assert len(mail.outbox) == result.emails
    assert len({m.extra_headers["Message-ID"] for m in mail.outbox}) == result.emails


# --- Two schedulers at once -----------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_scans_at_once_create_each_reminder_once():
    users = [UserFactory(username=f"u{i}", email=f"u{i}@example.vn") for i in range(40)]
    batch = [message(u, target=f"thing:{i}") for i, u in enumerate(users)]
    barrier = threading.Barrier(2)
    created = []

    def scheduler():
        try:
            barrier.wait(timeout=10)
            created.append(notifications.notify_many(batch).created)
        finally:
            connection.close()

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sum(created) == 40
    assert Reminder.objects.count() == Notification.objects.count() == 40
    assert Delivery.objects.filter(channel="email").count() == 40


# --- The embedded scheduler -----------------------------------------------------------------


def test_the_embedded_scheduler_runs_the_beat_schedule_once_per_due_time(db):
    """Whatever entries the schedule holds, each runs once when due and not again until its
    next time; the daily scan runs once a day."""
    schedule = celery_app.conf.beat_schedule
    daily = "reminders-daily-scan"
    assert {daily, "deliveries-sweep"} <= set(schedule)
    scheduler = EmbeddedScheduler(celery_app)
    ran_tasks = []
    with (
        mock.patch.object(
            celery_app.Task, "apply", autospec=True, side_effect=lambda t, **k: ran_tasks.append(t)
        ),
    ):
        with time_machine.travel("2026-11-22 10:00 +07:00", tick=False):
            # On start every entry runs once, so a site started after 06:00 still scans today.
            assert sorted(scheduler.tick()) == sorted(schedule)
            assert sorted(t.name for t in ran_tasks) == sorted(e["task"] for e in schedule.values())
            assert scheduler.tick() == []
        with time_machine.travel("2026-11-22 10:11 +07:00", tick=False):
            later = scheduler.tick()
            assert "deliveries-sweep" in later and daily not in later
            assert scheduler.tick() == []
        with time_machine.travel("2026-11-22 23:59 +07:00", tick=False):
            assert daily not in scheduler.tick()
        with time_machine.travel("2026-11-23 06:01 +07:00", tick=False):
            assert daily in scheduler.tick()
            assert scheduler.tick() == []
    scans = [t for t in ran_tasks if t.name == schedule[daily]["task"]]
    assert len(scans) == 2


# --- The bell and the list ------------------------------------------------------------------


def test_the_bell_counts_unread_and_the_list_marks_read(user, login, client):
    first = notifications.notify(message(user, target="a:1"))
    notifications.notify(message(user, target="a:2"))
    other = notifications.notify(message(UserFactory(username="khac"), target="a:3"))
    login(user)

    badge = client.get("/notifications/badge/")
    assert ">2<" in badge.content.decode()
    page = client.get("/notifications/")
    assert page.status_code == 200 and "Việc cần làm" in page.content.decode()

    opened = client.get(f"/notifications/{first.pk}/")
    assert opened.status_code == 302 and opened["Location"] == "/members/"
    assert notifications.unread_count(user) == 1
    assert client.get(f"/notifications/{other.pk}/").status_code == 404

    client.post("/notifications/read/")
    assert notifications.unread_count(user) == 0
    assert ">2<" not in client.get("/notifications/badge/").content.decode()


def test_every_page_has_the_bell(world, login):
    page = login(world.secretary).get("/members/").content.decode()
    assert 'href="/notifications/"' in page and 'hx-get="/notifications/badge/"' in page


def test_the_bell_costs_one_query_whatever_the_count(user, login):
    client = login(user)
    client.get("/notifications/badge/")

    def notification_queries() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as captured:
            client.get("/notifications/badge/")
        sql = [q["sql"] for q in captured.captured_queries]
        return len(sql), sum("partyreg_notification" in q for q in sql)

    before = notification_queries()
    notifications.notify_many([message(user, target=f"b:{i}") for i in range(10)])
    assert notification_queries() == before
    assert before[1] == 1


def test_the_list_costs_the_same_queries_with_ten_times_the_notifications(user, login):
    client = login(user)
    notifications.notify_many([message(user, target=f"c:{i}") for i in range(3)])
    client.get("/notifications/")

    def list_queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/notifications/").status_code == 200
        return len(captured)

    small = list_queries()
    notifications.notify_many([message(user, target=f"d:{i}") for i in range(27)])
    assert list_queries() == small


def test_notification_pages_need_a_login(client, db):
    for url in ("/notifications/", "/notifications/badge/", "/notifications/1/"):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_email_links_use_the_configured_site_address(user, settings):
    settings.PARTYREG = {**settings.PARTYREG, "SITE_URL": "https://partyreg.example.vn"}
    delivery = email_of(notifications.notify(message(user)))
    assert send_delivery_task.apply(args=[delivery.pk]).get() == "sent"
    (sent,) = mail.outbox
    assert "https://partyreg.example.vn/members/" in sent.body
    assert "127.0.0.1" not in sent.body
    assert "https://partyreg.example.vn/members/" in sent.alternatives[0][0]
