"""Who acts for an organisation: the users a reminder or a hand-over about it goes to.

An acting user of an organisation holds a role of ``Role.ACTING_KINDS`` (secretary, officer)
there, is active, and the organisation is active: the people ``in_scope(user, org,
Role.ACTING_KINDS)`` lets act on it, nearest first. Supervising staff only read and are never
told to act. The reminder scan loads the whole tree once (``ActingRoles.everywhere``); a
hand-over loads only the organisations it concerns and their ancestors (``around``), in two
queries whatever their number.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from .models import Organisation, Role


@dataclass
class OrgInfo:
    kind: str
    path: str
    name: str


def _path_ids(path: str) -> list[int]:
    return [int(segment) for segment in path.split("/") if segment]


@dataclass(kw_only=True)
class ActingRoles:
    orgs: dict[int, OrgInfo] = field(default_factory=dict)
    # organisation id -> role kind -> user ids
    roles: dict[int, dict[str, list[int]]] = field(default_factory=dict)

    @classmethod
    def everywhere(cls, **fields) -> "ActingRoles":
        """Every organisation and every acting role of the tree."""
        found = cls(**fields)
        for pk, kind, path, name in Organisation.objects.values_list("id", "kind", "path", "name"):
            found.orgs[pk] = OrgInfo(kind, path, name)
        found._load_roles(Role.objects.all())
        return found

    @classmethod
    def around(cls, organisations: Iterable[Organisation | None]) -> "ActingRoles":
        """The given organisations, their ancestors, and the acting roles held in them."""
        found = cls()
        ids = {pk for org in organisations if org is not None for pk in _path_ids(org.path)}
        if not ids:
            return found
        rows = Organisation.objects.filter(pk__in=ids).values_list("id", "kind", "path", "name")
        for pk, kind, path, name in rows:
            found.orgs[pk] = OrgInfo(kind, path, name)
        found._load_roles(Role.objects.filter(organisation_id__in=ids))
        return found

    def _load_roles(self, roles) -> None:
        rows = roles.filter(
            kind__in=Role.ACTING_KINDS, user__is_active=True, organisation__is_active=True
        ).values_list("organisation_id", "kind", "user_id")
        for org_id, kind, user_id in rows.order_by("organisation_id", "kind", "user_id"):
            self.roles.setdefault(org_id, {}).setdefault(kind, []).append(user_id)

    def name(self, org_id: int) -> str:
        info = self.orgs.get(org_id)
        return info.name if info else ""

    def _ancestors(self, org_id: int) -> list[int]:
        """The organisation itself, then each one above it, nearest first."""
        info = self.orgs.get(org_id)
        if info is None:
            return []
        return list(reversed(_path_ids(info.path)))

    def secretaries(self, org_id: int) -> list[int]:
        """The organisation's secretaries, or its officers when it has no secretary."""
        held = self.roles.get(org_id, {})
        return held.get(Role.Kind.SECRETARY) or held.get(Role.Kind.OFFICER) or []

    def committee(self, org_id: int) -> list[int]:
        """Everyone who acts for the committee: secretaries and officers."""
        held = self.roles.get(org_id, {})
        return sorted({*held.get(Role.Kind.SECRETARY, []), *held.get(Role.Kind.OFFICER, [])})

    def workplace_secretaries(self, org_id: int) -> list[int]:
        """The secretary of the workplace cell, else of the nearest workplace body above it."""
        for ancestor in self._ancestors(org_id):
            info = self.orgs.get(ancestor, None)
            if info is None or info.kind not in Organisation.WORKPLACE_KINDS:
                continue
            users = self.secretaries(ancestor)
            if users:
                return users
        return []

    def commune_of(self, org_id: int) -> int | None:
        for ancestor in self._ancestors(org_id):
            info = self.orgs.get(ancestor)
            if info is not None and info.kind == Organisation.Kind.COMMUNE:
                return ancestor
        return None
