"""The member import as a workflow: a file read and kept with its preview, then discarded or
applied row by row through the member services, all or nothing."""

from uuid import uuid4

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from partyreg.audit import audit_record

from ..models import MemberImport
from ..services import member_create, member_update
from .reading import ImportHasErrors, read_member_file


@transaction.atomic
def member_import_create(*, actor, upload):
    """Reads an uploaded member list and keeps it with its preview until it is confirmed.

    A file that cannot be used as a whole (damaged, not .xlsx, too large) raises
    ValidationError and nothing is kept; a file with wrong rows is kept so its preview can
    show every error, and cannot be applied.
    """
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
