"""The dashboard's figures kept for a while, and counted again after any recorded change.

Counting a whole province reads every working member, referral, attendance and comment
request of the year: most of a second for 100,000 members. The figures change only when
someone records something, and every such change writes an audit entry (partyreg.audit); so
the figures are kept in the cache under the latest entry's id and today's date (the overdue
counts change at midnight), for at most CACHE_SECONDS. Rows written without an audit entry
(a bulk load) show once that time is up.

The cache only saves time: when it cannot be reached, the figures are counted afresh.
"""

import logging
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.utils import timezone

from members.models import Organisation
from partyreg.models import AuditEntry

CACHE_SECONDS = 600
logger = logging.getLogger(__name__)
T = TypeVar("T")


def stamp() -> str:
    """What the figures depend on besides their organisation and year; one indexed query."""
    latest = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first()
    return f"{latest or 0}:{timezone.localdate().isoformat()}"


def remembered(
    name: str, organisation: Organisation, year: int, compute: Callable[[], T], *, version: str
) -> T:
    # The path is in the key: an organisation moved elsewhere has another subtree.
    key = f"dashboard:{name}:{organisation.pk}:{organisation.path}:{year}:{version}"
    try:
        value = cache.get(key)
    except Exception:  # noqa: BLE001 — any cache failure: count afresh
        logger.warning("Dashboard cache unreachable; counting afresh", exc_info=True)
        return compute()
    if value is not None:
        return value
    value = compute()
    try:
        cache.set(key, value, CACHE_SECONDS)
    except Exception:  # noqa: BLE001
        logger.warning("Dashboard cache unreachable; figures not kept", exc_info=True)
    return value
