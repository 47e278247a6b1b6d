"""Every write to referrals and change notices: atomic, audited, refusing bad input.

A referral's state changes only in ``_transition``, following ``ALLOWED_TRANSITIONS``.
Refusals raise ``PermissionDenied`` (wrong role) or ``ValidationError`` (wrong state or input),
each with a message that says what to do, and leave the database as it was.
"""

from ._transitions import ALLOWED_TRANSITIONS
from .changes import change_notice_acknowledge, change_record
from .mergers import organisation_merge
from .referrals import (
    referral_assign,
    referral_assign_each,
    referral_assign_many,
    referral_close,
    referral_issue,
    referral_issue_many,
    referral_receive,
    referral_receive_many,
    referral_report,
)

__all__ = [
    "ALLOWED_TRANSITIONS",
    "change_notice_acknowledge",
    "change_record",
    "organisation_merge",
    "referral_assign",
    "referral_assign_each",
    "referral_assign_many",
    "referral_close",
    "referral_issue",
    "referral_issue_many",
    "referral_receive",
    "referral_receive_many",
    "referral_report",
]
