"""Every write to organisations, members and roles: atomic, audited, refusing bad input."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from partyreg.audit import audit_record, audit_record_many, changes_between, snapshot
from partyreg.text import fold, natural_key

from .models import Member, MemberView, Organisation, ResidenceArea, Role, path_segment
from .permissions import can_manage_residence_areas
from .rules import MEMBER_FIELDS, member_check, unrecorded_changes
from .scoping import forget_roles

ORGANISATION_FIELDS = (
    "name",
    "code",
    "kind",
    "parent",
    "superior_name",
    "place_name",
    "address",
    "is_active",
)


# --- Organisations --------------------------------------------------------------------------


def _set_path(org: Organisation) -> None:
    parent_path = org.parent.path if org.parent_id else ""
    org.path = parent_path + path_segment(org.pk)
    org.depth = org.path.count("/") - 1


@transaction.atomic
def organisation_create(
    *, actor, name: str, kind: str, parent: Organisation | None = None, **fields
) -> Organisation:
    if parent is not None and not parent.is_active:
        raise ValidationError(
            _("“%(parent)s” has been dissolved; choose an active parent.") % {"parent": parent}
        )
    org = Organisation(name=name, kind=kind, parent=parent, **fields)
    org.full_clean(exclude=["path", "depth"])
    org.save()
    _set_path(org)
    org.save(update_fields=["path", "depth"])
    audit_record(
        actor=actor,
        action="organisation.create",
        target=org,
        changes=changes_between({}, snapshot(org, ORGANISATION_FIELDS)),
    )
    return org


def organisations_bulk_create(*, nodes: list[Organisation]) -> list[Organisation]:
    """Creates many nodes whose parents already exist (loaders and benchmarks).

    Not audited one by one: a loader writes one audit entry for the whole batch.
    """
    with transaction.atomic():
        created = Organisation.objects.bulk_create(nodes, batch_size=1000)
        for org in created:
            _set_path(org)
        Organisation.objects.bulk_update(created, ["path", "depth"], batch_size=1000)
    return created


@transaction.atomic
def organisation_move(
    *, actor, organisation: Organisation, new_parent: Organisation
) -> Organisation:
    """Hangs a node and its whole subtree under ``new_parent``; members stay with their cells."""
    org = Organisation.objects.select_for_update().get(pk=organisation.pk)
    new_parent = Organisation.objects.select_for_update().get(pk=new_parent.pk)
    if new_parent.path.startswith(org.path):
        raise ValidationError(
            _("“%(org)s” cannot be moved under itself or one of its own units.") % {"org": org}
        )
    if not new_parent.is_active:
        raise ValidationError(
            _("“%(parent)s” has been dissolved; choose an active organisation.")
            % {"parent": new_parent}
        )
    if org.parent_id == new_parent.pk:
        raise ValidationError(
            _("“%(org)s” is already under “%(parent)s”.") % {"org": org, "parent": new_parent}
        )
    old_parent = org.parent
    old_path = org.path
    new_path = new_parent.path + path_segment(org.pk)
    depth_change = new_path.count("/") - old_path.count("/")
    Organisation.objects.filter(path__startswith=old_path).update(
        path=Concat(Value(new_path), Substr("path", len(old_path) + 1)),
        depth=F("depth") + depth_change,
    )
    Organisation.objects.filter(pk=org.pk).update(parent=new_parent)
    org.refresh_from_db()
    audit_record(
        actor=actor,
        action="organisation.move",
        target=org,
        changes={"parent": [str(old_parent) if old_parent else None, str(new_parent)]},
    )
    return org


@transaction.atomic
def organisation_merge(
    *, actor, source: Organisation, target: Organisation, note: str = ""
) -> Organisation:
    """Merges ``source`` into ``target`` (the 2025 commune mergers, or two cells).

    The source's children move under the target, its members and roles pass to the target,
    and the source stays in the tree, inactive and marked as merged, so history keeps its name.
    """
    locked = {
        o.pk: o
        for o in Organisation.objects.select_for_update().filter(pk__in=[source.pk, target.pk])
    }
    source, target = locked[source.pk], locked[target.pk]
    if source.pk == target.pk:
        raise ValidationError(_("An organisation cannot be merged into itself."))
    if source.kind != target.kind:
        raise ValidationError(
            _(
                "Only organisations of the same kind can be merged "
                "(“%(a)s” is a %(ka)s, “%(b)s” a %(kb)s)."
            )
            % {
                "a": source,
                "ka": source.get_kind_display().lower(),
                "b": target,
                "kb": target.get_kind_display().lower(),
            }
        )
    if not source.is_active or not target.is_active:
        raise ValidationError(_("Both organisations must be active to be merged."))
    if target.path.startswith(source.path):
        raise ValidationError(_("An organisation cannot be merged into one of its own units."))

    for child in list(source.children.filter(is_active=True)):
        organisation_move(actor=actor, organisation=child, new_parent=target)

    moved = _reassign_members(actor=actor, source=source, target=target)
    _take_areas(source=source, target=target)

    for role in Role.objects.filter(organisation=source).select_related("user"):
        if not Role.objects.filter(user=role.user, organisation=target, kind=role.kind).exists():
            Role.objects.create(user=role.user, organisation=target, kind=role.kind)
        forget_roles(role.user)
    Role.objects.filter(organisation=source).delete()

    source.is_active = False
    source.merged_into = target
    source.dissolved_on = timezone.localdate()
    source.save(update_fields=["is_active", "merged_into", "dissolved_on"])
    audit_record(
        actor=actor,
        action="organisation.merge",
        target=source,
        changes={"merged_into": [None, str(target)], "is_active": [True, False]},
        note=note
        or _("%(count)d members moved to “%(target)s”.") % {"count": moved, "target": target},
    )
    audit_record(
        actor=actor,
        action="organisation.absorb",
        target=target,
        changes={"merged_from": [None, str(source)]},
        note=note,
    )
    return target


def _reassign_members(*, actor, source: Organisation, target: Organisation) -> int:
    """Points every member of the source at the target, with an entry in each one's history."""
    moved = 0
    for field in ("workplace_org", "residence_commune"):
        members = list(Member.objects.select_for_update().filter(**{field: source}))
        if not members:
            continue
        Member.objects.filter(pk__in=[m.pk for m in members]).update(
            **{field: target, "updated_at": timezone.now()}
        )
        audit_record_many(
            actor=actor,
            action="member.reassign",
            targets=members,
            changes={field: [str(source), str(target)]},
            note=_("Organisations merged"),
        )
        moved += len(members)
    return moved


