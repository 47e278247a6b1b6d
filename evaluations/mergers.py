"""Merging two organisations, with every app's consequences, in one transaction.

A merger (the 2025 commune mergers, two cells joined) touches every app: members move
(members.services), live referrals and open notices follow (residence.services), and so do
comment requests still waiting for an answer (here). This app sits at the top of the import
chain, so the whole merger is called from here; each lower service stays unaware of the
apps above it.
"""

from django.db import transaction

from members import services as member_services
from members.models import Organisation
from residence import services as residence_services

from .models import CommentRequest

OPEN_REQUEST_STATES = (*CommentRequest.WITH_CELL, CommentRequest.State.SUBMITTED)


@transaction.atomic
def organisation_merge(
    *, actor, source: Organisation, target: Organisation, note: str = ""
) -> Organisation:
    merged = residence_services.organisation_merge(
        actor=actor, source=source, target=target, note=note
    )
    open_requests = CommentRequest.objects.filter(state__in=OPEN_REQUEST_STATES)
    for field in ("commune", "residence_cell", "workplace_org"):
        member_services.organisation_follow_merge(
            actor=actor,
            queryset=open_requests,
            field_name=field,
            source=source,
            target=target,
            note=note,
        )
    return merged
