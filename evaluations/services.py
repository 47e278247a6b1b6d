"""Every write of the annual comment campaign: atomic, audited, refusing bad input.

A comment request's state changes only in ``_transition``, following ``ALLOWED_TRANSITIONS``;
a campaign's in ``campaign_close``, following ``CAMPAIGN_TRANSITIONS``. Refusals raise
``PermissionDenied`` (wrong role) or ``ValidationError`` (wrong state or input), each with a
message that says what to do, and leave the database as it was.
"""

from collections.abc import Callable
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
from residence.meeting_selectors import attendance_facts
from residence.models import Referral

from . import permissions, similarity
from .models import (
    Campaign,
    CommentRequest,
    Criterion,
    CriterionAnswer,
    Grade,
    SheetForm,
    Sitting,
)
from .sheets import queue_sheet_render

State = CommentRequest.State
Reason = CommentRequest.Reason

ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    State.REQUESTED: frozenset({State.SUBMITTED, State.WITHDRAWN}),
    State.SUBMITTED: frozenset({State.CERTIFIED}),
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
GRADE_AUDIT_FIELDS = ("level", "points")
# Referral states in which the member sits in a residence cell.
PLACED_STATES = (Referral.State.ASSIGNED, Referral.State.REPORTED)

# answers: {criterion id: (level or None, comment)}
Answers = dict[int, tuple[int | None, str]]


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
    elif to == State.CERTIFIED and request.state == State.REQUESTED:
        message = _(
            "The residence cell has not submitted the comment on %(member)s yet; it can be "
            "certified once submitted."
        )
    elif to == State.SUBMITTED and request.state != State.REQUESTED:
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
    before = snapshot(locked, REQUEST_AUDIT_FIELDS)
    if prepare is not None:
        fields.update(prepare(locked))
    locked.state = to
    for name, value in fields.items():
        setattr(locked, name, value)
    locked.save()
    audit_record(
        actor=actor,
        action=action,
        target=locked,
        subject=locked.member,
        changes=changes_between(before, snapshot(locked, REQUEST_AUDIT_FIELDS)),
        note=note(locked) if callable(note) else note,
    )
    return locked


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
    return result


@transaction.atomic
def campaign_close(*, actor, campaign: Campaign) -> Campaign:
    """Closes the campaign; requests never answered are withdrawn, the rest carry on."""
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
    for request in CommentRequest.objects.filter(campaign=locked, state=State.REQUESTED):
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


def _refuse_closed(campaign: Campaign) -> None:
    if campaign.state != Campaign.State.OPEN:
        raise ValidationError(
            _("The campaign “%(title)s” is closed; nothing more can be written in it.")
            % {"title": campaign.title},
            code="closed",
        )


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
    return request


# --- The residence cell's sitting -----------------------------------------------------------


def _lines(text: str) -> str:
    return "\n".join(line.strip() for line in (text or "").splitlines() if line.strip())


@transaction.atomic
def sitting_record(
    *,
    actor,
    residence_cell: Organisation,
    held_on: date,
    cell_committee_attendees: str,
    front_committee_attendees: str,
    place: str = "",
    note: str = "",
) -> Sitting:
    """Records the sitting of the cell committee with the residents' Front committee."""
    if not permissions.can_record_sitting(actor, residence_cell):
        raise PermissionDenied(
            _("Only the committee of %(cell)s can record its sittings.") % {"cell": residence_cell}
        )
    errors = {}
    if held_on > timezone.localdate():
        errors["held_on"] = _("Record a sitting once it has been held; the date is in the future.")
    cell_attendees, front_attendees = (
        _lines(cell_committee_attendees),
        _lines(front_committee_attendees),
    )
    if not cell_attendees:
        errors["cell_committee_attendees"] = _(
            "Write who of the cell committee took part, one name per line."
        )
    if not front_attendees:
        errors["front_committee_attendees"] = _(
            "Write who of the residents' Front committee took part, one name per line; the "
            "comment must be agreed with them."
        )
    if errors:
        raise ValidationError(errors)
    sitting = Sitting.objects.create(
        residence_cell=residence_cell,
        year=held_on.year,
        held_on=held_on,
        place=place.strip(),
        cell_committee_attendees=cell_attendees,
        front_committee_attendees=front_attendees,
        note=note.strip(),
        recorded_by=_user(actor),
    )
    audit_record(
        actor=actor,
        action="sitting.record",
        target=sitting,
        subject=residence_cell,
        changes={"held_on": [None, held_on]},
    )
    return sitting


# --- Writing the comment -----------------------------------------------------------------------


def _criteria(request: CommentRequest) -> list[Criterion]:
    return list(
        Criterion.objects.filter(campaign_id=request.campaign_id, form=request.form).order_by(
            "position"
        )
    )


