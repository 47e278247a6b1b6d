"""Every write to referrals and change notices: atomic, audited, refusing bad input.

A referral's state changes only in ``_transition``, following ``ALLOWED_TRANSITIONS``.
Refusals raise ``PermissionDenied`` (wrong role) or ``ValidationError`` (wrong state or input),
each with a message that says what to do, and leave the database as it was.
"""

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from members import services as member_services
from members.models import Member, Organisation
from partyreg.audit import audit_record, audit_record_many, changes_between, snapshot

from . import permissions
from .models import ChangeNotice, Referral

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
    before = snapshot(locked, REFERRAL_AUDIT_FIELDS)
    locked.state = to
    for name, value in fields.items():
        setattr(locked, name, value)
    locked.save()
    audit_record(
        actor=actor,
        action=action,
        target=locked,
        subject=locked.member,
        changes=changes_between(before, snapshot(locked, REFERRAL_AUDIT_FIELDS)),
        note=note,
    )
    return locked


# --- Issue -------------------------------------------------------------------------------------


def signing_committee(workplace_org: Organisation) -> Organisation:
    """The grassroots committee that signs for a workplace cell (the cell itself if none)."""
    if workplace_org.kind == Organisation.Kind.GRASSROOTS:
        return workplace_org
    above = (
        Organisation.objects.filter(
            pk__in=workplace_org.ancestor_ids(), kind=Organisation.Kind.GRASSROOTS
        )
        .order_by("-depth")
        .first()
    )
    return above or workplace_org


def _issue_refusal(member: Member) -> str | None:
    """Why no referral can be issued for the (locked) member, or None."""
    names = {"member": member}
    if not member.is_live:
        names["status"] = member.get_status_display().lower()
        return _("%(member)s is %(status)s; referrals are issued only for active members.") % names
    if member.category == Member.Category.EXEMPT_INTRODUCTION:
        return (
            _(
                "%(member)s is exempt from introduction, so no referral is issued. If that is "
                "wrong, change their category first."
            )
            % names
        )
    if member.residence_commune_id is None:
        return (
            _(
                "%(member)s has no commune of residence. Record it with “Record a change” "
                "(moved house) first."
            )
            % names
        )
    live = Referral.objects.filter(member=member).exclude(state=State.CLOSED).first()
    if live is not None:
        names.update(number=live.number_display, state=live.get_state_display().lower())
        return (
            _(
                "%(member)s already has referral %(number)s (%(state)s). Close it before issuing "
                "a new one."
            )
            % names
        )
    return None


def _next_number(committee: Organisation, year: int) -> int:
    # The committee row is locked by the caller, so two issuers cannot take the same number.
    top = Referral.objects.filter(signing_org=committee, year=year).aggregate(top=Max("number"))
    return (top["top"] or 0) + 1


def _issue_locked(*, actor, member: Member, batch: uuid.UUID | None = None) -> Referral:
    committee = signing_committee(member.workplace_org)
    Organisation.objects.select_for_update().filter(pk=committee.pk).first()
    now = timezone.now()
    today = timezone.localdate(now)
    referral = Referral(
        member=member,
        issuing_org=member.workplace_org,
        signing_org=committee,
        commune=member.residence_commune,
        year=today.year,
        number=_next_number(committee, today.year),
        exempt_activity=member.category == Member.Category.EXEMPT_ACTIVITY,
        state=State.ISSUED,
        batch=batch,
        due_on=today + timedelta(days=settings.PARTYREG["REFERRAL_REPORT_DAYS"]),
        issued_at=now,
        issued_by=actor if actor is not None and actor.is_authenticated else None,
    )
    try:
        with transaction.atomic():
            referral.save()
    except IntegrityError as error:
        raise ValidationError(
            _("%(member)s already has a referral in progress; reload the page.")
            % {"member": member}
        ) from error
    audit_record(
        actor=actor,
        action="referral.issue",
        target=referral,
        subject=member,
        changes={
            name: values
            for name, values in changes_between(
                {}, snapshot(referral, REFERRAL_AUDIT_FIELDS)
            ).items()
            if values[1] not in ("", None, False)
        },
        note=referral.number_display,
    )
    return referral


def _refuse_issue_role(actor, member: Member) -> None:
    if not permissions.can_issue_referral(actor, member):
        raise PermissionDenied(
            _("Only the workplace committee of %(member)s can issue their referral.")
            % {"member": member}
        )


@transaction.atomic
def referral_issue(*, actor, member: Member) -> Referral:
    locked = Member.objects.select_for_update().select_related("workplace_org").get(pk=member.pk)
    _refuse_issue_role(actor, locked)
    refusal = _issue_refusal(locked)
    if refusal:
        raise ValidationError(refusal, code="refused")
    return _issue_locked(actor=actor, member=locked)


@dataclass
class IssueResult:
    batch: uuid.UUID
    issued: list[Referral] = field(default_factory=list)
    skipped: list[tuple[Member, str]] = field(default_factory=list)


