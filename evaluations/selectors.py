"""Reads of comment campaigns, each scoped to what the user may see.

The workplace side sees requests by the member's workplace organisation (or the campaign's
organisation above it); the residence cell by its cell; the commune committee by its commune.
"""

from itertools import groupby

from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.shortcuts import get_object_or_404
from django.utils import timezone

from members.models import Member, Organisation, Role
from members.scoping import is_site_admin, scope_q, user_roles
from residence.models import Referral

from . import similarity
from .models import (
    Campaign,
    CommentRequest,
    CommentReturn,
    Criterion,
    CriterionAnswer,
    Grade,
    Sitting,
)
from .permissions import CAMPAIGN_KINDS

Side = Organisation.Side

State = CommentRequest.State


def overdue_q() -> Q:
    return Q(state=State.REQUESTED, due_on__lt=timezone.localdate())


def _workplace_q(user) -> Q:
    return scope_q(user, "workplace_org") | scope_q(user, "campaign__organisation")


def _residence_q(user) -> Q:
    return scope_q(user, "residence_cell") | scope_q(user, "commune")


def campaign_sides(user) -> list[str]:
    """The sides of the campaign the user's roles reach, residence first when both."""
    if is_site_admin(user):
        return [Side.RESIDENCE, Side.WORKPLACE]
    kinds = {r.organisation.kind for r in user_roles(user)}
    sides = []
    if kinds & set(Organisation.RESIDENCE_KINDS):
        sides.append(Side.RESIDENCE)
    if kinds & set(CAMPAIGN_KINDS):
        sides.append(Side.WORKPLACE)
    return sides


def campaign_side_with_work(user) -> str | None:
    """The side the comment pages open on: the first of ``campaign_sides`` with something in
    it (requests reaching the user's cells or commune; campaigns of the workplace), else the
    first side (None when the user has no side)."""
    sides = campaign_sides(user)
    has_work = {
        Side.RESIDENCE: lambda: (
            CommentRequest.objects.filter(_residence_q(user))
            .exclude(state=State.WITHDRAWN)
            .exists()
        ),
        Side.WORKPLACE: lambda: campaigns_visible_to(user).exists(),
    }
    return next((side for side in sides if has_work[side]()), sides[0] if sides else None)


# --- Campaigns ---------------------------------------------------------------------------------


def campaigns_visible_to(user):
    """Campaigns opened in the user's subtree, or reaching members of it from above."""
    if is_site_admin(user):
        # Not left to scope_q: its "everything" is an empty Q, which "|" drops, leaving only
        # the campaigns that have requests.
        return Campaign.objects.all()
    reaching = CommentRequest.objects.filter(
        scope_q(user, "workplace_org"), campaign=OuterRef("pk")
    )
    return Campaign.objects.filter(scope_q(user, "organisation") | Q(Exists(reaching)))


def campaign_list(user):
    return (
        campaigns_visible_to(user)
        .select_related("organisation")
        .order_by("-year", "organisation__path", "pk")
    )


def campaign_counts(user, campaigns) -> dict[int, dict]:
    """Counts per state of each campaign's requests the user may see; one query."""
    rows = (
        CommentRequest.objects.filter(_workplace_q(user), campaign__in=[c.pk for c in campaigns])
        .values("campaign_id")
        .annotate(
            total=Count("id", filter=~Q(state=State.WITHDRAWN)),
            overdue=Count("id", filter=overdue_q()),
            similar=Count("id", filter=Q(similar_to__isnull=False)),
            **{state: Count("id", filter=Q(state=state)) for state in State.values},
        )
        .order_by()
    )
    return {row.pop("campaign_id"): row for row in rows}


def campaign_get(user, pk: int) -> Campaign:
    return get_object_or_404(
        campaigns_visible_to(user).select_related("organisation", "opened_by"), pk=pk
    )


def campaign_organisations(user):
    """Organisations the user may open a campaign for."""
    kinds = None if is_site_admin(user) else Role.ACTING_KINDS
    return Organisation.objects.filter(
        scope_q(user, kinds=kinds), kind__in=CAMPAIGN_KINDS, is_active=True
    ).order_by("path")


# --- Requests ----------------------------------------------------------------------------------


def _request_list(q: Q):
    return (
        CommentRequest.objects.filter(q)
        .exclude(state=State.WITHDRAWN)
        .select_related(
            "member",
            "workplace_org",
            "residence_cell",
            "similar_to__member",
        )
    )


def workplace_requests(user, campaign: Campaign):
    """A campaign's requests as its workplace side sees them, with each member's grade."""
    grade = Grade.objects.filter(member=OuterRef("member"), year=campaign.year)
    return (
        _request_list(_workplace_q(user) & Q(campaign=campaign))
        .annotate(
            grade_level=grade.values("level")[:1],
            grade_points=grade.values("points")[:1],
        )
        .order_by("workplace_org__path", "member__search_name", "pk")
    )


def request_counts(queryset) -> dict:
    return queryset.order_by().aggregate(
        total=Count("id"),
        overdue=Count("id", filter=overdue_q()),
        similar=Count("id", filter=Q(similar_to__isnull=False)),
        **{state: Count("id", filter=Q(state=state)) for state in State.values},
    )


def residence_years(user) -> list[int]:
    return sorted(
        set(
            CommentRequest.objects.filter(_residence_q(user))
            .order_by()
            .values_list("campaign__year", flat=True)
            .distinct()
        ),
        reverse=True,
    )


def residence_requests(user, year: int):
    """Requests of one year reaching the user's residence cells or commune."""
    return (
        _request_list(_residence_q(user) & Q(campaign__year=year))
        .select_related("commune")
        .order_by("residence_cell__path", "workplace_org__path", "member__search_name", "pk")
    )


