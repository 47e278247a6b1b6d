from django.db.models import Q
from django.shortcuts import get_object_or_404

from partyreg.text import fold

from .models import Member, Organisation
from .scoping import is_site_admin, scope_organisation_ids, scope_q


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
