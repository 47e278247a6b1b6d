"""Who may act in a comment campaign: each committee within its own organisation subtree.

The workplace side opens campaigns, requests comments and grades; the residence cell records
its sitting and writes the comment; the commune committee certifies.
"""

from members.models import Member, Organisation, Role
from members.scoping import in_scope, is_site_admin, user_roles

from .models import Campaign, CommentRequest

# Organisations that can open a campaign for the members below them.
CAMPAIGN_KINDS = (
    Organisation.Kind.SUPERVISING,
    Organisation.Kind.GRASSROOTS,
    Organisation.Kind.CELL,
)


def can_open_campaign(user, organisation: Organisation) -> bool:
    return (
        user.is_authenticated
        and organisation.kind in CAMPAIGN_KINDS
        and organisation.is_active
        and in_scope(user, organisation, Role.ACTING_KINDS)
    )


def can_close_campaign(user, campaign: Campaign) -> bool:
    return user.is_authenticated and in_scope(user, campaign.organisation, Role.ACTING_KINDS)


def can_request_comment(user, campaign: Campaign, member: Member) -> bool:
    """The member's workplace committee, within the campaign's organisation."""
    return (
        user.is_authenticated
        and member.workplace_org.is_within(campaign.organisation)
        and in_scope(user, member.workplace_org, Role.ACTING_KINDS)
    )


def can_record_sitting(user, residence_cell: Organisation) -> bool:
    return (
        user.is_authenticated
        and residence_cell.kind == Organisation.Kind.RESIDENCE_CELL
        and in_scope(user, residence_cell, Role.ACTING_KINDS)
    )


def can_write_comment(user, request: CommentRequest) -> bool:
    """The residence cell the member is assigned to (or the commune committee above it)."""
    return user.is_authenticated and in_scope(user, request.residence_cell, Role.ACTING_KINDS)


def can_certify_comment(user, request: CommentRequest) -> bool:
    """The commune committee of the cell, never the cell alone."""
    return user.is_authenticated and in_scope(user, request.commune, Role.ACTING_KINDS)


def can_grade_member(user, request: CommentRequest) -> bool:
    return user.is_authenticated and in_scope(user, request.workplace_org, Role.ACTING_KINDS)


def can_view_request(user, request: CommentRequest) -> bool:
    if not user.is_authenticated:
        return False
    return any(
        in_scope(user, org)
        for org in (
            request.workplace_org,
            request.residence_cell,
            request.commune,
            request.campaign.organisation,
        )
    )


def acts_for_workplace(user) -> bool:
    """Whether the user holds a writing role on the workplace side (may open a campaign)."""
    return is_site_admin(user) or any(
        r.kind in Role.ACTING_KINDS and r.organisation.kind in CAMPAIGN_KINDS
        for r in user_roles(user)
    )
