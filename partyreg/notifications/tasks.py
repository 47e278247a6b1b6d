"""Email delivery of notifications (delivery.py explains the once-only protocol)."""

import logging
import random
from smtplib import SMTPException

from celery import shared_task

from . import delivery as notifications
from . import digest

logger = logging.getLogger("partyreg.tasks")

# Errors of the mail server or the network: worth another attempt later.
MAIL_ERRORS = (SMTPException, OSError)


def retry_countdown(retries: int) -> int:
    """Exponential backoff with jitter: about 1, 2, 4, 8, 16 minutes, at most an hour."""
    return min(3600, 60 * 2**retries) + random.randint(0, 30)


@shared_task(
    bind=True,
    name="partyreg.send_delivery",
    acks_late=True,
    max_retries=5,
    soft_time_limit=60,
    time_limit=90,
)
def send_delivery_task(self, delivery_id: int) -> str:
    """Sends one email delivery; a second run of the same task sends nothing."""
    try:
        return notifications.delivery_send(delivery_id)
    except MAIL_ERRORS as error:
        if self.request.is_eager:
            # In-process there is no queue to wait in: the claim is released and the
            # embedded scheduler's sweep tries again in ten minutes.
            logger.warning("Email delivery %s failed; the sweep will retry it", delivery_id)
            return "failed-will-retry"
        if self.request.retries >= self.max_retries:
            logger.error("Email delivery %s failed for good: %s", delivery_id, error)
            return "failed"
        raise self.retry(exc=error, countdown=retry_countdown(self.request.retries)) from error


@shared_task(name="partyreg.sweep_deliveries", soft_time_limit=120, time_limit=150)
def sweep_deliveries_task() -> int:
    """Queues emails and daily summaries left pending (queueing failed, or a worker died
    mid-send)."""
    return notifications.deliveries_sweep() + digest.digests_sweep()


@shared_task(name="partyreg.compose_digests", soft_time_limit=300, time_limit=360)
def compose_digests_task() -> int:
    """Gathers the waiting emails into each user's summary of the day and queues them."""
    return len(digest.digests_compose())


@shared_task(
    bind=True,
    name="partyreg.send_digest",
    acks_late=True,
    max_retries=5,
    soft_time_limit=120,
    time_limit=150,
)
def send_digest_task(self, digest_id: int) -> str:
    """Sends one daily summary; a second run of the same task sends nothing."""
    try:
        return digest.digest_send(digest_id)
    except MAIL_ERRORS as error:
        if self.request.is_eager:
            logger.warning("Daily summary %s failed; the sweep will retry it", digest_id)
            return "failed-will-retry"
        if self.request.retries >= self.max_retries:
            logger.error("Daily summary %s failed for good: %s", digest_id, error)
            return "failed"
        raise self.retry(exc=error, countdown=retry_countdown(self.request.retries)) from error
