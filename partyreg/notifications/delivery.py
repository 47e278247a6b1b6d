"""Notifications: in-app messages under the bell and email, each sent once.

Knows no domain: callers (``evaluations.reminders``, and the hand-overs of every app through
``handover``) hand in ``Message`` values; this module turns the new ones into rows and mail.

Once, and where the guarantee comes from
-----------------------------------------
1. **Creating.** ``notify_many`` inserts one ``Reminder`` row per (rule, target, period,
   recipient) with ``INSERT … ON CONFLICT DO NOTHING``; only the rows it inserted (on
   PostgreSQL, those its ``RETURNING`` gives back; on SQLite, those carrying its own ``batch``
   id) get a ``Notification`` and its ``Delivery`` rows, in the same transaction. A second
   scan the same day, a retried scan task, or two schedulers running at once meet the unique
   constraint (on PostgreSQL the second insert waits for the first transaction and then
   does nothing) and create nothing. The queue is never trusted for this.
2. **Sending email.** ``delivery_send`` runs three short steps, each its own statement:
   *claim* (``UPDATE … SET claimed_at = now WHERE status = 'pending' AND claim free or stale``),
   *send* (outside any transaction: the mail server is not part of the database),
   *mark* (``UPDATE … SET status = 'sent' WHERE status = 'pending'``). A task delivered twice,
   or retried after it sent, finds the row claimed or sent and does nothing.
3. **A worker dying mid-task.** If it dies after the claim and before the send, the row stays
   pending with a claim; once the claim is older than ``DELIVERY_CLAIM_MINUTES`` the sweep
   (every 10 minutes) sends it: nothing is lost. If it dies *after* the mail server accepted
   the message and *before* the mark, the sweep sends it again: the recipient gets it twice.
   That window (milliseconds between the SMTP answer and one UPDATE) cannot be closed while
   the mail server is outside the transaction, so email is **at least once**; everything
   else (reminders, notifications, deliveries, the in-app list) is exactly once. Each email
   carries a Message-ID derived from the delivery, so mail clients that fold duplicates will.
4. **Redis down.** Rows are committed before anything is queued; a failed enqueue is logged
   and the delivery stays pending, so the sweep sends it when the broker is back.
5. **The user's choice.** ``creation`` gives the email delivery the status the recipient's
   ``NotificationPreference`` asks for: pending (sent at once, as above), ``digest`` (waits
   for the daily summary, ``digest``) or skipped (no email wanted). The bell is the same for all.
"""

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from email.mime.text import MIMEText

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ..models import Delivery, Notification
from ..web import site_url
from .creation import create_rows

logger = logging.getLogger("partyreg.notifications.delivery")

Status = Delivery.Status
Channel = Delivery.Channel
# Deliveries younger than this are left to the task queued when they were committed.
SWEEP_GRACE = timedelta(minutes=2)


@dataclass(frozen=True)
class Attachment:
    """A file mailed with a message (a calendar invitation): its name, MIME type and text."""

    name: str
    mimetype: str
    content: str


@dataclass(frozen=True)
class Message:
    """One message to one user; (rule, target, period, recipient_id) identifies it for ever."""

    rule: str
    target: str
    period: str
    recipient_id: int
    subject: str
    body: str
    url: str = ""
    attachment: Attachment | None = None

    @property
    def identity(self) -> tuple[str, str, str, int]:
        return (self.rule, self.target, self.period, self.recipient_id)


@dataclass
class NotifyResult:
    """What a call created: its notifications (id and rule) and the emails it queued."""

    notification_ids: list[int]
    by_rule: dict[str, int]
    email_ids: list[int]

    @property
    def created(self) -> int:
        return len(self.notification_ids)


@transaction.atomic
def notify_many(messages: Iterable[Message]) -> NotifyResult:
    """Creates the messages never created before; queues their email after commit.

    Messages are inserted in a fixed order so two scans running at once wait on each other
    row by row instead of deadlocking.
    """
    by_identity = {m.identity: m for m in messages}
    if not by_identity:
        return NotifyResult([], {}, [])
    created, email_ids = create_rows(by_identity, batch=uuid.uuid4(), now=timezone.now())
    by_rule: dict[str, int] = {}
    for _pk, rule in created:
        by_rule[rule] = by_rule.get(rule, 0) + 1
    transaction.on_commit(lambda: enqueue_deliveries(email_ids))
    return NotifyResult([pk for pk, _rule in created], by_rule, email_ids)


def notify(message: Message) -> Notification | None:
    """One message; None when it had been created before."""
    result = notify_many([message])
    if not result.notification_ids:
        return None
    return Notification.objects.get(pk=result.notification_ids[0])


def enqueue_deliveries(delivery_ids: list[int]) -> int:
    """Queues one send task per delivery; returns how many were queued.

    A broker that does not answer must not break the page or the scan that committed the rows:
    the failure is logged once and the rest is left pending for the sweep.
    """
    from ..celery import app
    from .tasks import send_delivery_task

    queued = 0
    if not delivery_ids:
        return queued
    try:
        # One producer (one broker connection) for the whole list, not one per task.
        with app.producer_or_acquire() as producer:
            for delivery_id in delivery_ids:
                send_delivery_task.apply_async(
                    args=[delivery_id],
                    retry=False,
                    producer=producer,
                    # Celery's own safe repr of the arguments costs a quarter of a send.
                    argsrepr=f"({delivery_id},)",
                    kwargsrepr="{}",
                )
                queued += 1
    except Exception:
        logger.warning(
            "Could not queue %d email deliveries (first %s); the sweep will send them.",
            len(delivery_ids) - queued,
            delivery_ids[queued],
            exc_info=True,
        )
    return queued


