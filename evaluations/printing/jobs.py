"""Print jobs: many certified sheets merged into files of ``PARTYREG["SHEETS_PER_PDF"]`` sheets
(one huge document costs gigabytes of memory to lay out or merge).

A job is a row with status, progress and its files; a task claims it once and queues one chunk
task per file still missing (tasks.py); a chunk renders the sheets whose content changed
(sheets.sheet_ensure) and merges the kept files with pikepdf (qpdf): for 250 one-page sheets it
is several times faster than pypdf and keeps memory low (bench/sheets.py measures both).
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from datetime import timedelta

import pikepdf
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from members.scoping import scope_q
from partyreg.audit import audit_record
from partyreg.celery import BROKER_ERRORS

from ..models import CommentRequest, PrintJob, PrintJobFile
from ..signatures.selectors import signed_sheet_pdfs
from .sheets import sheet_ensure, sheet_queryset

logger = logging.getLogger("partyreg.evaluations.sheets")

# A job still "running" this long after it started has lost its worker and may be retried.
STALE_JOB_AFTER = timedelta(minutes=15)
# A job still "queued" this long after it was sent is sent again by print_jobs_requeue.
REQUEUE_AFTER = timedelta(minutes=2)
# Progress is written after this many sheets of a chunk (one UPDATE, not one per sheet).
PROGRESS_EVERY = 10


def merge_pdfs(files) -> bytes:
    """One PDF of the pages of ``files`` (binary file objects), in order."""
    merged = pikepdf.Pdf.new()
    sources = []
    try:
        for file in files:
            source = pikepdf.open(file)
            sources.append(source)
            if "/AcroForm" in source.Root:
                # A signed sheet: its stamps drawn into the pages, as printed (a merged file
                # keeps no signature, and widgets outside a form may not show).
                source.flatten_annotations(mode="print")
            merged.pages.extend(source.pages)
        out = io.BytesIO()
        merged.save(
            out, compress_streams=True, object_stream_mode=pikepdf.ObjectStreamMode.generate
        )
        return out.getvalue()
    finally:
        for source in sources:
            source.close()
        merged.close()


def printable_requests(user):
    """Certified requests the user may see (the same reach as permissions.can_view_request)."""
    reach = (
        scope_q(user, "workplace_org")
        | scope_q(user, "residence_cell")
        | scope_q(user, "commune")
        | scope_q(user, "campaign__organisation")
    )
    return CommentRequest.objects.filter(reach, state=CommentRequest.State.CERTIFIED)


def print_selection(user, *, campaign=None, organisation=None, request_ids=None):
    """The certified requests a print job of this selection covers, in printing order."""
    requests = printable_requests(user)
    if campaign is not None:
        requests = requests.filter(campaign=campaign)
    if organisation is not None:
        requests = requests.filter(
            Q(workplace_org__path__startswith=organisation.path)
            | Q(residence_cell__path__startswith=organisation.path)
            | Q(commune__path__startswith=organisation.path)
        )
    if request_ids is not None:
        requests = requests.filter(pk__in=request_ids)
    return requests.order_by("workplace_org__path", "member__search_name", "pk")


@transaction.atomic
def print_job_start(
    *, actor, campaign=None, organisation=None, request_ids: list[int] | None = None
) -> PrintJob:
    """A print job of every certified sheet in the selection the actor may see."""
    ids = list(
        print_selection(
            actor, campaign=campaign, organisation=organisation, request_ids=request_ids
        )
        .distinct()
        .values_list("pk", flat=True)
    )
    if not ids:
        raise ValidationError(
            _(
                "There is no certified comment sheet to print in this selection. Sheets can be "
                "printed once the commune committee has certified the comment."
            )
        )
    job = PrintJob.objects.create(
        created_by=actor,
        campaign=campaign,
        organisation=organisation,
        request_ids=ids,
        total=len(ids),
    )
    audit_record(
        actor=actor,
        action="print_job.start",
        target=job,
        changes={},
        note=_("%(count)d comment sheets") % {"count": len(ids)},
    )
    transaction.on_commit(lambda: _dispatch_job(job.pk))
    return job


def can_retry(job: PrintJob) -> bool:
    stale = job.status == PrintJob.Status.RUNNING and (
        job.started_at is None or job.started_at < timezone.now() - STALE_JOB_AFTER
    )
    return job.status == PrintJob.Status.FAILED or stale


@transaction.atomic
def print_job_retry(*, actor, job: PrintJob) -> PrintJob:
    """Queue a failed (or lost) job again; the files it already made are kept."""
    job = PrintJob.objects.select_for_update().get(pk=job.pk)
    if not can_retry(job):
        raise ValidationError(
            _("Only a failed print job can be retried; this one is %(status)s.")
            % {"status": job.get_status_display()}
        )
    done = job.files.aggregate(sheets=Sum("sheets"))["sheets"] or 0
    before = job.status
    job.status = PrintJob.Status.QUEUED
    job.error = ""
    job.done = done
    job.finished_at = None
    job.save(update_fields=["status", "error", "done", "finished_at"])
    audit_record(
        actor=actor, action="print_job.retry", target=job, changes={"status": [before, job.status]}
    )
    transaction.on_commit(lambda: _dispatch_job(job.pk))
    return job


def _dispatch_job(job_id: int) -> None:
    """Send the job to the workers. With the broker down the job stays queued (its page says
    so) and ``print_jobs_requeue`` sends it once the broker is back."""
    from evaluations.printing.tasks import print_job_task

    try:
        print_job_task.apply_async(args=[job_id], queue="printing", retry=False)
    except BROKER_ERRORS:
        logger.warning("Broker unavailable: print job %s waits for the requeue sweep", job_id)


def print_jobs_requeue(now=None, *, queued_for: timedelta = REQUEUE_AFTER) -> int:
    """Send again the jobs whose task was lost; returns how many were sent.

    A job still queued ``queued_for`` after it was created may have missed the broker
    (down, or restarted without its queue); a running job past ``STALE_JOB_AFTER`` has lost its
    worker and its chunk tasks. Sending one twice is harmless: a job is claimed only from
    "queued", and a file already made is not made again.
    """
    now = now or timezone.now()
    stale = PrintJob.objects.filter(
        Q(started_at__isnull=True) | Q(started_at__lt=now - STALE_JOB_AFTER),
        status=PrintJob.Status.RUNNING,
    )
    for job_id in stale.values_list("pk", flat=True):
        with transaction.atomic():
            job = PrintJob.objects.select_for_update().get(pk=job_id)
            if job.status != PrintJob.Status.RUNNING:
                continue
            job.status = PrintJob.Status.QUEUED
            job.done = job.files.aggregate(sheets=Sum("sheets"))["sheets"] or 0
            job.save(update_fields=["status", "done"])
            audit_record(
                actor=None,
                action="print_job.requeue",
                target=job,
                changes={"status": [PrintJob.Status.RUNNING, PrintJob.Status.QUEUED]},
                note=_("Its worker was lost; sent again."),
            )
    waiting = PrintJob.objects.filter(
        status=PrintJob.Status.QUEUED, created_at__lt=now - queued_for
    ).values_list("pk", flat=True)
    sent = 0
    for job_id in waiting:
        _dispatch_job(job_id)
        sent += 1
    return sent


def chunk_size() -> int:
    return max(1, int(settings.PARTYREG["SHEETS_PER_PDF"]))


@dataclass(frozen=True)
class Chunk:
    position: int
    size: int


def print_job_claim(job_id: int) -> list[Chunk]:
    """Move a queued job to running; the chunks still without a file. [] if not queued."""
    claimed = PrintJob.objects.filter(pk=job_id, status=PrintJob.Status.QUEUED).update(
        status=PrintJob.Status.RUNNING, started_at=timezone.now(), attempts=F("attempts") + 1
    )
    if not claimed:
        return []
    job = PrintJob.objects.get(pk=job_id)
    size = chunk_size()
    made = set(job.files.values_list("position", flat=True))
    chunks = [
        Chunk(position, size)
        for position in range((len(job.request_ids) + size - 1) // size)
        if position not in made
    ]
    if not chunks:
        _finish_if_complete(job_id)
    return chunks


def print_job_fail(job_id: int, message: str) -> None:
    PrintJob.objects.filter(
        pk=job_id, status__in=[PrintJob.Status.QUEUED, PrintJob.Status.RUNNING]
    ).update(status=PrintJob.Status.FAILED, error=message, finished_at=timezone.now())


class Cause:
    """Why a chunk of a print job failed, as the task saw it; print_job_failed words it."""

    DATABASE = "database"
    TIME_LIMIT = "time_limit"
    SHEET = "sheet"
    INTERNAL = "internal"


def print_job_failed(job_id: int, cause: str, error: BaseException | None = None) -> None:
    """Marks the job failed with what the user should read and do, for each cause."""
    messages = {
        Cause.DATABASE: _("The database could not be reached while printing. Retry in a moment."),
        Cause.TIME_LIMIT: _(
            "Printing took longer than allowed. Retry: the files already made are kept, "
            "so the job continues where it stopped."
        ),
        Cause.SHEET: _("%(error)s Retry; if it fails again, tell the site administrator.")
        % {"error": error},
        Cause.INTERNAL: _(
            "The files could not be made because of an internal error. Retry; if it fails "
            "again, tell the site administrator."
        ),
    }
    print_job_fail(job_id, messages[cause])


class SheetFailed(Exception):
    """One sheet of a chunk could not be rendered; the message names the member."""


def _progress(job_id: int, done: int, rendered: int) -> bool:
    """Add to the job's counters while it runs; False once it no longer runs (failed)."""
    return bool(
        PrintJob.objects.filter(pk=job_id, status=PrintJob.Status.RUNNING).update(
            done=F("done") + done, rendered=F("rendered") + rendered
        )
    )


