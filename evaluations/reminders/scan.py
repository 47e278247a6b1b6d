"""The daily scan: every enabled rule's messages for a day, handed to ``notify_many``."""

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.utils import timezone, translation

from partyreg.notifications.delivery import Message, notify_many

from .context import (
    CELL_MEETINGS,
    COMMENT_DUE,
    ESCALATION,
    MEETING_UPCOMING,
    NOTICE_UNACKNOWLEDGED,
    REFERRAL_RECEIPT,
    REFERRAL_REPORT,
    RULE_LABELS,
    ScanContext,
    config,
)
from .rules import RULES
from .switches import (
    can_change_reminder_settings,
    reminder_settings_effective,
    reminder_settings_save,
)

__all__ = [
    "CELL_MEETINGS",
    "COMMENT_DUE",
    "ESCALATION",
    "MEETING_UPCOMING",
    "NOTICE_UNACKNOWLEDGED",
    "REFERRAL_RECEIPT",
    "REFERRAL_REPORT",
    "RULES",
    "RULE_LABELS",
    "ScanResult",
    "can_change_reminder_settings",
    "reminder_settings_effective",
    "reminder_settings_save",
    "reminders_due",
    "reminders_scan",
]


@dataclass
class ScanResult:
    found: int
    created: int
    emails: int
    by_rule: dict[str, int]


def reminders_due(today: date) -> list[Message]:
    """Every message the enabled rules find due on ``today``, in the site's language."""
    with translation.override(settings.LANGUAGE_CODE):
        ctx = ScanContext.load(today)
        messages = []
        for code, rule in RULES.items():
            if config(code).get("enabled", True):
                messages += rule(ctx)
    return messages


def reminders_scan(today: date | None = None) -> ScanResult:
    """Finds what is due, creates what was never created, queues its email after commit."""
    today = today or timezone.localdate()
    messages = reminders_due(today)
    result = notify_many(messages)
    return ScanResult(
        found=len(messages),
        created=result.created,
        emails=len(result.email_ids),
        by_rule=result.by_rule,
    )
