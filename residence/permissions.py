"""Who may act on referrals and change notices: each side within its own organisation subtree."""

from members.models import Member, Organisation, Role
from members.scoping import in_scope, is_site_admin, user_roles

from .models import ChangeNotice, Referral


def can_issue_referral(user, member: Member) -> bool:
    """The workplace committee of the member (their cell or any committee above it)."""
    return user.is_authenticated and in_scope(user, member.workplace_org, Role.ACTING_KINDS)


def can_record_change(user, member: Member) -> bool:
    return can_issue_referral(user, member)


def can_close_referral(user, referral: Referral) -> bool:
    return user.is_authenticated and in_scope(user, referral.issuing_org, Role.ACTING_KINDS)


def can_receive_referral(user, referral: Referral) -> bool:
    """The commune committee the letter is addressed to."""
    return user.is_authenticated and in_scope(user, referral.commune, Role.ACTING_KINDS)


def can_assign_referral(user, referral: Referral) -> bool:
    return can_receive_referral(user, referral)


def can_assign_to_cell(user, referral: Referral, cell: Organisation) -> bool:
    return (
        can_assign_referral(user, referral)
        and cell.kind == Organisation.Kind.RESIDENCE_CELL
        and cell.is_active
        and cell.is_within(referral.commune)
    )


def can_report_referral(user, referral: Referral) -> bool:
    """The residence cell the member was assigned to (or the commune committee above it)."""
    where = referral.residence_cell if referral.residence_cell_id else referral.commune
    return user.is_authenticated and in_scope(user, where, Role.ACTING_KINDS)


def can_acknowledge_notice(user, notice: ChangeNotice) -> bool:
    if not user.is_authenticated:
        return False
    return in_scope(user, notice.commune, Role.ACTING_KINDS) or in_scope(
        user, notice.residence_cell, Role.ACTING_KINDS
    )


def acts_for_a_commune(user) -> bool:
    """Whether the user holds a writing role at commune level or above (bulk receive, assign)."""
    return is_site_admin(user) or any(
        r.kind in Role.ACTING_KINDS
        and r.organisation.kind != Organisation.Kind.RESIDENCE_CELL
        and r.organisation.kind not in Organisation.WORKPLACE_KINDS
        for r in user_roles(user)
    )
