"""The dashboard's background counts (evaluations/dashboard/cached.py), on the default queue.

Both take primary keys or nothing and call evaluations.dashboard; running one twice counts
once: figures already counted under the current stamp are left as they are.
"""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from .. import dashboard


@shared_task(
    name="evaluations.dashboard_tasks.dashboard_refresh_task",
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=5,
    max_retries=3,
    soft_time_limit=120,
    time_limit=150,
)
def dashboard_refresh_task(organisation_id: int, year: int) -> bool:
    """Count one organisation's dashboard afresh after a change, for the page to show."""
    return dashboard.dashboard_refresh(organisation_id, year)


@shared_task(
    name="evaluations.dashboard_tasks.dashboards_warm_task",
    acks_late=True,
    soft_time_limit=600,
    time_limit=660,
)
def dashboards_warm_task() -> list[int]:
    """Count the top supervising organisations' dashboards whose kept figures are out of date."""
    return dashboard.dashboards_warm()
