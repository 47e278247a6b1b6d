"""The daily summary: one email a day carrying the notifications a user chose to get together.

A user whose ``NotificationPreference`` says "one summary a day" gets every notification under
the bell at once, as everyone does; its email delivery is created with the status ``digest``
and waits. Once a day (``partyreg/celery.py``) the waiting deliveries go out in one email per
user, with the same guarantee as single emails (``delivery``):

1. **Composing** (``digests_compose``), in one transaction: today's ``Digest`` row of every
   user with waiting deliveries is inserted if missing (unique per user and day) and locked;
   if it is still pending and unclaimed, the waiting deliveries join it, and a send task per
   summary is queued on commit. A second run the same day finds today's summary claimed or
   sent and leaves what came since for tomorrow's: one summary a day, never two.
2. **Sending** (``digest_send``): claim, send, mark, as for one email; the mark also marks
   the deliveries it carried sent. Each summary carries the files of its notifications
   (calendar invitations). The sweep (every ten minutes) sends a summary whose task was lost
   or whose worker died.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import ngettext

from ..models import Delivery, Digest, Notification
from ..web import site_url
from .creation import NO_ADDRESS
from .delivery import SWEEP_GRACE, attach_file

logger = logging.getLogger("partyreg.notifications.digest")

Status = Delivery.Status
Channel = Delivery.Channel


def _waiting(now):
    return Delivery.objects.filter(
        channel=Channel.EMAIL, status=Status.DIGEST, digest__isnull=True, created_at__lte=now
    )


@transaction.atomic
def digests_compose(now=None) -> list[int]:
    """Puts every waiting email into its user's summary of today; returns the summaries'
    ids, whose send tasks are queued once committed."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    users = dict(
        _waiting(now)
        .order_by()
        .values_list("notification__user_id", "notification__user__email")
        .distinct()
    )
    if not users:
        return []
    without_address = [pk for pk, email in users.items() if not (email or "").strip()]
    if without_address:
        _waiting(now).filter(notification__user_id__in=without_address).update(
            status=Status.SKIPPED, last_error=str(NO_ADDRESS)
        )
    Digest.objects.bulk_create(
        [
            Digest(user_id=pk, day=today, address=email.strip(), created_at=now)
            for pk, email in sorted(users.items())
            if pk not in without_address
        ],
        ignore_conflicts=True,
    )
    # Locked, so a sender claiming one of them waits until the deliveries have joined it.
    open_digests = dict(
        Digest.objects.select_for_update()
        .filter(
            user_id__in=list(users),
            day=today,
            status=Status.PENDING,
            claimed_at__isnull=True,
        )
        .order_by("id")
        .values_list("user_id", "id")
    )
    if not open_digests:
        return []
    # One statement for every user: each waiting delivery joins its own user's summary.
    user_of_delivery = Notification.objects.filter(pk=OuterRef(OuterRef("notification_id")))
    digest_of_user = Digest.objects.filter(
        day=today, user_id=Subquery(user_of_delivery.values("user_id")[:1])
    )
    _waiting(now).filter(notification__user_id__in=list(open_digests)).update(
        digest_id=Subquery(digest_of_user.values("id")[:1])
    )
    open_ids = sorted(open_digests.values())
    transaction.on_commit(lambda: enqueue_digests(open_ids))
    return open_ids


def enqueue_digests(digest_ids: list[int]) -> int:
    """Queues one send task per summary; a broker that does not answer leaves them to the
    sweep."""
    from .tasks import send_digest_task

    queued = 0
    try:
        for digest_id in digest_ids:
            send_digest_task.apply_async(args=[digest_id], retry=False)
            queued += 1
    except Exception:
        logger.warning(
            "Could not queue %d daily summaries; the sweep will send them.",
            len(digest_ids) - queued,
            exc_info=True,
        )
    return queued


# --- Sending one summary -------------------------------------------------------------------