# --- The areas a residence cell covers --------------------------------------------------------


def _areas_text(cell: Organisation) -> str:
    names = ResidenceArea.objects.filter(cell=cell).values_list("name", flat=True)
    return ", ".join(sorted(names, key=natural_key))


def _lock_cell_for_areas(actor, cell: Organisation) -> Organisation:
    # The commune's row is locked too: two officers cannot give one area to two of its cells.
    Organisation.objects.select_for_update().filter(pk=cell.parent_id).first()
    cell = Organisation.objects.select_for_update().get(pk=cell.pk)
    if not can_manage_residence_areas(actor, cell):
        raise PermissionDenied(
            _("Only the commune committee of “%(cell)s” can change the areas it covers.")
            % {"cell": cell}
        )
    return cell


@transaction.atomic
def residence_area_add(*, actor, cell: Organisation, name: str) -> ResidenceArea:
    """Records that ``cell`` covers the area ``name`` (a tổ dân phố, khu phố or thôn)."""
    cell = _lock_cell_for_areas(actor, cell)
    name = " ".join((name or "").split())
    if not fold(name):
        raise ValidationError(
            {"name": _("Write the name of the area as addresses write it, e.g. “Tổ dân phố 4”.")}
        )
    taken = (
        ResidenceArea.objects.filter(
            cell__parent_id=cell.parent_id, cell__is_active=True, search_name=fold(name)
        )
        .select_related("cell")
        .first()
    )
    if taken is not None:
        raise ValidationError(
            {
                "name": _("“%(area)s” is already an area of %(cell)s.")
                % {"area": taken.name, "cell": taken.cell}
            }
        )
    before = _areas_text(cell)
    area = ResidenceArea(cell=cell, name=name)
    area.full_clean(exclude=["cell"])
    area.save()
    audit_record(
        actor=actor,
        action="organisation.areas",
        target=cell,
        changes={"areas": [before or None, _areas_text(cell)]},
    )
    return area


