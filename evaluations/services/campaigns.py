"""Opening and closing a campaign, and asking for one member's comment at a time."""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from members.models import Member, Organisation
from partyreg.audit import audit_record, audit_record_many, changes_between, snapshot
from residence.models import Referral

from .. import handovers, permissions
from ..models import Campaign, CommentRequest, Criterion, SheetForm
from ._transitions import (
    CAMPAIGN_TRANSITIONS,
    PLACED_STATES,
    REQUEST_AUDIT_FIELDS,
    Reason,
    State,
    _exempt,
    _refuse_closed,
    _transition,
    _user,
)

# --- Opening and closing a campaign ------------------------------------------------------------


@dataclass
class OpenResult:
    campaign: Campaign
    requests: list[CommentRequest] = field(default_factory=list)
    exempt: list[Member] = field(default_factory=list)
    already_requested: int = 0

    @property
    def cells(self) -> int:
        return len({r.residence_cell_id for r in self.requests})


def _copy_default_criteria(campaign: Campaign) -> None:
    defaults = Criterion.objects.filter(campaign__isnull=True).order_by("form", "position")
    Criterion.objects.bulk_create(
        [
            Criterion(
                campaign=campaign,
                form=c.form,
                position=c.position,
                text=c.text,
                levels=list(c.levels),
            )
            for c in defaults
        ]
    )


def _check_open_input(organisation: Organisation, year: int, due_on: date) -> None:
    today = timezone.localdate()
    if year > today.year:
        raise ValidationError(
            {
                "year": _("A campaign cannot be opened for a future year (%(year)d).")
                % {"year": year}
            }
        )
    if due_on < today:
        raise ValidationError({"due_on": _("The deadline cannot be in the past.")})
    covering = (
        Campaign.objects.filter(year=year, organisation_id__in=organisation.ancestor_ids())
        .select_related("organisation")
        .first()
    )
    if covering is not None:
        raise ValidationError(
            _(
                "The %(year)d comment campaign was already opened by %(org)s on %(date)s; follow "
                "it from its page instead of opening another."
            )
            % {
                "year": year,
                "org": covering.organisation,
                "date": timezone.localtime(covering.opened_at).strftime("%d/%m/%Y"),
            },
            code="already_open",
        )


@transaction.atomic
def campaign_open(
    *, actor, organisation: Organisation, year: int | None = None, due_on: date | None = None
) -> OpenResult:
    """Opens the year's campaign and requests a comment on every placed, non-exempt member.

    Members below ``organisation`` with a referral assigned or reported to a residence cell
    get a request; exempt members are listed, not requested (a comment for one of them is
    asked one by one, with a reason). Members already asked this year by a campaign of an
    organisation below are left alone.
    """
    if not permissions.can_open_campaign(actor, organisation):
        raise PermissionDenied(
            _(
                "Only the secretary or an officer of %(org)s (or of a committee above it) can open "
                "its comment campaign."
            )
            % {"org": organisation}
        )
    today = timezone.localdate()
    year = year or today.year
    due_on = due_on or today + timedelta(days=settings.PARTYREG["COMMENT_DEADLINE_DAYS"])
    # Openings anywhere in the tree queue on its root, so a committee and one below it opening
    # at once cannot both ask for the same member: the second sees the first's requests.
    Organisation.objects.select_for_update().filter(pk=organisation.ancestor_ids()[0]).first()
    _check_open_input(organisation, year, due_on)
    try:
        with transaction.atomic():
            campaign = Campaign.objects.create(
                organisation=organisation,
                year=year,
                title=_("Annual comments %(year)d — %(org)s") % {"year": year, "org": organisation},
                due_on=due_on,
                opened_by=_user(actor),
            )
    except IntegrityError as error:
        raise ValidationError(
            _("The %(year)d campaign of %(org)s is already open; reload the page.")
            % {"year": year, "org": organisation}
        ) from error
    _copy_default_criteria(campaign)

    asked_this_year = CommentRequest.objects.filter(
        member=OuterRef("member"), campaign__year=year
    ).exclude(state=State.WITHDRAWN)
    referrals = (
        Referral.objects.filter(
            state__in=PLACED_STATES,
            member__workplace_org__path__startswith=organisation.path,
            member__status__in=Member.LIVE_STATUSES,
        )
        .annotate(asked=Exists(asked_this_year))
        .select_related("member")
        .order_by("residence_cell_id", "member__search_name", "member_id")
    )
    result = OpenResult(campaign=campaign)
    pending = []
    for referral in referrals:
        member = referral.member
        if referral.asked:
            result.already_requested += 1
        elif _exempt(member, referral):
            result.exempt.append(member)
        else:
            pending.append(
                CommentRequest(
                    campaign=campaign,
                    member=member,
                    referral=referral,
                    workplace_org_id=member.workplace_org_id,
                    residence_cell_id=referral.residence_cell_id,
                    commune_id=referral.commune_id,
                    form=SheetForm.NORMAL,
                    reason=Reason.ANNUAL,
                    due_on=due_on,
                    requested_by=_user(actor),
                )
            )
    result.requests = CommentRequest.objects.bulk_create(pending, batch_size=1000)
    audit_record(
        actor=actor,
        action="campaign.open",
        target=campaign,
        subject=organisation,
        changes={"year": [None, year], "due_on": [None, due_on]},
        note=_("%(count)d comments requested") % {"count": len(result.requests)},
    )
    audit_record_many(
        actor=actor,
        action="comment.request",
        targets=result.requests,
        changes={"state": [None, str(State.REQUESTED.label)], "due_on": [None, due_on]},
        note=campaign.title,
        subject_of=lambda request: request.member,
    )
    handovers.campaign_requested(actor=actor, campaign=campaign, requests=result.requests)
    return result