def _check_sitting(request: CommentRequest, sitting: Sitting | None) -> None:
    if sitting is None:
        return
    if sitting.residence_cell_id != request.residence_cell_id or sitting.year != (
        request.campaign.year
    ):
        raise ValidationError(
            {
                "sitting": _("Choose a sitting of %(cell)s held in %(year)d.")
                % {"cell": request.residence_cell, "year": request.campaign.year}
            }
        )


def _write_comment(
    request: CommentRequest, answers: Answers, other_comments: str, sitting: Sitting | None
) -> list[CriterionAnswer]:
    """Saves the answers on the locked request (checks levels and criteria first)."""
    _refuse_closed(request.campaign)
    _check_sitting(request, sitting)
    criteria = {c.pk: c for c in _criteria(request)}
    unknown = set(answers) - set(criteria)
    if unknown:
        raise ValidationError(_("The form is out of date; reload the page and fill it again."))
    errors = {}
    for pk, (level, _comment) in answers.items():
        if level is not None and not 0 <= level < len(criteria[pk].levels):
            errors[f"level_{pk}"] = _("Choose one of the levels shown.")
    if errors:
        raise ValidationError(errors)
    existing = {a.criterion_id: a for a in request.answers.all()}
    kept = []
    for pk, criterion in criteria.items():
        level, comment = answers.get(pk, (None, ""))
        comment = (comment or "").strip()
        answer = existing.get(pk)
        if level is None and not comment:
            if answer is not None:
                answer.delete()
            continue
        if answer is None:
            answer = CriterionAnswer(request=request, criterion=criterion)
        answer.level, answer.comment = level, comment
        answer.save()
        answer.criterion = criterion
        kept.append(answer)
    request.other_comments = (other_comments or "").strip()
    request.sitting = sitting
    return kept


@transaction.atomic
def comment_save_draft(
    *,
    actor,
    request: CommentRequest,
    answers: Answers,
    other_comments: str = "",
    sitting: Sitting | None = None,
) -> CommentRequest:
    """Keeps what the cell has written so far; nothing is checked for completeness."""
    locked = _lock(request)
    if not permissions.can_write_comment(actor, locked):
        raise PermissionDenied(_comment_refusal(locked))
    if locked.state != State.REQUESTED:
        raise _wrong_state(locked, State.SUBMITTED)
    before = {"other_comments": locked.other_comments, "sitting": str(locked.sitting or "")}
    written = _write_comment(locked, answers, other_comments, sitting)
    locked.save(update_fields=["other_comments", "sitting"])
    audit_record(
        actor=actor,
        action="comment.draft",
        target=locked,
        subject=locked.member,
        changes=changes_between(
            before, {"other_comments": locked.other_comments, "sitting": str(sitting or "")}
        ),
        note=_("%(count)d criteria filled") % {"count": sum(a.level is not None for a in written)},
    )
    return locked


def _comment_refusal(request: CommentRequest) -> str:
    return _("Only the committee of %(cell)s can write the comment on %(member)s.") % {
        "cell": request.residence_cell,
        "member": request.member,
    }


def _check_complete(request: CommentRequest, written: list[CriterionAnswer]) -> None:
    levels = {a.criterion_id for a in written if a.level is not None}
    missing = [c for c in _criteria(request) if c.pk not in levels]
    if missing:
        raise ValidationError(
            {
                f"level_{c.pk}": _("Choose a level for criterion %(position)d.")
                % {"position": c.position}
                for c in missing
            }
        )
    sitting = request.sitting
    if sitting is None:
        raise ValidationError(
            {
                "sitting": _(
                    "A comment is agreed in a sitting of the cell committee with the residents' "
                    "Front committee. Record the sitting first, then choose it here."
                )
            }
        )
    if sitting.held_on > timezone.localdate():
        raise ValidationError(
            {"sitting": _("The sitting chosen has not been held yet; submit after it.")}
        )


def _submission_fields(actor, request: CommentRequest, written: list[CriterionAnswer]) -> dict:
    facts = attendance_facts(member_ids=[request.member_id], year=request.campaign.year).get(
        request.member_id
    )
    text = similarity.comment_text(
        [a.comment for a in sorted(written, key=lambda a: a.criterion.position)],
        request.other_comments,
    )
    match = similarity.find_similar(
        residence_cell_id=request.residence_cell_id,
        year=request.campaign.year,
        text=text,
        exclude_id=request.pk,
    )
    flagged = similarity.is_flagged(match)
    if flagged:
        # The comment it resembles is flagged too, unless it already resembles one more.
        CommentRequest.objects.filter(
            pk=match.request_id, state__in=(State.SUBMITTED, State.CERTIFIED)
        ).exclude(similarity__gte=match.ratio, similar_to__isnull=False).update(
            similarity=match.ratio, similar_to=request.pk
        )
    return {
        "meetings_invited": facts.invited if facts else 0,
        "meetings_present": facts.present if facts else 0,
        "meetings_excused": facts.excused if facts else 0,
        "meetings_unexcused": facts.unexcused if facts else 0,
        "similarity": match.ratio if match else None,
        "similar_to_id": match.request_id if flagged else None,
        "submitted_at": timezone.now(),
        "submitted_by": _user(actor),
    }


