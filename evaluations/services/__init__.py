"""Every write of the annual comment campaign: atomic, audited, refusing bad input.

A comment request's state changes only in ``_transition``, following ``ALLOWED_TRANSITIONS``;
a campaign's in ``campaign_close``, following ``CAMPAIGN_TRANSITIONS``. Refusals raise
``PermissionDenied`` (wrong role) or ``ValidationError`` (wrong state or input), each with a
message that says what to do, and leave the database as it was.
"""

from .campaigns import OpenResult, campaign_close, campaign_open, comment_request_create
from .certification import (
    BulkCertification,
    comment_certify,
    comment_certify_many,
    comment_return,
    grade_record,
)
from .comments import comment_save_draft, comment_submit, sitting_record

__all__ = [
    "BulkCertification",
    "OpenResult",
    "campaign_close",
    "campaign_open",
    "comment_certify",
    "comment_certify_many",
    "comment_request_create",
    "comment_return",
    "comment_save_draft",
    "comment_submit",
    "grade_record",
    "sitting_record",
]
