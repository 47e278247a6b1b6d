"""Reads of referrals and change notices, each scoped to what the user may see."""

from django.db.models import Count, Exists, OuterRef, Q
from django.shortcuts import get_object_or_404
from django.utils import timezone

from members.areas import Proposal, cell_proposal
from members.models import Member, Organisation
from members.ordering import in_tree_order
from members.scoping import is_site_admin, scope_q, user_roles

from .models import ChangeNotice, Referral

Side = Organisation.Side


def overdue_q() -> Q:
    """Still waiting for the member to present themselves, and past the due date."""
    return Q(state__in=Referral.AWAITING_STATES, due_on__lt=timezone.localdate())


def _referral_side_q(user, side: str) -> Q:
    if side == Side.WORKPLACE:
        return scope_q(user, "issuing_org")
    return scope_q(user, "commune") | scope_q(user, "residence_cell")


def referral_list(user, side: str):
    """Referrals the user's workplace side issued, or the residence side received."""
    return (
        Referral.objects.filter(_referral_side_q(user, side))
        .select_related("member", "issuing_org", "commune", "residence_cell")
        .order_by("-issued_at", "-id")
    )


def referral_counts(queryset) -> dict:
    """Counts per state and overdue, in one query."""
    counts = queryset.order_by().aggregate(
        total=Count("id"),
        overdue=Count("id", filter=overdue_q()),
        **{state: Count("id", filter=Q(state=state)) for state in Referral.State.values},
    )
    return counts


def referrals_visible_to(user):
    if is_site_admin(user):
        return Referral.objects.all()
    q = _referral_side_q(user, Side.WORKPLACE) | _referral_side_q(user, Side.RESIDENCE)
    if user.is_authenticated:
        q |= Q(member__user=user)
    return Referral.objects.filter(q)


def referral_get(user, pk: int) -> Referral:
    """The referral, or 404 to anyone who may not see it."""
    return get_object_or_404(
        referrals_visible_to(user).select_related(
            "member",
            "member__workplace_org",
            "issuing_org",
            "signing_org",
            "signing_org__parent",
            "commune",
            "residence_cell",
            "issued_by",
            "received_by",
            "assigned_by",
            "reported_by",
            "closed_by",
        ),
        pk=pk,
    )


def referrals_for_letters(user, *, ids=None, batch=None):
    qs = referrals_visible_to(user).select_related(
        "member",
        "member__workplace_org",
        "signing_org",
        "signing_org__parent",
        "commune",
        "residence_cell",
    )
    qs = qs.filter(batch=batch) if batch is not None else qs.filter(pk__in=ids or [])
    return qs.order_by("number", "id")


def referrals_acting(user, side: str, ids):
    """Referrals chosen for a bulk action, within the side's scope (others silently absent)."""
    return list(
        Referral.objects.filter(_referral_side_q(user, side), pk__in=ids)
        .select_related("member", "commune")
        .order_by("id")
    )


def members_in_workplace_scope(user):
    return Member.objects.filter(scope_q(user, "workplace_org"))


def members_awaiting_referral(user, organisation: Organisation | None = None):
    """Live members of the user's workplace subtrees without a live referral."""
    live_referral = Referral.objects.filter(member=OuterRef("pk")).exclude(
        state=Referral.State.CLOSED
    )
    qs = (
        Member.objects.filter(scope_q(user, "workplace_org"), status__in=Member.LIVE_STATUSES)
        .exclude(category=Member.Category.EXEMPT_INTRODUCTION)
        .filter(~Exists(live_referral))
        .select_related("workplace_org", "residence_commune")
    )
    if organisation is not None:
        qs = qs.filter(workplace_org__path__startswith=organisation.path)
    return qs.order_by("search_name", "id")


def residence_cells_for(user, commune: Organisation | None = None):
    """Active residence cells the user may assign members to."""
    qs = Organisation.objects.filter(
        scope_q(user), kind=Organisation.Kind.RESIDENCE_CELL, is_active=True
    )
    if commune is not None:
        qs = qs.filter(path__startswith=commune.path)
    return qs.order_by("name")