@transaction.atomic
def comment_submit(
    *,
    actor,
    request: CommentRequest,
    answers: Answers,
    other_comments: str = "",
    sitting: Sitting | None = None,
) -> CommentRequest:
    """Saves the comment and sends it to the commune committee for certification.

    Every criterion needs a level and the comment a sitting of the cell held on or before
    today. The member's attendance facts and the closest other comment of the cell are stored
    with it.
    """

    def prepare(locked):
        written = _write_comment(locked, answers, other_comments, sitting)
        _check_complete(locked, written)
        return _submission_fields(actor, locked, written)

    def note(locked):
        if locked.similar_to_id is None:
            return ""
        return _("Nearly the same as the comment on %(other)s (%(percent)d%%)") % {
            "other": locked.similar_to.member,
            "percent": round(100 * locked.similarity),
        }

    return _transition(
        actor=actor,
        request=request,
        to=State.SUBMITTED,
        action="comment.submit",
        allowed=permissions.can_write_comment,
        refusal=_comment_refusal(request),
        prepare=prepare,
        note=note,
    )


# --- Certification -----------------------------------------------------------------------------


@transaction.atomic
def comment_certify(*, actor, request: CommentRequest) -> CommentRequest:
    certified = _transition(
        actor=actor,
        request=request,
        to=State.CERTIFIED,
        action="comment.certify",
        allowed=permissions.can_certify_comment,
        refusal=_("Only the commune committee of %(cell)s can certify its comments.")
        % {"cell": request.residence_cell},
        certified_at=timezone.now(),
        certified_by=_user(actor),
    )
    transaction.on_commit(lambda: queue_sheet_render(certified.pk))
    return certified


@transaction.atomic
def comment_certify_many(*, actor, requests) -> list[CommentRequest]:
    """All or nothing: one refusal leaves every comment as it was."""
    done, problems = [], []
    for request in requests:
        try:
            with transaction.atomic():
                done.append(comment_certify(actor=actor, request=request))
        except (ValidationError, PermissionDenied) as error:
            problems.append(
                " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
            )
    if problems:
        raise ValidationError(
            _("Nothing was certified. %(problems)s") % {"problems": " ".join(problems)},
            code="refused",
        )
    return done


# --- The year-end grade ------------------------------------------------------------------------


def _band_text(level: str) -> str:
    floors = {lvl: floor for floor, lvl in Grade.THRESHOLDS}
    ordered = [lvl for _floor, lvl in Grade.THRESHOLDS]
    index = ordered.index(level)
    high = 100 if index == 0 else floors[ordered[index - 1]] - 1
    return f"{floors[level]}–{high}"


@transaction.atomic
def grade_record(*, actor, request: CommentRequest, level: str, points: int | None = None) -> Grade:
    """Records (or corrects) the member's year-end grade, with the certified comment in view."""
    locked = _lock(request)
    member = locked.member
    if not permissions.can_grade_member(actor, locked):
        raise PermissionDenied(
            _("Only the workplace committee of %(member)s can grade them.") % {"member": member}
        )
    if locked.state != State.CERTIFIED:
        raise ValidationError(
            _(
                "The residence comment on %(member)s has not come back certified yet; grade them "
                "once it has."
            )
            % {"member": member},
            code="wrong_state",
        )
    if level not in Grade.Level.values:
        raise ValidationError({"level": _("Choose one of the four grades.")})
    if points is not None:
        if not 0 <= points <= 100:
            raise ValidationError({"points": _("Points run from 0 to 100.")})
        expected = Grade.level_for(points)
        if expected != level:
            raise ValidationError(
                {
                    "points": _(
                        "%(points)d points is “%(band)s” (%(range)s points); choose that grade or "
                        "correct the points."
                    )
                    % {
                        "points": points,
                        "band": Grade.Level(expected).label,
                        "range": _band_text(expected),
                    }
                }
            )
    year = locked.campaign.year
    grade = Grade.objects.select_for_update().filter(member=member, year=year).first()
    before = snapshot(grade, GRADE_AUDIT_FIELDS) if grade else {}
    if grade is None:
        grade = Grade(member=member, year=year)
    grade.level, grade.points, grade.request = level, points, locked
    grade.recorded_at, grade.recorded_by = timezone.now(), _user(actor)
    grade.save()
    audit_record(
        actor=actor,
        action="grade.change" if before else "grade.record",
        target=grade,
        subject=member,
        changes=changes_between(before, snapshot(grade, GRADE_AUDIT_FIELDS)),
        note=str(year),
    )
    return grade
