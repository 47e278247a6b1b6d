"""The one place where a referral changes state."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from partyreg.audit import audited_update, snapshot

from ..models import Referral

State = Referral.State

ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    State.ISSUED: frozenset({State.RECEIVED, State.CLOSED}),
    State.RECEIVED: frozenset({State.ASSIGNED, State.CLOSED}),
    State.ASSIGNED: frozenset({State.REPORTED, State.CLOSED}),
    State.REPORTED: frozenset({State.CLOSED}),
    State.CLOSED: frozenset(),
}

REFERRAL_AUDIT_FIELDS = (
    "state",
    "issuing_org",
    "commune",
    "residence_cell",
    "exempt_activity",
    "due_on",
    "presented_on",
    "close_reason",
)


# --- The one place where a referral changes state ----------------------------------------------


def _wrong_state(referral: Referral, to: str) -> ValidationError:
    names = {"number": referral.number_display, "member": referral.member}
    if referral.state == State.CLOSED:
        message = _("Referral %(number)s for %(member)s is closed; nothing more can be done on it.")
    elif to == State.ASSIGNED and referral.state == State.ISSUED:
        message = _(
            "Record the receipt of referral %(number)s for %(member)s first, then assign it."
        )
    elif to == State.REPORTED and referral.state in (State.ISSUED, State.RECEIVED):
        message = _(
            "%(member)s has not been assigned to a residence cell yet; the commune committee "
            "assigns them first (referral %(number)s)."
        )
    else:
        names["state"] = referral.get_state_display().lower()
        message = _(
            "Referral %(number)s for %(member)s is already “%(state)s”; reload the page to see "
            "what was done."
        )
    return ValidationError(message % names, code="wrong_state")


def _transition(
    *, actor, referral: Referral, to: str, action: str, allowed, refusal: str, note="", **fields
) -> Referral:
    """Locks the referral, checks role and state on the locked row, applies and audits.

    ``allowed(user, referral)`` is the permission; ``refusal`` its message.
    """
    locked = Referral.objects.select_for_update().get(pk=referral.pk)
    if not allowed(actor, locked):
        raise PermissionDenied(refusal)
    if to not in ALLOWED_TRANSITIONS[locked.state]:
        raise _wrong_state(locked, to)
    return audited_update(
        actor=actor,
        obj=locked,
        values={"state": to, **fields},
        take_snapshot=lambda row: snapshot(row, REFERRAL_AUDIT_FIELDS),
        action=action,
        subject=locked.member,
        note=note,
    )