@transaction.atomic
def residence_area_remove(*, actor, area: ResidenceArea) -> None:
    cell = _lock_cell_for_areas(actor, area.cell)
    before = _areas_text(cell)
    ResidenceArea.objects.filter(pk=area.pk).delete()
    audit_record(
        actor=actor,
        action="organisation.areas",
        target=cell,
        changes={"areas": [before, _areas_text(cell) or None]},
    )


def _take_areas(*, source: Organisation, target: Organisation) -> None:
    """A merged residence cell's areas become the target's (those it names already excepted)."""
    named = set(ResidenceArea.objects.filter(cell=target).values_list("search_name", flat=True))
    ResidenceArea.objects.filter(cell=source).exclude(search_name__in=named).update(cell=target)


# --- Members --------------------------------------------------------------------------------


@transaction.atomic
def member_create(*, actor, **fields) -> Member:
    member = Member(**fields)
    if member.category != Member.Category.NORMAL and not member.category_since:
        member.category_since = timezone.localdate()
    member_check(member)
    member.full_clean()
    member.save()
    audit_record(
        actor=actor,
        action="member.create",
        target=member,
        changes=changes_between({}, snapshot(member, MEMBER_FIELDS)),
    )
    return member


@transaction.atomic
def member_update(
    *, actor, member: Member, note: str = "", recorded_change: bool = False, **changes
) -> Member:
    """Changes a member's record.

    Status, residence and workplace change only with ``recorded_change=True``: the residence
    app's change_record passes it after writing the notice the residence side must get.
    """
    unknown = set(changes) - set(MEMBER_FIELDS)
    if unknown:
        raise ValueError(f"not member fields: {sorted(unknown)}")
    locked = Member.objects.select_for_update().get(pk=member.pk)
    before = snapshot(locked, MEMBER_FIELDS)
    for name, value in changes.items():
        setattr(locked, name, value)
    if not recorded_change:
        current = Member.objects.get(pk=member.pk)
        refused = unrecorded_changes(current=current, candidate=locked)
        if refused:
            raise ValidationError(refused)
    if "category" in changes and changes["category"] != before["category"]:
        if "category_since" not in changes or not changes["category_since"]:
            locked.category_since = timezone.localdate()
        if locked.category == Member.Category.NORMAL and "category_reason" not in changes:
            locked.category_reason = ""
    member_check(locked)
    locked.full_clean()
    diff = changes_between(before, snapshot(locked, MEMBER_FIELDS))
    if diff:
        locked.save()
        audit_record(actor=actor, action="member.update", target=locked, changes=diff, note=note)
    return locked


# --- Roles ----------------------------------------------------------------------------------


@transaction.atomic
def role_grant(*, actor, user, organisation: Organisation, kind: str) -> Role:
    role, created = Role.objects.get_or_create(user=user, organisation=organisation, kind=kind)
    if created:
        audit_record(
            actor=actor,
            action="role.grant",
            target=role,
            changes={"user": [None, user.get_username()], "kind": [None, kind]},
        )
    forget_roles(user)
    return role


def member_views_record(*, user, members, via: str) -> None:
    """Writes who opened these members' records: one INSERT however many members (a batch of
    letters), and no transaction of its own, so a page view costs exactly one statement."""
    if not user.is_authenticated:
        return
    MemberView.objects.bulk_create([MemberView(user=user, member=m, via=via) for m in members])


def organisation_follow_merge(*, actor, queryset, field_name: str, source, target, note="") -> None:
    """Points the rows of ``queryset`` whose ``field_name`` is ``source`` at ``target``.

    For the apps whose rows follow a merger (referrals, notices, comment requests): the rows are
    locked, moved in one UPDATE and audited one entry each, against their member.
    """
    rows = list(
        queryset.select_for_update().filter(**{field_name: source}).select_related("member")
    )
    if not rows:
        return
    queryset.filter(pk__in=[r.pk for r in rows]).update(**{field_name: target})
    audit_record_many(
        actor=actor,
        action="organisation.follow_merge",
        targets=rows,
        changes={field_name: [str(source), str(target)]},
        note=note or _("Organisations merged"),
        subject_of=lambda row: row.member,
    )
