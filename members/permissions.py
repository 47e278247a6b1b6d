from .models import Member, Organisation, Role
from .scoping import in_scope, is_site_admin, user_roles


def has_any_role(user) -> bool:
    return is_site_admin(user) or bool(user_roles(user))


def must_use_two_factor(user) -> bool:
    """Administrators (anyone who may open the admin site) and anyone holding a role in a
    supervising committee see the most: a password alone is not enough."""
    return (
        user.is_superuser
        or user.is_staff
        or any(r.organisation.kind == Organisation.Kind.SUPERVISING for r in user_roles(user))
    )


def can_view_member(user, member: Member) -> bool:
    if not user.is_authenticated:
        return False
    return (
        member.user_id == user.pk
        or in_scope(user, member.workplace_org)
        or in_scope(user, member.residence_commune)
    )


def can_see_member_views(user, member: Member) -> bool:
    """Who looked at a record: site administrators and the secretaries of the member's own
    workplace (the Party cell or the grassroots organisation above it), nobody else."""
    if is_site_admin(user):
        return True
    return any(
        r.kind == Role.Kind.SECRETARY
        and r.organisation.kind in Organisation.WORKPLACE_KINDS
        and member.workplace_org.path.startswith(r.organisation.path)
        for r in user_roles(user)
    )


def can_change_member(user, member: Member) -> bool:
    """Only the workplace side keeps a member's record; the residence side reads it."""
    return user.is_authenticated and in_scope(user, member.workplace_org, Role.COMMITTEE_KINDS)


def can_add_member_to(user, organisation: Organisation) -> bool:
    return (
        user.is_authenticated
        and organisation.kind in Organisation.MEMBER_HOME_KINDS
        and organisation.is_active
        and in_scope(user, organisation, Role.COMMITTEE_KINDS)
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


def can_manage_residence_areas(user, cell: Organisation) -> bool:
    """The areas a residence cell covers are the commune's to say: an acting role above the
    cell (the commune's officers), not the cell itself."""
    if cell.kind != Organisation.Kind.RESIDENCE_CELL or not cell.is_active:
        return False
    if is_site_admin(user):
        return True
    return any(
        r.kind in Role.ACTING_KINDS
        and cell.path.startswith(r.organisation.path)
        and cell.path != r.organisation.path
        for r in user_roles(user)
    )
