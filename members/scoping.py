"""Who may see what: the organisation subtrees a user's roles reach.

Every query that lists or loads domain rows goes through ``scope_q`` (or a selector built on
it), so there is one place that decides what lies inside a user's reach.
"""

from django.db.models import Q

from .models import Organisation, Role

_CACHE_ATTR = "_partyreg_roles"
_IDS_CACHE_ATTR = "_partyreg_scope_ids"


def user_roles(user) -> list[Role]:
    """The user's roles with their organisations, loaded once per request."""
    if not user.is_authenticated:
        return []
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        cached = list(
            Role.objects.filter(user=user, organisation__is_active=True).select_related(
                "organisation"
            )
        )
        setattr(user, _CACHE_ATTR, cached)
    return cached


def forget_roles(user) -> None:
    for attr in (_CACHE_ATTR, _IDS_CACHE_ATTR):
        if hasattr(user, attr):
            delattr(user, attr)


def is_site_admin(user) -> bool:
    return user.is_authenticated and user.is_superuser


def scope_paths(user, kinds=None) -> list[str] | None:
    """Path prefixes the user reaches; ``None`` means everything (site administrator)."""
    if is_site_admin(user):
        return None
    paths = sorted(
        {r.organisation.path for r in user_roles(user) if kinds is None or r.kind in kinds}
    )
    # A prefix already covered by a shorter one adds nothing to the query.
    kept: list[str] = []
    for path in paths:
        if not any(path.startswith(k) for k in kept):
            kept.append(path)
    return kept


def scope_q(user, lookup: str = "", kinds=None) -> Q:
    """A filter keeping rows whose organisation (reached through ``lookup``) is in scope.

    ``lookup`` is the path from the queried model to an Organisation ("workplace_org",
    "referral__commune"); empty when the queried model is Organisation itself.
    """
    paths = scope_paths(user, kinds)
    if paths is None:
        return Q()
    field = f"{lookup}__path__startswith" if lookup else "path__startswith"
    q = Q(pk__in=[])
    for path in paths:
        q |= Q(**{field: path})
    return q


def scope_organisation_ids(user, kinds) -> list[int] | None:
    """Ids of the organisations of ``kinds`` in the user's reach (None: everything).

    Filtering a large table by a list of ids lets PostgreSQL use the foreign-key indexes; a
    join on the organisation path makes it read every row first. Loaded once per request.
    """
    if is_site_admin(user):
        return None
    cached = getattr(user, _IDS_CACHE_ATTR, None)
    if cached is None:
        cached = list(Organisation.objects.filter(scope_q(user)).values_list("id", "kind"))
        setattr(user, _IDS_CACHE_ATTR, cached)
    return [pk for pk, kind in cached if kind in kinds]


def in_scope(user, organisation: Organisation | None, kinds=None) -> bool:
    """The same decision as ``scope_q``, for one organisation already loaded."""
    if organisation is None:
        return False
    paths = scope_paths(user, kinds)
    if paths is None:
        return True
    return any(organisation.path.startswith(p) for p in paths)