def group_requests(requests) -> list[dict]:
    """Requests (ordered by cell, then workplace) as cell → workplace groups with counts."""
    cells = []
    for cell, by_cell in groupby(requests, key=lambda r: r.residence_cell):
        rows = list(by_cell)
        workplaces = []
        for org, by_org in groupby(rows, key=lambda r: r.workplace_org):
            items = list(by_org)
            workplaces.append({"organisation": org, "requests": items, **_counts(items)})
        cells.append({"cell": cell, "workplaces": workplaces, **_counts(rows)})
    return cells


def _counts(items) -> dict:
    flagged = [r for r in items if r.state == State.SUBMITTED and r.similar_to_id]
    return {
        "total": len(items),
        "to_do": sum(r.is_with_cell for r in items),
        "returned": sum(r.state == State.RETURNED for r in items),
        "submitted": sum(r.state == State.SUBMITTED for r in items),
        # Submitted near-identical comments, which only one-by-one certification takes.
        "flagged": flagged,
        "certifiable": sum(r.state == State.SUBMITTED for r in items) - len(flagged),
        "certified": sum(r.state == State.CERTIFIED for r in items),
        "overdue": sum(r.is_overdue for r in items),
    }


def requests_visible_to(user):
    if is_site_admin(user):
        return CommentRequest.objects.all()
    return CommentRequest.objects.filter(_workplace_q(user) | _residence_q(user))


def request_get(user, pk: int) -> CommentRequest:
    """The request with everything its page shows, or 404 to anyone who may not see it."""
    return get_object_or_404(
        requests_visible_to(user)
        .select_related(
            "campaign__organisation",
            "member",
            "workplace_org",
            "residence_cell",
            "commune",
            "sitting",
            "similar_to__member",
            "requested_by",
            "submitted_by",
            "certified_by",
        )
        .prefetch_related(
            Prefetch(
                "returns",
                queryset=CommentReturn.objects.select_related(
                    "returned_by", "submitted_by"
                ).order_by("round"),
            )
        ),
        pk=pk,
    )


def requests_to_certify(user, residence_cell: Organisation, year: int):
    """Submitted comments of one cell in one year, within the user's commune reach."""
    return list(
        CommentRequest.objects.filter(
            scope_q(user, "commune", kinds=Role.ACTING_KINDS) if not is_site_admin(user) else Q(),
            residence_cell=residence_cell,
            campaign__year=year,
            state=State.SUBMITTED,
        )
        .select_related("member", "residence_cell", "similar_to__member")
        .order_by("pk")
    )


def similar_comments(request: CommentRequest) -> list[tuple[CommentRequest, float]]:
    """The comments of the request's cell and year that its text resembles, closest first,
    each with its similarity; the one it is flagged against always among them."""
    matches = similarity.resembling(
        request_id=request.pk,
        residence_cell_id=request.residence_cell_id,
        year=request.campaign.year,
        always=request.similar_to_id,
    )
    rows = CommentRequest.objects.select_related("member").prefetch_related(
        Prefetch("answers", queryset=CriterionAnswer.objects.select_related("criterion"))
    )
    by_pk = rows.in_bulk([m.request_id for m in matches])
    return [(by_pk[m.request_id], m.ratio) for m in matches if m.request_id in by_pk]


def request_criteria(request: CommentRequest) -> list[tuple[Criterion, object]]:
    """Each criterion of the request's sheet with its answer (or None), in sheet order."""
    answers = {a.criterion_id: a for a in request.answers.all()}
    criteria = Criterion.objects.filter(campaign_id=request.campaign_id, form=request.form)
    return [(c, answers.get(c.pk)) for c in criteria.order_by("position")]


def request_grade(request: CommentRequest) -> Grade | None:
    return (
        Grade.objects.filter(member_id=request.member_id, year=request.campaign.year)
        .select_related("recorded_by")
        .first()
    )


def members_to_request(user, campaign: Campaign):
    """Live members below the campaign's organisation, placed in a residence cell, not yet asked."""
    asked = CommentRequest.objects.filter(campaign=campaign, member=OuterRef("pk")).exclude(
        state=State.WITHDRAWN
    )
    placed = Referral.objects.filter(
        member=OuterRef("pk"), state__in=(Referral.State.ASSIGNED, Referral.State.REPORTED)
    )
    return (
        Member.objects.filter(
            scope_q(
                user, "workplace_org", kinds=None if is_site_admin(user) else Role.ACTING_KINDS
            ),
            workplace_org__path__startswith=campaign.organisation.path,
            status__in=Member.LIVE_STATUSES,
        )
        .filter(Exists(placed), ~Exists(asked))
        .order_by("search_name", "id")
    )


# --- Sittings ----------------------------------------------------------------------------------


def residence_cells(user):
    """Residence cells whose sittings the user may record."""
    kinds = None if is_site_admin(user) else Role.ACTING_KINDS
    return Organisation.objects.filter(
        scope_q(user, kinds=kinds), kind=Organisation.Kind.RESIDENCE_CELL, is_active=True
    ).order_by("path")


def cell_get(user, pk: int) -> Organisation:
    return get_object_or_404(residence_cells(user), pk=pk)


def sittings_of(residence_cell_ids, year: int) -> list[Sitting]:
    return list(
        Sitting.objects.filter(residence_cell_id__in=list(residence_cell_ids), year=year)
        .select_related("residence_cell")
        .order_by("residence_cell_id", "-held_on", "-id")
    )


def request_sittings(request: CommentRequest):
    """The sittings a comment can cite: its cell's, in the campaign's year, newest first."""
    return Sitting.objects.filter(
        residence_cell_id=request.residence_cell_id, year=request.campaign.year
    ).order_by("-held_on", "-id")
