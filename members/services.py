"""Every write to organisations, members and roles: atomic, audited, refusing bad input."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from partyreg.audit import audit_record, audit_record_many, changes_between, snapshot

from .models import Member, MemberView, Organisation, Role, path_segment
from .scoping import forget_roles

MEMBER_FIELDS = (
    "full_name",
    "gender",
    "date_of_birth",
    "card_number",
    "profile_number",
    "admitted_on",
    "full_member_on",
    "workplace_org",
    "position",
    "phone",
    "email",
    "residence_address",
    "residence_commune",
    "status",
    "category",
    "category_reason",
    "category_since",
)
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


# --- Members --------------------------------------------------------------------------------


def _check_member(member: Member) -> None:
    errors = {}
    if member.workplace_org_id and member.workplace_org.kind not in Organisation.MEMBER_HOME_KINDS:
        errors["workplace_org"] = _(
            "Choose a Party cell or grassroots organisation of the workplace."
        )
    if member.workplace_org_id and not member.workplace_org.is_active:
        errors["workplace_org"] = _("This organisation has been dissolved; choose an active one.")
    if member.residence_commune_id and member.residence_commune.kind != Organisation.Kind.COMMUNE:
        errors["residence_commune"] = _("Choose a commune or ward Party committee.")
    if member.date_of_birth and member.date_of_birth > date.today():
        errors["date_of_birth"] = _("The date of birth cannot be in the future.")
    if member.admitted_on and member.date_of_birth and member.admitted_on <= member.date_of_birth:
        errors["admitted_on"] = _("The admission date must come after the date of birth.")
    if member.full_member_on and member.admitted_on and member.full_member_on < member.admitted_on:
        errors["full_member_on"] = _("Full membership cannot come before admission.")
    if member.category != Member.Category.NORMAL and not member.category_reason.strip():
        errors["category_reason"] = _("Give the reason for the exemption.")
    if errors:
        raise ValidationError(errors)


def unrecorded_changes(*, current: Member, candidate: Member) -> dict[str, str]:
    """Errors for the fields an ordinary edit may not change (Member.CHANGE_RECORDED_FIELDS)."""
    message = _(
        "This changes the member's status, residence or workplace: record it with “Record a "
        "change” on the member's page, so that the residence side is told."
    )
    return {
        name: message
        for name in Member.CHANGE_RECORDED_FIELDS
        if getattr(current, name) != getattr(candidate, name)
    }


@transaction.atomic
def member_create(*, actor, **fields) -> Member:
    member = Member(**fields)
    if member.category != Member.Category.NORMAL and not member.category_since:
        member.category_since = timezone.localdate()
    _check_member(member)
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
    _check_member(locked)
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


# --- Member imports -------------------------------------------------------------------------
# Imported here rather than at the top: the spreadsheet module checks rows with this module's
# rules (_check_member), so it imports this one.


@transaction.atomic
def member_import_create(*, actor, upload):
    """Reads an uploaded member list and keeps it with its preview until it is confirmed.

    A file that cannot be used as a whole (damaged, not .xlsx, too large) raises
    ValidationError and nothing is kept; a file with wrong rows is kept so its preview can
    show every error, and cannot be applied.
    """
    from uuid import uuid4

    from .models import MemberImport
    from .spreadsheets import read_member_file

    plan = read_member_file(upload, user=actor)
    summary = plan.summary()
    upload.seek(0)
    member_import = MemberImport(
        created_by=actor, original_name=(upload.name or "")[:255], summary=summary
    )
    member_import.file.save(f"{uuid4().hex}.xlsx", upload, save=False)
    member_import.save()
    audit_record(
        actor=actor,
        action="member_import.create",
        target=member_import,
        changes={"counts": [None, summary["counts"]]},
    )
    return member_import


@transaction.atomic
def member_import_discard(*, actor, member_import):
    from .models import MemberImport

    locked = MemberImport.objects.select_for_update().get(pk=member_import.pk)
    if locked.status != MemberImport.Status.PREVIEWED:
        raise ValidationError(_("This import is no longer waiting for confirmation."))
    locked.status = MemberImport.Status.DISCARDED
    locked.save(update_fields=["status"])
    name, storage = locked.file.name, locked.file.storage
    transaction.on_commit(lambda: storage.delete(name))
    audit_record(
        actor=actor,
        action="member_import.discard",
        target=locked,
        changes={"status": [MemberImport.Status.PREVIEWED, MemberImport.Status.DISCARDED]},
    )
    return locked


@transaction.atomic
def member_import_apply(*, actor, member_import):
    """Re-reads the stored file and applies every row, all or nothing, each one audited.

    Raises ``spreadsheets.ImportHasErrors`` (a ValidationError carrying the fresh plan) when a
    row has become wrong since the preview, and ValidationError for an import not waiting.
    """
    from .models import MemberImport
    from .spreadsheets import ImportHasErrors, read_member_file

    locked = MemberImport.objects.select_for_update().get(pk=member_import.pk)
    if locked.status != MemberImport.Status.PREVIEWED:
        raise ValidationError(
            _("This import was already %(status)s; upload the file again to import it.")
            % {"status": locked.get_status_display().lower()}
        )
    with locked.file.open("rb") as stored:
        plan = read_member_file(stored, user=actor)
    if plan.errors:
        raise ImportHasErrors(plan)
    note = _("Imported from the file “%(name)s”.") % {"name": locked.original_name}
    for row in plan.rows:
        try:
            if row.action == "new":
                member_create(actor=actor, **row.values)
            elif row.action == "update":
                member_update(actor=actor, member=row.member, note=note, **row.values)
        except ValidationError as error:
            raise ValidationError(
                _(
                    "Row %(row)d: %(problem)s Nothing was imported; correct the file and "
                    "upload it again."
                )
                % {"row": row.row, "problem": " ".join(error.messages)}
            ) from error
    summary = plan.summary()
    locked.status = MemberImport.Status.APPLIED
    locked.applied_at = timezone.now()
    locked.summary = summary
    locked.save(update_fields=["status", "applied_at", "summary"])
    audit_record(
        actor=actor,
        action="member_import.apply",
        target=locked,
        changes={"status": [MemberImport.Status.PREVIEWED, MemberImport.Status.APPLIED]},
        note=_("%(new)d members added, %(updated)d updated.") % summary["counts"],
    )
    return locked


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
