"""A referral's way from the workplace committee that issues it to the cell it is reported to."""

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from members.models import Member, Organisation
from partyreg.audit import audit_record, changes_between, snapshot

from .. import handovers, permissions
from ..models import Referral
from ._transitions import REFERRAL_AUDIT_FIELDS, State, _transition

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
    referral = _issue_locked(actor=actor, member=locked)
    handovers.referrals_issued(actor=actor, referrals=[referral])
    return referral


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
    handovers.referrals_issued(actor=actor, referrals=result.issued)
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


def _many(items, act) -> list[Referral]:
    """``act`` on each item (a referral, or a referral and its cell); every refusal is collected
    and, if there is one, nothing is kept."""
    done, problems = [], []
    for item in items:
        try:
            with transaction.atomic():
                done.append(act(item))
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
def referral_assign(
    *, actor, referral: Referral, residence_cell: Organisation, notify: bool = True
) -> Referral:
    """``notify``: tell the cell and the member (referral_assign_many tells them together)."""

    def allowed(user, locked):
        if not permissions.can_assign_referral(user, locked):
            return False
        _check_cell(user, locked, residence_cell)
        return True

    assigned = _transition(
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
    if notify:
        handovers.referrals_assigned(actor=actor, referrals=[assigned])
    return assigned


@transaction.atomic
def referral_assign_many(*, actor, referrals, residence_cell: Organisation) -> list[Referral]:
    """All or nothing: one refusal leaves every referral as it was."""
    assigned = _many(
        referrals,
        lambda r: referral_assign(
            actor=actor, referral=r, residence_cell=residence_cell, notify=False
        ),
    )
    handovers.referrals_assigned(actor=actor, referrals=assigned)
    return assigned


@transaction.atomic
def referral_assign_each(*, actor, assignments) -> list[Referral]:
    """Each referral to its own cell (``assignments``: pairs of referral and cell), as the
    officer confirmed them row by row; all or nothing."""
    return _many(
        assignments,
        lambda pair: referral_assign(actor=actor, referral=pair[0], residence_cell=pair[1]),
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
    presented = _transition(
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
    handovers.referral_presented(actor=actor, referral=presented)
    return presented


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
