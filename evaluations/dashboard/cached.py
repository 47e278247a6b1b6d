"""The dashboard's figures kept in the cache, counted again after a recorded change: in the
page when counting is quick, in the background when it is slow.

Counting a whole province reads every working member, referral, attendance and comment
request of the year: more than a second for 100,000 members. The figures change only when
someone records something, and every such change writes an audit entry (partyreg.audit); so
the figures are kept with a stamp made of the latest entry's id and today's date (the overdue
counts change at midnight), with the time they were counted and how long counting took.

A request for figures, per name (a side, the months chart), organisation and year:

- the stamp unchanged and the figures younger than CACHE_SECONDS: served as they are (rows
  written without an audit entry, a bulk load, show once that time is up);
- otherwise, when the last count took less than ``PARTYREG["DASHBOARD_LIVE_SECONDS"]`` (a
  cell, a commune, a bloc): counted again in the page, as fresh as can be;
- otherwise (a province): the previous figures are served at once, marked stale with the time
  they were counted, and one background task per organisation and year counts them afresh (a
  short lock in the cache keeps a second view from queueing a second task). While it is on its
  way, the organisation's quicker figures (the months chart) are served as they are too: the
  task counts them anyway. The next view after the task shows the fresh figures;
- nothing kept at all (the first view, the cache emptied): counted in the page.

``live=True`` counts in any case: the spreadsheet and the yearly report a committee signs are
never made from stale figures. Without a worker (tasks run in-process, the embedded site) a
background count would run inside the page anyway, so the page counts itself.

The figures are kept for KEEP_SECONDS, much longer than CACHE_SECONDS, so that after a change
there is nearly always something to show; their freshness is decided by the stamp and their
age, not by the cache's expiry. The cache only saves time: when it cannot be reached, the
figures are counted afresh.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from members.models import Organisation
from partyreg.celery import BROKER_ERRORS
from partyreg.models import AuditEntry

CACHE_SECONDS = 600
# After a change, a slow organisation's previous figures are shown until the task has counted.
KEEP_SECONDS = 2 * 24 * 60 * 60
# A refresh queued and not finished by then (worker lost) may be queued again.
REFRESH_LOCK_SECONDS = 180
KEY_PREFIX = "dashboard-kept"
logger = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class Counted(Generic[T]):
    """Figures with the time they were counted; ``stale`` when a recorded change (or the
    time) has overtaken them and a background count is on its way."""

    value: T
    as_of: datetime
    stale: bool = False


def stamp() -> str:
    """What the figures depend on besides their organisation and year; one indexed query."""
    latest = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first()
    return f"{latest or 0}:{timezone.localdate().isoformat()}"


def live_seconds() -> float:
    return settings.PARTYREG["DASHBOARD_LIVE_SECONDS"]


def key(name: str, organisation: Organisation, year: int) -> str:
    # The path is in the key: an organisation moved elsewhere has another subtree.
    return f"{KEY_PREFIX}:{name}:{organisation.pk}:{organisation.path}:{year}"


def _lock_key(organisation_id: int, year: int) -> str:
    return f"{KEY_PREFIX}:refreshing:{organisation_id}:{year}"


def _is_current(kept: dict, version: str, now: datetime) -> bool:
    return kept["stamp"] == version and now - kept["at"] < timedelta(seconds=CACHE_SECONDS)


def is_current(name: str, organisation: Organisation, year: int, *, version: str) -> bool:
    """Whether the figures kept under ``name`` were counted under ``version``, recently."""
    try:
        kept = cache.get(key(name, organisation, year))
    except Exception:  # noqa: BLE001 — any cache failure: nothing is kept
        return False
    return kept is not None and _is_current(kept, version, timezone.now())


def _count(name: str, organisation: Organisation, year: int, compute, version: str) -> Counted:
    """Counts now and keeps the figures with their stamp, time and duration."""
    at = timezone.now()
    started = time.perf_counter()
    value = compute()
    seconds = time.perf_counter() - started
    kept = {"value": value, "stamp": version, "at": at, "seconds": seconds}
    try:
        cache.set(key(name, organisation, year), kept, KEEP_SECONDS)
    except Exception:  # noqa: BLE001
        logger.warning("Dashboard cache unreachable; figures not kept", exc_info=True)
    return Counted(value, at)


def _in_background() -> bool:
    from partyreg.celery import app

    return not app.conf.task_always_eager


def remembered(
    name: str,
    organisation: Organisation,
    year: int,
    compute: Callable[[], T],
    *,
    version: str,
    live: bool = False,
) -> Counted[T]:
    """The figures ``compute`` counts, kept under ``name``; see the module's docstring."""
    if live:
        return _count(name, organisation, year, compute, version)
    try:
        kept = cache.get(key(name, organisation, year))
    except Exception:  # noqa: BLE001 — any cache failure: count afresh
        logger.warning("Dashboard cache unreachable; counting afresh", exc_info=True)
        return Counted(compute(), timezone.now())
    if kept is None:
        return _count(name, organisation, year, compute, version)
    if _is_current(kept, version, timezone.now()):
        return Counted(kept["value"], kept["at"])
    # Once a refresh of the organisation is on its way, it counts every figure of the page:
    # a quick side of a slow dashboard is not counted in the page as well.
    quick = kept["seconds"] < live_seconds() and not _refreshing(organisation.pk, year)
    if quick or not _in_background():
        return _count(name, organisation, year, compute, version)
    refresh_queue(organisation.pk, year)
    return Counted(kept["value"], kept["at"], stale=True)


def _refreshing(organisation_id: int, year: int) -> bool:
    try:
        return cache.get(_lock_key(organisation_id, year)) is not None
    except Exception:  # noqa: BLE001 — unknown: the quick figures are counted in the page
        return False


def refresh_queue(organisation_id: int, year: int) -> bool:
    """Queues one background count of the organisation's dashboard, after the current
    transaction commits; nothing when one is already on its way. True when queued."""
    try:
        if not cache.add(_lock_key(organisation_id, year), True, REFRESH_LOCK_SECONDS):
            return False
    except Exception:  # noqa: BLE001 — the cache failing now: a later view queues it
        logger.warning("Dashboard cache unreachable; no refresh queued", exc_info=True)
        return False
    transaction.on_commit(lambda: _send_refresh(organisation_id, year))
    return True


def _send_refresh(organisation_id: int, year: int) -> None:
    from evaluations.dashboard.tasks import dashboard_refresh_task

    try:
        dashboard_refresh_task.apply_async(
            args=[organisation_id, year], retry=False, expires=REFRESH_LOCK_SECONDS
        )
    except BROKER_ERRORS:
        # The stale figures stay on the page; the next view tries again.
        logger.warning(
            "Broker unavailable: dashboard of organisation %s not refreshed", organisation_id
        )
        refresh_done(organisation_id, year)


def refresh_done(organisation_id: int, year: int) -> None:
    """Lets the next change queue a refresh again."""
    try:
        cache.delete(_lock_key(organisation_id, year))
    except Exception:  # noqa: BLE001 — the lock expires by itself
        logger.warning("Dashboard cache unreachable; refresh lock left to expire", exc_info=True)
