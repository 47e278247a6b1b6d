from django.db.models import Count, Q
from django.shortcuts import get_object_or_404

from partyreg.text import fold, natural_key

from .models import Member, MemberView, Organisation, ResidenceArea
from .ordering import by_name
from .scoping import is_site_admin, scope_organisation_ids, scope_paths, scope_q


def members_visible_to(user):
    """Members the user may see: those of their workplace or residence subtrees, and themself.

    Workplace units and communes are matched by separate id lists: each condition then runs
    on its own index, where one join on the organisation path read the whole table.
    """
    if is_site_admin(user):
        return Member.objects.all()
    if not user.is_authenticated:
        return Member.objects.none()
    q = Q(user=user)
    workplace_ids = scope_organisation_ids(user, Organisation.MEMBER_HOME_KINDS)
    if workplace_ids:
        q |= Q(workplace_org_id__in=workplace_ids)
    commune_ids = scope_organisation_ids(user, [Organisation.Kind.COMMUNE])
    if commune_ids:
        q |= Q(residence_commune_id__in=commune_ids)
    return Member.objects.filter(q)


def member_list(user):
    return members_visible_to(user).select_related("workplace_org", "residence_commune")


def member_search_q(text: str) -> Q:
    """Diacritic- and case-blind match on the name, or a card number prefix."""
    folded = fold(text)
    if not folded:
        return Q()
    return Q(search_name__contains=folded) | Q(card_number__startswith=text.strip())


def member_get(user, pk: int) -> Member:
    """The member, or 404 when the user may not see it (outsiders learn nothing)."""
    return get_object_or_404(member_list(user), pk=pk)


def organisations_visible_to(user):
    return Organisation.objects.filter(scope_q(user))


def organisation_get(user, pk: int) -> Organisation:
    return get_object_or_404(organisations_visible_to(user), pk=pk)


def organisation_choices(user, kinds=None):
    """Active organisations in the user's reach, for a form's select."""
    qs = organisations_visible_to(user).filter(is_active=True)
    if kinds:
        qs = qs.filter(kind__in=kinds)
    return qs.order_by("path")


def commune_choices():
    """Every active commune: a member may live anywhere, outside the user's own tree."""
    return Organisation.objects.filter(kind=Organisation.Kind.COMMUNE, is_active=True).order_by(
        "name"
    )


def own_member(user) -> Member | None:
    """The member record of the signed-in user, if they are a member."""
    if not user.is_authenticated:
        return None
    return Member.objects.filter(user=user).first()


def member_view_log(member: Member):
    """Who opened a member's record, newest first."""
    return MemberView.objects.filter(member=member).select_related("user").order_by("-viewed_at")


def organisation_roots(user):
    """The top organisations of the user's reach, with their number of children."""
    paths = scope_paths(user)
    roots = (
        Organisation.objects.filter(parent__isnull=True)
        if paths is None
        else Organisation.objects.filter(path__in=paths)
    )
    roots = roots.annotate(child_count=Count("children"))
    return sorted(roots, key=lambda o: (o.kind, natural_key(o.name)))


def organisation_outline(user, organisation: Organisation) -> dict:
    """An organisation's visible ancestors, its children with their counts and (residence
    cells) areas, its own areas, and its members."""
    ancestors = (
        organisations_visible_to(user)
        .filter(pk__in=organisation.ancestor_ids())
        .exclude(pk=organisation.pk)
        .order_by("depth")
    )
    children = (
        organisation.children.annotate(member_count=Count("members", distinct=True))
        .annotate(child_count=Count("children", distinct=True))
        .prefetch_related("areas")
    )
    children = sorted(children, key=lambda o: (not o.is_active, natural_key(o.name)))
    for child in children:
        child.area_names = [a.name for a in by_name(child.areas.all())]
    if organisation.is_workplace or organisation.kind == Organisation.Kind.SUPERVISING:
        members = Member.objects.filter(workplace_org__path__startswith=organisation.path)
    else:
        members = Member.objects.filter(residence_commune__path__startswith=organisation.path)
    areas = (
        by_name(ResidenceArea.objects.filter(cell=organisation))
        if organisation.kind == Organisation.Kind.RESIDENCE_CELL
        else None
    )
    return {
        "ancestors": ancestors,
        "children": children,
        "areas": areas,
        "member_count": members.count(),
    }


def residence_cell_get(user, pk: int) -> Organisation:
    """A residence cell within the user's reach, or 404."""
    return get_object_or_404(
        Organisation.objects.filter(scope_q(user), kind=Organisation.Kind.RESIDENCE_CELL), pk=pk
    )


def residence_area_get(user, pk: int) -> ResidenceArea:
    """An area of a residence cell within the user's reach, or 404."""
    return get_object_or_404(
        ResidenceArea.objects.filter(scope_q(user, "cell")).select_related("cell"), pk=pk
    )
