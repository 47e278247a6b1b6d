from django.db.models import Q
from django.shortcuts import get_object_or_404

from partyreg.text import fold

from .models import Member, Organisation
from .scoping import is_site_admin, scope_q


def members_visible_to(user):
    """Members the user may see: those of their workplace or residence subtrees, and themself."""
    if is_site_admin(user):
        return Member.objects.all()
    q = scope_q(user, "workplace_org") | scope_q(user, "residence_commune")
    if user.is_authenticated:
        q |= Q(user=user)
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
