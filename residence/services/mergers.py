"""Organisation mergers, carried over to the residence side."""

from django.db import transaction

from members import services as member_services
from members.models import Organisation

from ..models import ChangeNotice, Referral
from ._transitions import State

# --- Mergers ----------------------------------------------------------------------------------


@transaction.atomic
def organisation_merge(
    *, actor, source: Organisation, target: Organisation, note: str = ""
) -> Organisation:
    """Merges two organisations (members.services) and carries the residence side along.

    Live referrals and notices still waiting for acknowledgement follow the merged commune,
    cell or workplace organisation, so the committee that now exists sees them; closed ones
    keep the name they were written under.
    """
    merged = member_services.organisation_merge(
        actor=actor, source=source, target=target, note=note
    )
    live_referrals = Referral.objects.exclude(state=State.CLOSED)
    open_notices = ChangeNotice.objects.filter(acknowledged_at__isnull=True)
    for queryset, field_name in (
        (live_referrals, "commune"),
        (live_referrals, "residence_cell"),
        (live_referrals, "issuing_org"),
        (open_notices, "commune"),
        (open_notices, "residence_cell"),
    ):
        member_services.organisation_follow_merge(
            actor=actor,
            queryset=queryset,
            field_name=field_name,
            source=source,
            target=target,
            note=note,
        )
    return merged
