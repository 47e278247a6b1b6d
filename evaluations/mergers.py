"""Merging two organisations, with every app's consequences, in one transaction.

A merger (the 2025 commune mergers, two cells joined) touches every app: members move
(members.services), live referrals and open notices follow (residence.services), and so do
comment requests still waiting for an answer (here). This app sits at the top of the import
chain, so the whole merger is called from here; each lower service stays unaware of the
apps above it.
"""

from django.db import transaction
from django.utils.translation import gettext as _

from members.models import Organisation
from partyreg.audit import audit_record_many
from residence import services as residence_services

from .models import CommentRequest

OPEN_REQUEST_STATES = (CommentRequest.State.REQUESTED, CommentRequest.State.SUBMITTED)


@transaction.atomic
def organisation_merge(
    *, actor, source: Organisation, target: Organisation, note: str = ""
) -> Organisation:
    merged = residence_services.organisation_merge(
        actor=actor, source=source, target=target, note=note
    )
    open_requests = CommentRequest.objects.filter(state__in=OPEN_REQUEST_STATES)
    for field in ("commune", "residence_cell", "workplace_org"):
        rows = list(
            open_requests.select_for_update().filter(**{field: source}).select_related("member")
        )
        if not rows:
            continue
        open_requests.filter(pk__in=[r.pk for r in rows]).update(**{field: target})
        audit_record_many(
            actor=actor,
            action="organisation.follow_merge",
            targets=rows,
            changes={field: [str(source), str(target)]},
            note=note or _("Organisations merged"),
            subject_of=lambda row: row.member,
        )
    return merged
