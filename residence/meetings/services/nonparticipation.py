"""Reporting a member who keeps missing meetings to the workplace, and its acknowledgement."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from members.models import Member, Organisation
from partyreg.audit import audit_record

from .. import handovers, permissions, selectors
from ..models import NonParticipationReport
from ._transitions import _user

# --- Non-participation (workflow 6) -------------------------------------------------------------


@transaction.atomic
def nonparticipation_report(
    *, actor, member: Member, residence_cell: Organisation, text: str, year: int | None = None
) -> NonParticipationReport:
    """Tells the member's workplace committee that the member does not take part."""
    if not permissions.can_report_nonparticipation(actor, residence_cell):
        raise PermissionDenied(
            _("Only the secretary or an officer of %(cell)s can report on its members.")
            % {"cell": residence_cell}
        )
    member = Member.objects.select_related("workplace_org").get(pk=member.pk)
    if residence_cell not in selectors.member_cells(member):
        raise ValidationError(
            _("%(member)s is not assigned to %(cell)s; report only on the cell's own members.")
            % {"member": member, "cell": residence_cell},
            code="not_in_cell",
        )
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("Describe what the member failed to do.")})
    year = year or timezone.localdate().year
    facts = selectors.attendance_facts(member_ids=[member.pk], year=year)[member.pk]
    report = NonParticipationReport.objects.create(
        member=member,
        residence_cell=residence_cell,
        workplace_org=member.workplace_org,
        year=year,
        text=text,
        meetings_missed=facts.unexcused,
        created_by=_user(actor),
    )
    audit_record(
        actor=actor,
        action="nonparticipation.report",
        target=report,
        subject=member,
        changes={"meetings_missed": [None, facts.unexcused]},
        note=text,
    )
    handovers.nonparticipation_reported(actor=actor, report=report)
    return report


@transaction.atomic
def nonparticipation_acknowledge(
    *, actor, report: NonParticipationReport, action_taken: str
) -> NonParticipationReport:
    locked = NonParticipationReport.objects.select_for_update().get(pk=report.pk)
    if not permissions.can_acknowledge_report(actor, locked):
        raise PermissionDenied(
            _("Only the member's workplace committee can acknowledge this report.")
        )
    if locked.acknowledged_at is not None:
        raise ValidationError(
            _("This report was already acknowledged on %(date)s; nothing more to do.")
            % {"date": timezone.localtime(locked.acknowledged_at).strftime("%d/%m/%Y")},
            code="wrong_state",
        )
    action_taken = (action_taken or "").strip()
    if not action_taken:
        raise ValidationError({"action_taken": _("Say what the workplace committee did about it.")})
    locked.acknowledged_at = timezone.now()
    locked.acknowledged_by = _user(actor)
    locked.action_taken = action_taken
    locked.save(update_fields=["acknowledged_at", "acknowledged_by", "action_taken"])
    audit_record(
        actor=actor,
        action="nonparticipation.acknowledge",
        target=locked,
        subject=locked.member,
        changes={"acknowledged_at": [None, locked.acknowledged_at]},
        note=action_taken,
    )
    return locked