@transaction.atomic
def referral_issue_many(*, actor, members) -> IssueResult:
    """Issues a referral for each member who can have one; the others are listed with why.

    Members exempt from introduction and members with a live referral are skipped, not
    refused: the workplace secretary selects a whole cell and gets letters for those who need
    them. A member outside the actor's reach refuses the whole batch.
    """
    result = IssueResult(batch=uuid.uuid4())
    locked = list(
        Member.objects.select_for_update()
        .select_related("workplace_org")
        .filter(pk__in=[m.pk for m in members])
        .order_by("search_name", "id")
    )
    for member in locked:
        _refuse_issue_role(actor, member)
    for member in locked:
        refusal = _issue_refusal(member)
        if refusal:
            result.skipped.append((member, refusal))
        else:
            result.issued.append(_issue_locked(actor=actor, member=member, batch=result.batch))
    return result


# --- Residence side ----------------------------------------------------------------------------


@transaction.atomic
def referral_receive(*, actor, referral: Referral) -> Referral:
    return _transition(
        actor=actor,
        referral=referral,
        to=State.RECEIVED,
        action="referral.receive",
        allowed=permissions.can_receive_referral,
        refusal=_(
            "Only the commune committee the referral is addressed to can record its receipt."
        ),
        received_at=timezone.now(),
        received_by=actor,
    )


@transaction.atomic
def referral_receive_many(*, actor, referrals) -> list[Referral]:
    """All or nothing: one refusal leaves every referral as it was."""
    return _many(referrals, lambda r: referral_receive(actor=actor, referral=r))


def _many(referrals, act) -> list[Referral]:
    done, problems = [], []
    for referral in referrals:
        try:
            with transaction.atomic():
                done.append(act(referral))
        except (ValidationError, PermissionDenied) as error:
            problems.append(_message(error))
    if problems:
        raise ValidationError(
            _("Nothing was changed. %(problems)s") % {"problems": " ".join(problems)},
            code="refused",
        )
    return done


def _message(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error)


def _check_cell(actor, referral: Referral, cell: Organisation) -> None:
    if not permissions.can_assign_to_cell(actor, referral, cell):
        raise ValidationError(
            _("“%(cell)s” is not an active residence cell of %(commune)s; choose one of its cells.")
            % {"cell": cell, "commune": referral.commune},
            code="bad_cell",
        )


@transaction.atomic
def referral_assign(*, actor, referral: Referral, residence_cell: Organisation) -> Referral:
    def allowed(user, locked):
        if not permissions.can_assign_referral(user, locked):
            return False
        _check_cell(user, locked, residence_cell)
        return True

    return _transition(
        actor=actor,
        referral=referral,
        to=State.ASSIGNED,
        action="referral.assign",
        allowed=allowed,
        refusal=_("Only the commune committee the referral is addressed to can assign the member."),
        residence_cell=residence_cell,
        assigned_at=timezone.now(),
        assigned_by=actor,
    )


@transaction.atomic
def referral_assign_many(*, actor, referrals, residence_cell: Organisation) -> list[Referral]:
    """All or nothing: one refusal leaves every referral as it was."""
    return _many(
        referrals,
        lambda r: referral_assign(actor=actor, referral=r, residence_cell=residence_cell),
    )


@transaction.atomic
def referral_report(*, actor, referral: Referral, presented_on: date) -> Referral:
    today = timezone.localdate()
    if presented_on > today:
        raise ValidationError(
            _("The date the member presented themselves cannot be in the future."), code="date"
        )
    issued_on = timezone.localdate(referral.issued_at)
    if presented_on < issued_on:
        raise ValidationError(
            _("The member cannot present themselves before the letter was issued (%(date)s).")
            % {"date": issued_on.strftime("%d/%m/%Y")},
            code="date",
        )
    return _transition(
        actor=actor,
        referral=referral,
        to=State.REPORTED,
        action="referral.report",
        allowed=permissions.can_report_referral,
        refusal=_(
            "Only the residence cell the member was assigned to can record the presentation."
        ),
        presented_on=presented_on,
        reported_at=timezone.now(),
        reported_by=actor,
    )


@transaction.atomic
def referral_close(*, actor, referral: Referral, reason: str, note: str = "") -> Referral:
    if reason not in Referral.CloseReason.values:
        raise ValidationError(_("Choose the reason for closing the referral."), code="reason")
    return _transition(
        actor=actor,
        referral=referral,
        to=State.CLOSED,
        action="referral.close",
        allowed=permissions.can_close_referral,
        refusal=_("Only the member's workplace committee can close a referral."),
        note=note,
        close_reason=reason,
        close_note=note,
        closed_at=timezone.now(),
        closed_by=actor,
    )


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
        rows = list(
            queryset.select_for_update().filter(**{field_name: source}).select_related("member")
        )
        if not rows:
            continue
        queryset.filter(pk__in=[r.pk for r in rows]).update(**{field_name: target})
        audit_record_many(
            actor=actor,
            action="organisation.follow_merge",
            targets=rows,
            changes={field_name: [str(source), str(target)]},
            note=note or _("Organisations merged"),
            subject_of=lambda row: row.member,
        )
    return merged
