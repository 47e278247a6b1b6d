"""The one place where a comment request changes state, and the helpers every service shares."""

from collections.abc import Callable

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from members.models import Member
from partyreg.audit import audited_update, snapshot
from residence.models import Referral

from ..models import Campaign, CommentRequest

State = CommentRequest.State
Reason = CommentRequest.Reason

ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    State.REQUESTED: frozenset({State.SUBMITTED, State.WITHDRAWN}),
    State.SUBMITTED: frozenset({State.CERTIFIED, State.RETURNED}),
    State.RETURNED: frozenset({State.SUBMITTED, State.WITHDRAWN}),
    State.CERTIFIED: frozenset(),
    State.WITHDRAWN: frozenset(),
}
CAMPAIGN_TRANSITIONS: dict[str, frozenset[str]] = {
    Campaign.State.OPEN: frozenset({Campaign.State.CLOSED}),
    Campaign.State.CLOSED: frozenset(),
}

REQUEST_AUDIT_FIELDS = (
    "state",
    "form",
    "reason",
    "reason_note",
    "residence_cell",
    "due_on",
    "sitting",
    "meetings_invited",
    "meetings_present",
    "meetings_excused",
    "meetings_unexcused",
    "similarity",
    "similar_to",
)


# Referral states in which the member sits in a residence cell.
PLACED_STATES = (Referral.State.ASSIGNED, Referral.State.REPORTED)


def _user(actor):
    return actor if actor is not None and actor.is_authenticated else None


def _exempt(member: Member, referral: Referral) -> bool:
    """Exempt from routine comments: not an ordinary participant, or introduced as exempt."""
    return member.category != Member.Category.NORMAL or referral.exempt_activity


# --- The one place where a comment request changes state ---------------------------------------


def _wrong_state(request: CommentRequest, to: str) -> ValidationError:
    names = {"member": request.member, "state": request.get_state_display().lower()}
    if request.state == State.WITHDRAWN:
        message = _("The comment request for %(member)s was withdrawn; nothing more can be done.")
    elif to in (State.CERTIFIED, State.RETURNED) and request.state == State.REQUESTED:
        message = _(
            "The residence cell has not submitted the comment on %(member)s yet; it can be "
            "certified once submitted."
        )
    elif to in (State.CERTIFIED, State.RETURNED) and request.state == State.RETURNED:
        message = _(
            "The comment on %(member)s was returned to the residence cell for revision; it can "
            "be certified once the cell submits it again."
        )
    elif to == State.SUBMITTED and request.state not in CommentRequest.WITH_CELL:
        message = _(
            "The comment on %(member)s is already “%(state)s” and can no longer be changed."
        )
    else:
        message = _(
            "The comment request for %(member)s is already “%(state)s”; reload the page to see "
            "what was done."
        )
    return ValidationError(message % names, code="wrong_state")


def _lock(request: CommentRequest) -> CommentRequest:
    return (
        CommentRequest.objects.select_for_update(of=("self",))
        .select_related("campaign", "member", "residence_cell", "commune", "workplace_org")
        .get(pk=request.pk)
    )


def _transition(
    *,
    actor,
    request: CommentRequest,
    to: str,
    action: str,
    allowed: Callable,
    refusal: str,
    prepare: Callable[[CommentRequest], dict] | None = None,
    note: str | Callable[[CommentRequest], str] = "",
    **fields,
) -> CommentRequest:
    """Locks the request, checks role and state on the locked row, applies and audits.

    ``prepare(locked)`` runs after the checks; it may write (the comment's answers) and
    returns more fields to set, or raises to refuse.
    """
    locked = _lock(request)
    if not allowed(actor, locked):
        raise PermissionDenied(refusal)
    if to not in ALLOWED_TRANSITIONS[locked.state]:
        raise _wrong_state(locked, to)
    if prepare is not None:
        fields.update(prepare(locked))
    return audited_update(
        actor=actor,
        obj=locked,
        values={"state": to, **fields},
        take_snapshot=lambda row: snapshot(row, REQUEST_AUDIT_FIELDS),
        action=action,
        subject=locked.member,
        note=note,
    )


def _refuse_closed(campaign: Campaign) -> None:
    if campaign.state != Campaign.State.OPEN:
        raise ValidationError(
            _("The campaign “%(title)s” is closed; nothing more can be written in it.")
            % {"title": campaign.title},
            code="closed",
        )