# --- Sending one email ---------------------------------------------------------------------


def _claim(delivery_id: int) -> bool:
    now = timezone.now()
    stale = now - timedelta(minutes=settings.PARTYREG["DELIVERY_CLAIM_MINUTES"])
    return bool(
        Delivery.objects.filter(pk=delivery_id, channel=Channel.EMAIL, status=Status.PENDING)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=stale))
        .update(claimed_at=now, attempts=F("attempts") + 1)
    )


def render_email(notification: Notification) -> tuple[str, str]:
    """The body in the site's language, as text and as HTML."""
    context = {
        "notification": notification,
        "user": notification.user,
        "link": site_url(notification.url or ""),
        "site_url": site_url(),
    }
    with translation.override(settings.LANGUAGE_CODE):
        text = render_to_string("notifications/email.txt", context)
        html = render_to_string("notifications/email.html", context)
    return text, html


def attach_file(email: EmailMultiAlternatives, notification: Notification) -> None:
    """Attaches the notification's file, keeping the parameters of its type: a calendar
    invitation needs ``method=REQUEST`` on its part for mail programs to offer "add"."""
    if not notification.attachment_name:
        return
    kind, *parameters = (p.strip() for p in notification.attachment_type.split(";"))
    maintype, _slash, subtype = kind.partition("/")
    if maintype != "text":
        email.attach(notification.attachment_name, notification.attachment, kind)
        return
    part = MIMEText(notification.attachment, subtype, "utf-8")
    for parameter in parameters:
        name, _equals, value = parameter.partition("=")
        part.set_param(name.strip(), value.strip())
    part.add_header("Content-Disposition", "attachment", filename=notification.attachment_name)
    email.attach(part)


def delivery_send(delivery_id: int) -> str:
    """Sends one email delivery if nobody else is sending or has sent it; returns the outcome.

    Raises the mail error (after releasing the claim) so the task can retry with backoff.
    """
    if not _claim(delivery_id):
        return "not-claimed"
    delivery = Delivery.objects.select_related("notification__user").get(pk=delivery_id)
    notification = delivery.notification
    text, html = render_email(notification)
    email = EmailMultiAlternatives(
        subject=notification.subject,
        body=text,
        to=[delivery.address],
        headers={"Message-ID": f"<delivery-{delivery.pk}@partyreg>"},
    )
    email.attach_alternative(html, "text/html")
    attach_file(email, notification)
    try:
        email.send(fail_silently=False)
    except Exception as error:
        delivery_release(delivery_id, error)
        raise
    marked = Delivery.objects.filter(pk=delivery_id, status=Status.PENDING).update(
        status=Status.SENT, sent_at=timezone.now(), claimed_at=None, last_error=""
    )
    return "sent" if marked else "already-marked"


def delivery_release(delivery_id: int, error: BaseException) -> None:
    """Gives the claim back after a failed attempt; past the last attempt, marks it failed."""
    message = f"{type(error).__name__}: {error}"[:2000]
    Delivery.objects.filter(pk=delivery_id, status=Status.PENDING).update(
        claimed_at=None, last_error=message
    )
    Delivery.objects.filter(
        pk=delivery_id,
        status=Status.PENDING,
        attempts__gte=settings.PARTYREG["DELIVERY_MAX_ATTEMPTS"],
    ).update(status=Status.FAILED)


def deliveries_to_sweep(now=None) -> list[int]:
    """Email deliveries still pending: never claimed (queueing failed) or claimed long ago."""
    now = now or timezone.now()
    stale = now - timedelta(minutes=settings.PARTYREG["DELIVERY_CLAIM_MINUTES"])
    return list(
        Delivery.objects.filter(channel=Channel.EMAIL, status=Status.PENDING)
        .filter(
            Q(claimed_at__isnull=True, created_at__lt=now - SWEEP_GRACE) | Q(claimed_at__lt=stale)
        )
        .order_by("id")
        .values_list("id", flat=True)
    )


def deliveries_sweep(now=None) -> int:
    """Queues a send task for every delivery left behind; returns how many were queued."""
    return enqueue_deliveries(deliveries_to_sweep(now))


# --- The bell and the list -----------------------------------------------------------------


def unread_count(user) -> int:
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def notification_list(user):
    return Notification.objects.filter(user=user).order_by("-created_at", "-id")


def notification_open(*, user, notification_id: int) -> Notification:
    """The user's notification, marked read; raises Notification.DoesNotExist for others'."""
    notification = Notification.objects.get(pk=notification_id, user=user)
    if notification.read_at is None:
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=timezone.now()
        )
    return notification


def notifications_mark_all_read(*, user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def notification_send_test(*, user) -> Notification:
    """A message to the user themselves: shows that the bell and the mail reach them."""
    now = timezone.now()
    locked = get_user_model().objects.get(pk=user.pk)
    with translation.override(settings.LANGUAGE_CODE):
        message = Message(
            rule="test",
            target=f"user:{locked.pk}",
            period=now.isoformat(),
            recipient_id=locked.pk,
            subject=_("Test message from partyreg"),
            body=_("This message shows that notifications reach you. Nothing needs to be done."),
            url=reverse("notification_list"),
        )
    return notify(message)