@transaction.atomic
def campaign_close(*, actor, campaign: Campaign) -> Campaign:
    """Closes the campaign; requests still with the cell (never answered, or returned and not
    submitted again) are withdrawn, the rest carry on."""
    locked = Campaign.objects.select_for_update().select_related("organisation").get(pk=campaign.pk)
    if not permissions.can_close_campaign(actor, locked):
        raise PermissionDenied(
            _("Only the committee that opened the campaign (%(org)s) can close it.")
            % {"org": locked.organisation}
        )
    if Campaign.State.CLOSED not in CAMPAIGN_TRANSITIONS[locked.state]:
        raise ValidationError(
            _("The campaign “%(title)s” is already closed.") % {"title": locked.title},
            code="wrong_state",
        )
    for request in CommentRequest.objects.filter(
        campaign=locked, state__in=CommentRequest.WITH_CELL
    ):
        _transition(
            actor=actor,
            request=request,
            to=State.WITHDRAWN,
            action="comment.withdraw",
            allowed=lambda user, r: True,
            refusal="",
            note=_("Campaign closed before the comment was submitted"),
        )
    locked.state = Campaign.State.CLOSED
    locked.closed_at = timezone.now()
    locked.save(update_fields=["state", "closed_at"])
    audit_record(
        actor=actor,
        action="campaign.close",
        target=locked,
        subject=locked.organisation,
        changes={"state": [str(Campaign.State.OPEN.label), str(Campaign.State.CLOSED.label)]},
    )
    return locked


# --- One request at a time (exempt members, late placements) -----------------------------------


@transaction.atomic
def comment_request_create(
    *, actor, campaign: Campaign, member: Member, reason: str, reason_note: str = ""
) -> CommentRequest:
    """Asks for one member's comment. An exempt member needs a reason other than the annual one."""
    campaign = (
        Campaign.objects.select_for_update().select_related("organisation").get(pk=campaign.pk)
    )
    member = Member.objects.select_for_update().select_related("workplace_org").get(pk=member.pk)
    if not permissions.can_request_comment(actor, campaign, member):
        raise PermissionDenied(
            _(
                "Only the workplace committee of %(member)s, within %(org)s, can ask for their "
                "comment."
            )
            % {"member": member, "org": campaign.organisation}
        )
    _refuse_closed(campaign)
    names = {"member": member}
    if not member.is_live:
        names["status"] = member.get_status_display().lower()
        raise ValidationError(_("%(member)s is %(status)s; no comment can be requested.") % names)
    if reason not in Reason.values:
        raise ValidationError({"reason": _("Choose why the comment is needed.")})
    referral = Referral.objects.filter(member=member).exclude(state=Referral.State.CLOSED).first()
    if referral is None:
        raise ValidationError(
            _("%(member)s has no referral to a place of residence; issue one first.") % names
        )
    if referral.state not in PLACED_STATES:
        raise ValidationError(
            _(
                "%(member)s has not been assigned to a residence cell yet; the commune committee "
                "must assign them before a comment can be asked."
            )
            % names
        )
    exempt = _exempt(member, referral)
    if exempt and reason == Reason.ANNUAL:
        raise ValidationError(
            {
                "reason": _(
                    "%(member)s is exempt from routine comments; choose what the comment is "
                    "needed for: a personnel procedure, an award or discipline."
                )
                % names
            }
        )
    if (
        CommentRequest.objects.filter(campaign=campaign, member=member)
        .exclude(state=State.WITHDRAWN)
        .exists()
    ):
        raise ValidationError(
            _("A comment on %(member)s has already been requested in this campaign.") % names
        )
    request = CommentRequest.objects.create(
        campaign=campaign,
        member=member,
        referral=referral,
        workplace_org=member.workplace_org,
        residence_cell_id=referral.residence_cell_id,
        commune_id=referral.commune_id,
        form=SheetForm.EXEMPT if exempt else SheetForm.NORMAL,
        reason=reason,
        reason_note=reason_note.strip(),
        due_on=max(campaign.due_on, timezone.localdate()),
        requested_by=_user(actor),
    )
    audit_record(
        actor=actor,
        action="comment.request",
        target=request,
        subject=member,
        changes=changes_between({}, snapshot(request, REQUEST_AUDIT_FIELDS)),
        note=reason_note.strip(),
    )
    handovers.comment_requested(actor=actor, request=request)
    return request
