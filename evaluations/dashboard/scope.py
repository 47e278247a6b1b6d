"""Who sees which dashboard, and which sides and rows an organisation shows."""

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from members.models import Organisation
from members.scoping import in_scope, is_site_admin, user_roles

Side = Organisation.Side


def can_view_dashboard(user, organisation: Organisation) -> bool:
    """Any role on the organisation or above it: secretaries, officers and supervising staff."""
    return user.is_authenticated and in_scope(user, organisation)


def dashboard_organisation(user, pk: int) -> Organisation:
    """The organisation, or 404 to anyone whose roles do not reach it."""
    organisation = get_object_or_404(
        Organisation.objects.select_related("parent"), pk=pk, is_active=True
    )
    if not can_view_dashboard(user, organisation):
        raise Http404
    return organisation


def dashboard_roots(user) -> list[Organisation]:
    """The highest organisations the user's roles reach (the site's roots for an administrator)."""
    if is_site_admin(user):
        return list(Organisation.objects.filter(parent__isnull=True, is_active=True))
    reached: list[Organisation] = []
    for org in sorted({r.organisation for r in user_roles(user)}, key=lambda o: o.path):
        if not any(org.path.startswith(r.path) for r in reached):
            reached.append(org)
    return reached


def breadcrumbs(user, organisation: Organisation) -> list[Organisation]:
    """The organisation's ancestors the user may open, top first; one query."""
    ids = organisation.ancestor_ids()[:-1]
    ancestors = Organisation.objects.filter(pk__in=ids).order_by("depth")
    return [a for a in ancestors if can_view_dashboard(user, a)]


def sides_of(organisation: Organisation) -> list[str]:
    if organisation.kind in Organisation.RESIDENCE_KINDS:
        return [Side.RESIDENCE]
    if organisation.kind == Organisation.Kind.SUPERVISING:
        return [Side.WORKPLACE, Side.RESIDENCE]
    return [Side.WORKPLACE]


def is_leaf(organisation: Organisation) -> bool:
    """Cells: their rows are members, not organisations."""
    return organisation.kind in (Organisation.Kind.CELL, Organisation.Kind.RESIDENCE_CELL)


def default_year() -> int:
    return timezone.localdate().year
