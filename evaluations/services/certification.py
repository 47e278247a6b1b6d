"""The commune committee's certification (or return for revision) and the workplace committee's
year-end grade."""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from partyreg.audit import audit_record, changes_between, snapshot

from .. import handovers, permissions
from ..models import CommentRequest, CommentReturn, Grade
from ..printing.sheets import queue_sheet_render
from ..signatures.refusals import keep_signing_refusals
from ..signatures.sheets import sheet_certified
from ._transitions import State, _lock, _refuse_closed, _transition, _user

GRADE_AUDIT_FIELDS = ("level", "points")


# --- Certification ---------------------------------------------------------------------------


def _check_compared(request: CommentRequest, compared_with: int | None) -> None:
    """A near-identical comment is certified only by someone who has compared it, on its own
    page, with the comment it resembles: ``compared_with`` names the one that page showed."""
    if request.similar_to_id is not None and compared_with != request.similar_to_id:
        raise ValidationError(
            _(
                "The comment on %(member)s is nearly the same as the comment on %(other)s. "
                "Compare them side by side on its page, then certify it there or return it to "
                "the cell."
            )
            % {"member": request.member, "other": request.similar_to.member},
            code="needs_comparison",
        )


@keep_signing_refusals
@transaction.atomic
def comment_certify(
    *,
    actor,
    request: CommentRequest,
    render: bool = True,
    notify: bool = True,
    compared_with: int | None = None,
) -> CommentRequest:
    """``render``: queue the sheet's render once committed; ``notify``: tell the workplace
    committee (comment_certify_many queues its sheets and tells the committees together).
    ``compared_with``: see ``_check_compared``."""

    def prepare(locked):
        _check_compared(locked, compared_with)
        return {"certified_at": timezone.now(), "certified_by": _user(actor)}

    certified = _transition(
        actor=actor,
        request=request,
        to=State.CERTIFIED,
        action="comment.certify",
        allowed=permissions.can_certify_comment,
        refusal=_("Only the commune committee of %(cell)s can certify its comments.")
        % {"cell": request.residence_cell},
        prepare=prepare,
        note=lambda row: (
            _("Compared with the comment on %(other)s (%(percent)d%%)")
            % {"other": row.similar_to.member, "percent": round(100 * row.similarity)}
            if row.similar_to_id
            else ""
        ),
    )
    sheet_certified(actor=actor, request=certified)
    if render:
        transaction.on_commit(lambda: queue_sheet_render([certified.pk]))
    if notify:
        handovers.comments_certified(actor=actor, requests=[certified])
    return certified


@dataclass(frozen=True)
class BulkCertification:
    certified: list[CommentRequest]
    # Near-identical comments, each to certify on its own page after comparing it.
    left_out: list[CommentRequest]


@keep_signing_refusals
@transaction.atomic
def comment_certify_many(*, actor, requests) -> BulkCertification:
    """Certifies the submitted comments given, except near-identical ones, which are left out
    to be compared and certified one by one. All or nothing otherwise: one other refusal leaves
    every comment as it was."""
    done, left_out, problems = [], [], []
    for request in requests:
        try:
            with transaction.atomic():
                done.append(
                    comment_certify(actor=actor, request=request, render=False, notify=False)
                )
        except ValidationError as error:
            if error.code == "needs_comparison":
                left_out.append(request)
            else:
                problems.append(" ".join(error.messages))
        except PermissionDenied as error:
            problems.append(str(error))
    if problems:
        raise ValidationError(
            _("Nothing was certified. %(problems)s") % {"problems": " ".join(problems)},
            code="refused",
        )
    if done:
        transaction.on_commit(lambda: queue_sheet_render([request.pk for request in done]))
        handovers.comments_certified(actor=actor, requests=done)
    return BulkCertification(certified=done, left_out=left_out)


# --- Returning a comment for revision ----------------------------------------------------------


def _returned_text(request: CommentRequest) -> dict:
    answers = request.answers.select_related("criterion").order_by("criterion__position")
    return {
        "answers": [
            {
                "position": answer.criterion.position,
                "criterion": answer.criterion.text,
                "level": answer.level_label,
                "comment": answer.comment,
            }
            for answer in answers
        ],
        "other_comments": request.other_comments,
    }


@transaction.atomic
def comment_return(*, actor, request: CommentRequest, reason: str) -> CommentRequest:
    """Sends a submitted comment back to the residence cell to be made again, with the reason.

    The text as returned is kept in a CommentReturn row (the round), so the cell revises the
    comment in place and every round stays readable.
    """
    reason = (reason or "").strip()

    def prepare(locked):
        _refuse_closed(locked.campaign)
        if not reason:
            raise ValidationError(
                {
                    "reason": _(
                        "Write why the comment goes back to the cell: what it should say "
                        "differently."
                    )
                }
            )
        CommentReturn.objects.create(
            request=locked,
            round=locked.returns.count() + 1,
            reason=reason,
            returned_by=_user(actor),
            submitted_at=locked.submitted_at,
            submitted_by=locked.submitted_by,
            **_returned_text(locked),
        )
        return {}

    returned = _transition(
        actor=actor,
        request=request,
        to=State.RETURNED,
        action="comment.return",
        allowed=permissions.can_certify_comment,
        refusal=_("Only the commune committee of %(cell)s can return its comments.")
        % {"cell": request.residence_cell},
        prepare=prepare,
        note=reason,
    )
    handovers.comment_returned(
        actor=actor, request=returned, reason=reason, returned_at=timezone.now()
    )
    return returned


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
    handovers.grade_recorded(actor=actor, grade=grade)
    return grade
