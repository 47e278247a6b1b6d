"""The daily reminder scan as a task (scheduled in partyreg/celery.py)."""

from dataclasses import asdict

from celery import shared_task

from . import scan as reminders


@shared_task(name="evaluations.reminders_scan", acks_late=True, soft_time_limit=600, time_limit=660)
def reminders_scan_task() -> dict:
    """Runs the scan for today; running it twice the same day creates nothing the second time."""
    return asdict(reminders.reminders_scan())
