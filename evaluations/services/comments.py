"""The residence cell's sitting and the comment it writes, saved as a draft or submitted."""

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from members.models import Organisation
from partyreg.audit import audit_record, changes_between
from residence.meetings.selectors import attendance_facts

from .. import handovers, permissions, similarity
from ..models import CommentRequest, Criterion, CriterionAnswer, Sitting
from ..signatures.refusals import keep_signing_refusals
from ..signatures.sheets import sheet_submitted
from ._transitions import State, _lock, _refuse_closed, _transition, _user, _wrong_state

# answers: {criterion id: (level or None, comment)}
Answers = dict[int, tuple[int | None, str]]


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
    if not locked.is_with_cell:
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


@keep_signing_refusals
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

    submitted = _transition(
        actor=actor,
        request=request,
        to=State.SUBMITTED,
        action="comment.submit",
        allowed=permissions.can_write_comment,
        refusal=_comment_refusal(request),
        prepare=prepare,
        note=note,
    )
    _measure_again(submitted)
    sheet_submitted(actor=actor, request=submitted)
    handovers.comment_submitted(actor=actor, request=submitted)
    return submitted


def _measure_again(request: CommentRequest) -> None:
    """Submitted comments flagged as resembling ``request`` are measured again against its
    text as now submitted: a revision that makes it particular clears their flag, where they
    resemble nothing else."""
    flagged = list(
        CommentRequest.objects.filter(similar_to=request.pk, state=State.SUBMITTED)
        .exclude(pk=request.pk)
        .values_list("pk", flat=True)
    )
    if not flagged:
        return
    texts = similarity.cell_comment_texts(
        residence_cell_id=request.residence_cell_id, year=request.campaign.year
    )
    for pk in flagged:
        own = texts.get(pk)
        match = (
            similarity.best_match(own[1], {k: v for k, v in texts.items() if k != pk})
            if own
            else None
        )
        CommentRequest.objects.filter(pk=pk).update(
            similarity=match.ratio if match else None,
            similar_to=match.request_id if similarity.is_flagged(match) else None,
        )
