"""Who is told when an annual comment changes hands, and what they read.

Requested (the residence cell writes it), submitted (the commune committee certifies it),
returned for revision (the cell revises it), certified (the workplace committee grades the
member), graded (the member). Each function is called by the service that takes the step,
inside its transaction; it notifies only the users who can act on the step
(``members.recipients``) or the member it concerns, never the user who took it. A campaign
opened, or many comments certified at once, tell each receiving organisation once, listing
the members.
"""

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from members.models import Organisation
from members.recipients import ActingRoles
from partyreg.notifications.delivery import Message, notify_many
from partyreg.notifications.handover import handovers_to, in_site_language

from .models import Campaign, CommentRequest, Grade

REQUESTED = "comment.requested"
SUBMITTED = "comment.submitted"
RETURNED = "comment.returned"
CERTIFIED = "comment.certified"
GRADED = "grade.recorded"


def _detail(request: CommentRequest) -> str:
    return reverse("evaluations:request_detail", args=[request.pk])


def _names(request: CommentRequest) -> dict:
    return {
        "member": request.member.full_name,
        "cell": request.residence_cell,
        "commune": request.commune,
        "org": request.workplace_org,
        "year": request.campaign.year,
        "due": f"{request.due_on:%d/%m/%Y}",
    }


@in_site_language
def campaign_requested(*, actor, campaign: Campaign, requests: Sequence[CommentRequest]) -> None:
    """Each residence cell asked for comments by a campaign: one message listing its members."""
    if not requests:
        return
    by_cell: dict[int, list[str]] = defaultdict(list)
    for request in requests:
        by_cell[request.residence_cell_id].append(request.member.full_name)
    roles = ActingRoles.around(Organisation.objects.filter(pk__in=list(by_cell)))
    inbox = reverse("evaluations:inbox")
    messages: list[Message] = []
    for cell_id, members in sorted(by_cell.items()):
        names = {
            "org": campaign.organisation,
            "cell": roles.name(cell_id),
            "count": len(members),
            "due": f"{campaign.due_on:%d/%m/%Y}",
        }
        listing = "\n".join(f"- {name}" for name in sorted(members))
        messages += handovers_to(
            roles.secretaries(cell_id),
            actor=actor,
            event=REQUESTED,
            target=f"campaign:{campaign.pk}:{cell_id}",
            subject=ngettext(
                "%(org)s asks %(cell)s for %(count)d annual comment by %(due)s",
                "%(org)s asks %(cell)s for %(count)d annual comments by %(due)s",
                len(members),
            )
            % names,
            body=_(
                "Hold the sitting of the cell committee with the residents' Front committee, "
                "then write and submit the comment on each of these members by %(due)s."
            )
            % names
            + "\n\n"
            + listing,
            url=f"{inbox}?cell={cell_id}&year={campaign.year}",
        )
    notify_many(messages)


@in_site_language
def comment_requested(*, actor, request: CommentRequest) -> None:
    """The residence cell, asked for one member's comment."""
    roles = ActingRoles.around([request.residence_cell])
    names = {**_names(request), "reason": request.get_reason_display().lower()}
    notify_many(
        handovers_to(
            roles.secretaries(request.residence_cell_id),
            actor=actor,
            event=REQUESTED,
            target=f"request:{request.pk}",
            subject=_("Comment requested on %(member)s by %(due)s") % names,
            body=_(
                "%(org)s asks %(cell)s for a comment on %(member)s (%(reason)s) by %(due)s. "
                "Hold the sitting with the residents' Front committee, then write and submit it."
            )
            % names,
            url=reverse("evaluations:comment_edit", args=[request.pk]),
        )
    )


