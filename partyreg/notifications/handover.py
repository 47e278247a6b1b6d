"""Hand-overs: a step one side takes that another side, or the member, must know of at once.

A referral issued to a commune, a comment submitted to it, a meeting a member is invited to…
The higher app's service that takes the step decides who may act on it and writes the text
(it knows the domain; this module does not), then hands the messages to ``notify_many``
inside its own transaction: the bell row exists the moment the step commits, and the email
is queued on commit, or waits for the user's daily summary (``preferences``).

The key of a hand-over is (``handover:<event>``, the thing, its version, the recipient): the
same event never notifies the same user twice, however often the service runs. The version is
"" for a one-off step; a meeting's sequence, so that a moved meeting notifies again.
"""

import functools
from collections.abc import Iterable

from django.conf import settings
from django.utils import translation

from .delivery import Attachment, Message

RULE_PREFIX = "handover:"


def handover(
    *,
    event: str,
    target: str,
    recipient_id: int,
    subject: str,
    body: str,
    url: str,
    version: str = "",
    attachment: Attachment | None = None,
) -> Message:
    """One hand-over message to one user."""
    return Message(
        rule=f"{RULE_PREFIX}{event}",
        target=target,
        period=version,
        recipient_id=recipient_id,
        subject=subject,
        body=body,
        url=url,
        attachment=attachment,
    )


def handovers_to(recipient_ids: Iterable[int], *, actor=None, **fields) -> list[Message]:
    """The same hand-over to each recipient, except the user who took the step."""
    own = actor.pk if actor is not None and actor.is_authenticated else None
    return [
        handover(recipient_id=pk, **fields)
        for pk in sorted(set(recipient_ids))
        if pk is not None and pk != own
    ]


def in_site_language(build):
    """Runs a message builder in the site's language, whoever's request took the step."""

    @functools.wraps(build)
    def wrapper(*args, **kwargs):
        with translation.override(settings.LANGUAGE_CODE):
            return build(*args, **kwargs)

    return wrapper
