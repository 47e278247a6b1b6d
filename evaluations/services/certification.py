"""The commune committee's certification and the workplace committee's year-end grade."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from partyreg.audit import audit_record, changes_between, snapshot

from .. import permissions
from ..models import CommentRequest, Grade
from ..printing.sheets import queue_sheet_render
from ..signatures.refusals import keep_signing_refusals
from ..signatures.sheets import sheet_certified
from ._transitions import State, _lock, _transition, _user

GRADE_AUDIT_FIELDS = ("level", "points")


# --- Certification -----------------------------------------------------------------------------


@keep_signing_refusals
@transaction.atomic
def comment_certify(*, actor, request: CommentRequest, render: bool = True) -> CommentRequest:
    """``render``: queue the sheet's render once committed (comment_certify_many queues its
    sheets together instead)."""
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
    sheet_certified(actor=actor, request=certified)
    if render:
        transaction.on_commit(lambda: queue_sheet_render([certified.pk]))
    return certified


@keep_signing_refusals
@transaction.atomic
def comment_certify_many(*, actor, requests) -> list[CommentRequest]:
    """All or nothing: one refusal leaves every comment as it was."""
    done, problems = [], []
    for request in requests:
        try:
            with transaction.atomic():
                done.append(comment_certify(actor=actor, request=request, render=False))
        except (ValidationError, PermissionDenied) as error:
            problems.append(
                " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
            )
    if problems:
        raise ValidationError(
            _("Nothing was certified. %(problems)s") % {"problems": " ".join(problems)},
            code="refused",
        )
    transaction.on_commit(lambda: queue_sheet_render([request.pk for request in done]))
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