@in_site_language
def comment_submitted(*, actor, request: CommentRequest) -> None:
    """The commune committee: read the comment and certify it."""
    roles = ActingRoles.around([request.commune])
    names = _names(request)
    body = _("%(cell)s submitted its comment on %(member)s for %(year)d. Read it and certify it.")
    body %= names
    if request.similar_to_id is not None:
        body += "\n" + _(
            "It is nearly the same as the comment on %(other)s (%(percent)d%%): compare them "
            "before certifying."
        ) % {"other": request.similar_to.member, "percent": round(100 * request.similarity)}
    notify_many(
        handovers_to(
            roles.committee(request.commune_id),
            actor=actor,
            event=SUBMITTED,
            target=f"request:{request.pk}",
            version=str(int(request.submitted_at.timestamp())),
            subject=_("Comment on %(member)s submitted by %(cell)s") % names,
            body=body,
            url=_detail(request),
        )
    )


@in_site_language
def comment_returned(*, actor, request: CommentRequest, reason: str, returned_at: datetime) -> None:
    """The residence cell: the commune committee returned the comment for revision.

    For the return service: call it inside its transaction once the request is returned;
    ``returned_at`` tells the rounds apart, so each return notifies once.
    """
    roles = ActingRoles.around([request.residence_cell])
    names = {**_names(request), "reason": reason}
    notify_many(
        handovers_to(
            roles.secretaries(request.residence_cell_id),
            actor=actor,
            event=RETURNED,
            target=f"request:{request.pk}",
            version=str(int(returned_at.timestamp())),
            subject=_("Comment on %(member)s returned for revision") % names,
            body=_(
                "%(commune)s returned the comment on %(member)s to %(cell)s for revision. "
                "Reason: %(reason)s"
            )
            % names
            + "\n\n"
            + _("Revise the comment and submit it again."),
            url=reverse("evaluations:comment_edit", args=[request.pk]),
        )
    )


@in_site_language
def comments_certified(*, actor, requests: Sequence[CommentRequest]) -> None:
    """The workplace committee of each member: the comment came back certified; grade."""
    if not requests:
        return
    roles = ActingRoles.around({r.workplace_org_id: r.workplace_org for r in requests}.values())
    by_org: dict[int, list[CommentRequest]] = defaultdict(list)
    for request in requests:
        by_org[request.workplace_org_id].append(request)
    messages: list[Message] = []
    for org_id, group in by_org.items():
        first = group[0]
        names = {**_names(first), "count": len(group)}
        if len(group) == 1:
            fields = {
                "target": f"request:{first.pk}",
                "subject": _("Comment on %(member)s certified by %(commune)s") % names,
                "body": _(
                    "The residence comment on %(member)s for %(year)d came back certified by "
                    "%(commune)s. Read it and grade the member."
                )
                % names,
                "url": _detail(first),
            }
        else:
            listing = "\n".join(f"- {r.member.full_name} ({r.residence_cell})" for r in group)
            fields = {
                "target": f"certified:{first.pk}:{org_id}",
                "subject": ngettext(
                    "%(count)d comment certified by %(commune)s",
                    "%(count)d comments certified by %(commune)s",
                    len(group),
                )
                % names,
                "body": _(
                    "These residence comments for %(year)d came back certified. Read them and "
                    "grade the members."
                )
                % names
                + "\n\n"
                + listing,
                "url": reverse("evaluations:campaign_list"),
            }
        messages += handovers_to(
            roles.workplace_secretaries(org_id), actor=actor, event=CERTIFIED, **fields
        )
    notify_many(messages)


@in_site_language
def grade_recorded(*, actor, grade: Grade) -> None:
    """The member: their year-end grade (again when it is corrected)."""
    user = grade.member.user
    if user is None or not user.is_active:
        return
    names = {"year": grade.year, "level": grade.get_level_display().lower()}
    if grade.points is None:
        body = _("Your workplace committee graded you for %(year)d: %(level)s.") % names
    else:
        names["points"] = grade.points
        body = (
            _("Your workplace committee graded you for %(year)d: %(level)s (%(points)d points).")
            % names
        )
    notify_many(
        handovers_to(
            [user.pk],
            actor=actor,
            event=GRADED,
            target=f"grade:{grade.pk}",
            version=f"{grade.level}-{grade.points}",
            subject=_("Your grade for %(year)d") % names,
            body=body,
            url=reverse("members:member_detail", args=[grade.member_id]),
        )
    )
