"""Changes to a member, told to the residence side as change notices, and their acknowledgement."""

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from members import services as member_services
from members.models import Member, Organisation
from partyreg.audit import audit_record, changes_between, snapshot

from .. import handovers, permissions
from ..models import ChangeNotice, Referral
from ._transitions import REFERRAL_AUDIT_FIELDS, State
from .referrals import _issue_locked, _issue_refusal, referral_close

# Member status each change kind leads to; kinds absent here leave the status alone.
STATUS_AFTER_CHANGE = {
    ChangeNotice.Kind.DISCIPLINED: Member.Status.DISCIPLINED,
    ChangeNotice.Kind.EXPELLED: Member.Status.EXPELLED,
    ChangeNotice.Kind.STRUCK_OFF: Member.Status.STRUCK_OFF,
    ChangeNotice.Kind.LEFT: Member.Status.LEFT,
    ChangeNotice.Kind.DECEASED: Member.Status.DECEASED,
}
# Change kinds that end the member's tie with the residence side.
CLOSE_REASON_FOR_CHANGE = {
    ChangeNotice.Kind.EXPELLED: Referral.CloseReason.EXPELLED,
    ChangeNotice.Kind.STRUCK_OFF: Referral.CloseReason.STRUCK_OFF,
    ChangeNotice.Kind.LEFT: Referral.CloseReason.LEFT,
    ChangeNotice.Kind.DECEASED: Referral.CloseReason.DECEASED,
}


# --- Changes -----------------------------------------------------------------------------------


def _live_referral(member: Member) -> Referral | None:
    return (
        Referral.objects.select_for_update()
        .filter(member=member)
        .exclude(state=State.CLOSED)
        .first()
    )


def _hand_over(*, actor, referral: Referral, workplace_org: Organisation) -> Referral:
    before = snapshot(referral, REFERRAL_AUDIT_FIELDS)
    referral.issuing_org = workplace_org
    referral.save(update_fields=["issuing_org"])
    audit_record(
        actor=actor,
        action="referral.handover",
        target=referral,
        subject=referral.member,
        changes=changes_between(before, snapshot(referral, REFERRAL_AUDIT_FIELDS)),
    )
    return referral


def _check_change_input(member: Member, kind: str, effective_on: date, **new) -> dict:
    """The member fields the change sets, or a refusal naming the field to fix."""
    if kind not in ChangeNotice.Kind.values:
        raise ValidationError({"kind": _("Choose what changed.")})
    if effective_on > timezone.localdate():
        raise ValidationError({"effective_on": _("The change cannot take effect in the future.")})
    if kind == ChangeNotice.Kind.MOVED:
        commune, address = (
            new.get("residence_commune"),
            (new.get("residence_address") or "").strip(),
        )
        errors = {}
        if commune is None:
            errors["residence_commune"] = _("Choose the commune or ward the member moved to.")
        elif commune.kind != Organisation.Kind.COMMUNE or not commune.is_active:
            errors["residence_commune"] = _("Choose an active commune or ward Party committee.")
        if not address:
            errors["residence_address"] = _("Give the member's new address.")
        if errors:
            raise ValidationError(errors)
        if commune.pk == member.residence_commune_id and address == member.residence_address:
            raise ValidationError(
                {"residence_address": _("This is the address already on record; give the new one.")}
            )
        return {"residence_commune": commune, "residence_address": address}
    if kind == ChangeNotice.Kind.CHANGED_WORKPLACE:
        org = new.get("workplace_org")
        if org is None:
            raise ValidationError({"workplace_org": _("Choose the new workplace organisation.")})
        if org.kind not in Organisation.MEMBER_HOME_KINDS or not org.is_active:
            raise ValidationError(
                {"workplace_org": _("Choose an active Party cell or grassroots organisation.")}
            )
        if org.pk == member.workplace_org_id:
            raise ValidationError(
                {"workplace_org": _("The member already belongs to this organisation.")}
            )
        return {"workplace_org": org}
    return {"status": STATUS_AFTER_CHANGE[kind]}


