"""What is due to be reminded, to whom: the rules of issue 6, and the daily scan.

Each rule is one function reading what is due in a fixed number of queries, whatever the
number of members (aggregates and joins in SQL, then grouping in Python), and returning
``partyreg.notifications.Message`` values. The scan hands them all to ``notify_many``, whose
unique reminder rows make a second scan, or two at once, send nothing twice.

Messages about one item go to the person who must act on it (a member about their own
referral, invitees about their meeting). Messages to a committee are one digest per
organisation and week ("12 members have not presented themselves"), not one per member:
a workplace secretary with 40 late members gets one message a week, not 40 a day.

Periods: a reminder before a deadline is keyed by the deadline, so it is sent once; a
reminder of something still overdue is keyed by the ISO week, so it comes back weekly until
the matter is dealt with.

Timing is ``settings.PARTYREG["REMINDERS"]``; a rule can be switched off for an organisation
and its subtree (``members.OrganisationReminderSetting``); the organisation that counts is
the one whose task it is (named in each rule).

``context`` holds what the rules share (codes, settings, the tree loaded once per scan),
``rules`` the six rules, ``switches`` the per-organisation settings; the scan is here.
"""

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.utils import timezone, translation

from partyreg.notifications import Message, notify_many

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