def print_job_chunk(job_id: int, position: int, size: int) -> bool:
    """Make file ``position`` of a running job. False when there was nothing to do."""
    job = PrintJob.objects.filter(pk=job_id, status=PrintJob.Status.RUNNING).first()
    if job is None or job.files.filter(position=position).exists():
        return False
    ids = job.request_ids[position * size : (position + 1) * size]
    by_id = {r.pk: r for r in sheet_queryset().filter(pk__in=ids)}
    # A signed sheet prints as signed (the merged file keeps the stamps, not the signatures).
    signed = signed_sheet_pdfs(ids)
    sheets, pending_done, pending_rendered = [], 0, 0
    for request_id in ids:
        request = by_id.get(request_id)
        if request is None:
            continue
        try:
            sheet, rendered = (
                (signed[request_id], False) if request_id in signed else sheet_ensure(request)
            )
        except Exception as error:
            raise SheetFailed(
                _("The sheet of %(member)s could not be printed (%(error)s).")
                % {"member": request.member.full_name, "error": error}
            ) from error
        sheets.append(sheet)
        pending_done += 1
        pending_rendered += rendered
        if pending_done >= PROGRESS_EVERY:
            if not _progress(job_id, pending_done, pending_rendered):
                return False
            pending_done = pending_rendered = 0
    if not sheets:
        raise SheetFailed(_("None of the sheets of this job exists any more."))

    files = [
        io.BytesIO(sheet) if isinstance(sheet, bytes) else sheet.pdf.open("rb") for sheet in sheets
    ]
    try:
        merged = merge_pdfs(files)
    finally:
        for file in files:
            file.close()

    with transaction.atomic():
        job = PrintJob.objects.select_for_update().get(pk=job_id)
        if job.status != PrintJob.Status.RUNNING or job.files.filter(position=position).exists():
            return False
        job_file = PrintJobFile(job=job, position=position, sheets=len(sheets))
        job_file.file.save(
            f"phieu-nhan-xet-{job.pk}-{position + 1:02d}.pdf", ContentFile(merged), save=False
        )
        job_file.save()
        PrintJob.objects.filter(pk=job_id).update(
            done=F("done") + pending_done, rendered=F("rendered") + pending_rendered
        )
        _finish_if_complete(job_id)
    return True


def _finish_if_complete(job_id: int) -> None:
    job = PrintJob.objects.get(pk=job_id)
    made = job.files.aggregate(sheets=Sum("sheets"))["sheets"] or 0
    chunks = (len(job.request_ids) + chunk_size() - 1) // chunk_size()
    if job.files.count() >= chunks or made >= job.total:
        PrintJob.objects.filter(pk=job_id, status=PrintJob.Status.RUNNING).update(
            status=PrintJob.Status.DONE, done=job.total, finished_at=timezone.now()
        )