def _claim(digest_id: int) -> bool:
    now = timezone.now()
    stale = now - timedelta(minutes=settings.PARTYREG["DELIVERY_CLAIM_MINUTES"])
    return bool(
        Digest.objects.filter(pk=digest_id, status=Status.PENDING)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=stale))
        .update(claimed_at=now, attempts=F("attempts") + 1)
    )


def render_digest(digest: Digest, notifications: list[Notification]) -> tuple[str, str, str]:
    """Subject, text and HTML of the summary, in the site's language."""
    items = [(n, site_url(n.url or "")) for n in notifications]
    context = {"digest": digest, "user": digest.user, "items": items, "site_url": site_url()}
    with translation.override(settings.LANGUAGE_CODE):
        subject = ngettext(
            "partyreg: %(count)d notification of %(day)s",
            "partyreg: %(count)d notifications of %(day)s",
            len(notifications),
        ) % {"count": len(notifications), "day": f"{digest.day:%d/%m/%Y}"}
        text = render_to_string("notifications/digest.txt", context)
        html = render_to_string("notifications/digest.html", context)
    return subject, text, html


def digest_send(digest_id: int) -> str:
    """Sends one summary if nobody else is sending or has sent it; returns the outcome.

    Raises the mail error (after releasing the claim) so the task can retry with backoff.
    """
    if not _claim(digest_id):
        return "not-claimed"
    digest = Digest.objects.select_related("user").get(pk=digest_id)
    notifications = list(
        Notification.objects.filter(
            deliveries__digest=digest, deliveries__status=Status.DIGEST
        ).order_by("created_at", "id")
    )
    if not notifications:
        Digest.objects.filter(pk=digest_id, status=Status.PENDING).update(
            status=Status.SKIPPED, claimed_at=None
        )
        return "empty"
    subject, text, html = render_digest(digest, notifications)
    email = EmailMultiAlternatives(
        subject=subject,
        body=text,
        to=[digest.address],
        headers={"Message-ID": f"<digest-{digest.pk}@partyreg>"},
    )
    email.attach_alternative(html, "text/html")
    for notification in notifications:
        attach_file(email, notification)
    try:
        email.send(fail_silently=False)
    except Exception as error:
        digest_release(digest_id, error)
        raise
    now = timezone.now()
    with transaction.atomic():
        marked = Digest.objects.filter(pk=digest_id, status=Status.PENDING).update(
            status=Status.SENT, sent_at=now, claimed_at=None, last_error=""
        )
        Delivery.objects.filter(digest_id=digest_id, status=Status.DIGEST).update(
            status=Status.SENT, sent_at=now, attempts=1
        )
    return "sent" if marked else "already-marked"


def digest_release(digest_id: int, error: BaseException) -> None:
    """Gives the claim back after a failed attempt; past the last attempt, marks the summary
    and the emails it carried failed."""
    message = f"{type(error).__name__}: {error}"[:2000]
    Digest.objects.filter(pk=digest_id, status=Status.PENDING).update(
        claimed_at=None, last_error=message
    )
    failed = Digest.objects.filter(
        pk=digest_id,
        status=Status.PENDING,
        attempts__gte=settings.PARTYREG["DELIVERY_MAX_ATTEMPTS"],
    ).update(status=Status.FAILED)
    if failed:
        Delivery.objects.filter(digest_id=digest_id, status=Status.DIGEST).update(
            status=Status.FAILED, last_error=message
        )


def digests_sweep(now=None) -> int:
    """Queues summaries left behind (their task lost, or their worker dead)."""
    now = now or timezone.now()
    stale = now - timedelta(minutes=settings.PARTYREG["DELIVERY_CLAIM_MINUTES"])
    ids = list(
        Digest.objects.filter(status=Status.PENDING)
        .filter(
            Q(claimed_at__isnull=True, created_at__lt=now - SWEEP_GRACE) | Q(claimed_at__lt=stale)
        )
        .order_by("id")
        .values_list("id", flat=True)
    )
    return enqueue_digests(ids) if ids else 0