@transaction.atomic
def change_record(
    *,
    actor,
    member: Member,
    kind: str,
    effective_on: date,
    details: str = "",
    residence_commune: Organisation | None = None,
    residence_address: str = "",
    workplace_org: Organisation | None = None,
) -> ChangeNotice:
    """Records a change to a member and tells the residence side, with its effect on the referral.

    A move closes the live referral and issues a new one to the new commune; expulsion,
    strike-off, leaving and death close it with that reason; a change of workplace hands it to
    the new workplace organisation; a discipline leaves it as it is.
    """
    locked = Member.objects.select_for_update().select_related("workplace_org").get(pk=member.pk)
    if not permissions.can_record_change(actor, locked):
        raise PermissionDenied(
            _("Only the workplace committee of %(member)s can record changes to them.")
            % {"member": locked}
        )
    if not locked.is_live:
        raise ValidationError(
            _("%(member)s is %(status)s; no further change can be recorded.")
            % {"member": locked, "status": locked.get_status_display().lower()},
            code="not_live",
        )
    member_changes = _check_change_input(
        locked,
        kind,
        effective_on,
        residence_commune=residence_commune,
        residence_address=residence_address,
        workplace_org=workplace_org,
    )
    old = _live_referral(locked)
    notice = ChangeNotice(
        member=locked,
        kind=kind,
        effective_on=effective_on,
        details=details.strip(),
        workplace_org=locked.workplace_org,
        old_referral=old,
        commune=old.commune if old else locked.residence_commune,
        residence_cell=old.residence_cell if old else None,
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    kind_label = ChangeNotice.Kind(kind).label
    updated = member_services.member_update(
        actor=actor, member=locked, note=str(kind_label), recorded_change=True, **member_changes
    )

    commune_changed = (
        kind == ChangeNotice.Kind.MOVED
        and old is not None
        and old.commune_id != updated.residence_commune_id
    )
    if old is not None and (commune_changed or kind in CLOSE_REASON_FOR_CHANGE):
        referral_close(
            actor=actor,
            referral=old,
            reason=CLOSE_REASON_FOR_CHANGE.get(kind, Referral.CloseReason.MOVED),
            note=details.strip() or str(kind_label),
        )
    # A member exempt from introduction (or without a commune) gets no new letter after a move.
    moved_away = kind == ChangeNotice.Kind.MOVED and (old is None or commune_changed)
    if moved_away and _issue_refusal(updated) is None:
        notice.new_referral = _issue_locked(actor=actor, member=updated)
    if kind == ChangeNotice.Kind.CHANGED_WORKPLACE and old is not None:
        _hand_over(actor=actor, referral=old, workplace_org=updated.workplace_org)

    notice.save()
    audit_record(
        actor=actor,
        action="change.record",
        target=notice,
        subject=locked,
        changes={"kind": [None, str(kind_label)], "effective_on": [None, effective_on]},
        note=notice.details,
    )
    handovers.change_recorded(actor=actor, notice=notice)
    if notice.new_referral is not None:
        handovers.referrals_issued(actor=actor, referrals=[notice.new_referral])
    return notice


@transaction.atomic
def change_notice_acknowledge(*, actor, notice: ChangeNotice) -> ChangeNotice:
    locked = ChangeNotice.objects.select_for_update().get(pk=notice.pk)
    if not permissions.can_acknowledge_notice(actor, locked):
        raise PermissionDenied(
            _("Only the residence committee the notice is addressed to can acknowledge it.")
        )
    if locked.acknowledged_at is not None:
        raise ValidationError(
            _("This notice was already acknowledged on %(date)s; nothing more to do.")
            % {"date": timezone.localtime(locked.acknowledged_at).strftime("%d/%m/%Y")},
            code="wrong_state",
        )
    locked.acknowledged_at = timezone.now()
    locked.acknowledged_by = actor
    locked.save(update_fields=["acknowledged_at", "acknowledged_by"])
    audit_record(
        actor=actor,
        action="change.acknowledge",
        target=locked,
        subject=locked.member,
        changes={"acknowledged_at": [None, locked.acknowledged_at]},
    )
    return locked