def assignable_cells(user, commune: Organisation | None = None) -> list[Organisation]:
    """The cells of ``residence_cells_for``, with their areas, in the order a reader expects."""
    return in_tree_order(residence_cells_for(user, commune).prefetch_related("areas"))


def proposal_for(referral: Referral, cells: list[Organisation]) -> Proposal | None:
    """The cell of the referral's commune whose area the member's address names, if one."""
    return cell_proposal(
        referral.member.residence_address, [c for c in cells if c.is_within(referral.commune)]
    )


def with_proposals(referrals, cells: list[Organisation]) -> list[Referral]:
    """The referrals, those waiting for a cell carrying ``cell_choices`` (their commune's
    cells) and ``proposal``, for the list where the commune assigns many at once."""
    rows = list(referrals)
    for referral in rows:
        if referral.state == Referral.State.RECEIVED:
            referral.cell_choices = [c for c in cells if c.is_within(referral.commune)]
            referral.proposal = cell_proposal(
                referral.member.residence_address, referral.cell_choices
            )
    return rows


def residence_cell_for(user, pk: int | None) -> Organisation | None:
    """One of ``residence_cells_for(user)``, or None."""
    return residence_cells_for(user).filter(pk=pk).first() if pk else None


def organisations_for_side(user, side: str):
    kinds = (
        [Organisation.Kind.SUPERVISING, Organisation.Kind.GRASSROOTS, Organisation.Kind.CELL]
        if side == Side.WORKPLACE
        else list(Organisation.RESIDENCE_KINDS)
    )
    return Organisation.objects.filter(scope_q(user), kind__in=kinds, is_active=True).order_by(
        "path"
    )


# --- Change notices ----------------------------------------------------------------------------


def _notice_side_q(user, side: str) -> Q:
    if side == Side.WORKPLACE:
        return scope_q(user, "workplace_org")
    return scope_q(user, "commune") | scope_q(user, "residence_cell")


def notice_list(user, side: str):
    return (
        ChangeNotice.objects.filter(_notice_side_q(user, side))
        .select_related(
            "member", "workplace_org", "commune", "residence_cell", "new_referral__commune"
        )
        .order_by("-created_at", "-id")
    )


def notice_get(user, pk: int) -> ChangeNotice:
    q = _notice_side_q(user, Side.WORKPLACE) | _notice_side_q(user, Side.RESIDENCE)
    return get_object_or_404(ChangeNotice.objects.filter(q).select_related("member"), pk=pk)


# --- A member's page ----------------------------------------------------------------------------


def member_referrals(member: Member):
    """Every referral of a member, newest first (the caller has already checked the member)."""
    return list(
        Referral.objects.filter(member=member)
        .select_related("commune", "residence_cell", "issuing_org")
        .order_by("-issued_at", "-id")
    )


def member_notices(member: Member):
    return list(
        ChangeNotice.objects.filter(member=member)
        .select_related("commune", "residence_cell", "new_referral__commune")
        .order_by("-created_at", "-id")
    )


def referral_sides(user) -> list[str]:
    """The sides of the referral workflow the user's roles reach, residence first when both."""
    if is_site_admin(user):
        return [Side.RESIDENCE, Side.WORKPLACE]
    sides = []
    kinds = {r.organisation.kind for r in user_roles(user)}
    if kinds & set(Organisation.RESIDENCE_KINDS) or Organisation.Kind.SUPERVISING in kinds:
        sides.append(Side.RESIDENCE)
    if kinds - set(Organisation.RESIDENCE_KINDS):
        sides.append(Side.WORKPLACE)
    return sides


def referral_side_with_work(user) -> str | None:
    """The side the referral pages open on: the first of ``referral_sides`` holding a referral
    still under way, else the first side (None when the user has no side)."""
    sides = referral_sides(user)
    for side in sides:
        live = Referral.objects.filter(_referral_side_q(user, side)).exclude(
            state=Referral.State.CLOSED
        )
        if live.exists():
            return side
    return sides[0] if sides else None
