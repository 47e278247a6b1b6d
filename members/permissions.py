from .models import Member, Organisation, Role
from .scoping import in_scope, is_site_admin, user_roles

COMMITTEE_KINDS = (Role.Kind.SECRETARY, Role.Kind.OFFICER, Role.Kind.STAFF)


def has_any_role(user) -> bool:
    return is_site_admin(user) or bool(user_roles(user))


def can_view_member(user, member: Member) -> bool:
    if not user.is_authenticated:
        return False
    return (
        member.user_id == user.pk
        or in_scope(user, member.workplace_org)
        or in_scope(user, member.residence_commune)
    )


def can_change_member(user, member: Member) -> bool:
    """Only the workplace side keeps a member's record; the residence side reads it."""
    return user.is_authenticated and in_scope(user, member.workplace_org, COMMITTEE_KINDS)


def can_add_member_to(user, organisation: Organisation) -> bool:
    return (
        user.is_authenticated
        and organisation.kind in Organisation.MEMBER_HOME_KINDS
        and organisation.is_active
        and in_scope(user, organisation, COMMITTEE_KINDS)
    )


def can_import_members(user) -> bool:
    return is_site_admin(user) or any(
        r.organisation.kind not in Organisation.RESIDENCE_KINDS for r in user_roles(user)
    )


def can_restructure_organisation(user, organisation: Organisation) -> bool:
    """Moving or merging a node belongs to a committee above it, never to the node itself."""
    if is_site_admin(user):
        return True
    return any(
        r.kind in (Role.Kind.SECRETARY, Role.Kind.STAFF)
        and organisation.path.startswith(r.organisation.path)
        and organisation.path != r.organisation.path
        for r in user_roles(user)
    )
