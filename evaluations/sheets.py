"""The printed comment sheet: render once per content, keep it, merge ready sheets into jobs.

Each certified comment is rendered in the background as soon as it is certified
(``queue_sheet_render``, a batch of sheets a task) and kept as a PrintedSheet with the sha256 of
everything printed on it (and of the layout files). Rendering again is skipped while that hash is
unchanged, so printing every sheet of a bloc mostly merges files that already exist. A print job
splits its sheets into files of ``PARTYREG["SHEETS_PER_PDF"]`` sheets: one huge document costs
gigabytes of memory to lay out or merge.

Merging uses pikepdf (qpdf): for 250 one-page sheets it is several times faster than pypdf and
keeps memory low (bench/sheets.py measures both).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import logging
import secrets
import struct
import zlib
from dataclasses import dataclass
from datetime import timedelta
from functools import cache, lru_cache
from pathlib import Path

import pikepdf
import qrcode
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F, Prefetch, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from members.models import Organisation
from members.scoping import scope_q
from partyreg.audit import audit_record
from partyreg.celery import BROKER_ERRORS
from partyreg.pdf import render_pdf
from residence.letters import place_name

from .models import CommentRequest, CriterionAnswer, PrintedSheet, PrintJob, PrintJobFile

logger = logging.getLogger("partyreg.evaluations.sheets")

SHEET_TEMPLATE = "evaluations/sheet.html"
# The files whose change changes every sheet: part of each sheet's content hash.
LAYOUT_FILES = (
    "templates/evaluations/sheet.html",
    "templates/pdf/document.html",
    "static/pdf/party.css",
    "static/pdf/sheet.css",
    "static/pdf/tick-box.png",
)
# The sheet's own styles, applied after party.css and parsed once per process.
SHEET_STYLESHEETS = ("pdf/sheet.css",)
# No 0/O, 1/I/L or U/V: a code read aloud or typed from paper cannot be mistaken.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"
CODE_LENGTH = 10
# A job still "running" this long after it started has lost its worker and may be retried.
STALE_JOB_AFTER = timedelta(minutes=15)
# A job still "queued" this long after it was sent is sent again by print_jobs_requeue.
REQUEUE_AFTER = timedelta(minutes=2)
# The QR code's mask pattern (0-7), fixed: see qr_data_uri.
QR_MASK = 2
# Progress is written after this many sheets of a chunk (one UPDATE, not one per sheet).
PROGRESS_EVERY = 10
# Sheets rendered ahead by one background task (certifying a whole cell queues a few tasks).
RENDER_BATCH = 20

TITLE = "Phiếu nhận xét"
SUBTITLE = (
    "đảng viên đang công tác thường xuyên giữ mối liên hệ với tổ chức đảng và nhân dân nơi cư trú"
)


def queue_sheet_render(request_ids) -> None:
    """Enqueue the background render of certified requests' sheets on the "printing" queue,
    ``RENDER_BATCH`` sheets a task.

    Call it inside ``transaction.on_commit``; the task re-reads the rows and leaves alone every
    sheet already up to date. A batch is read in one query: PostgreSQL plans the sheet's
    13-table join in about 11 ms, several times the time it takes to run, so one query a
    sheet spent more time planning than reading.
    """
    from evaluations.tasks import render_sheet_task

    ids = list(request_ids)
    for start in range(0, len(ids), RENDER_BATCH):
        batch = ids[start : start + RENDER_BATCH]
        try:
            render_sheet_task.apply_async(args=[batch], queue="printing", retry=False)
        except BROKER_ERRORS:
            # Only a head start: a print job renders any sheet that is missing or out of date.
            logger.warning("Broker unavailable: sheets of requests %s not rendered ahead", batch)
            return


# --- What a sheet prints -------------------------------------------------------------------


def sheet_queryset():
    """Requests with everything their sheet prints, in a fixed number of queries."""
    return CommentRequest.objects.select_related(
        "campaign",
        "member__workplace_org__parent",
        "member__residence_commune",
        "workplace_org",
        "residence_cell",
        "commune",
        "sitting",
        "submitted_by",
        "certified_by",
        "printed_sheet",
    ).prefetch_related(
        Prefetch(
            "answers",
            queryset=CriterionAnswer.objects.select_related("criterion").order_by(
                "criterion__position"
            ),
        )
    )


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _full_name(user) -> str:
    return (user.get_full_name() or "").strip() if user else ""


def _workplace(request: CommentRequest) -> tuple[str, str]:
    """The member's cell and the organisation it belongs to, as the sheet names them."""
    cell = request.member.workplace_org
    if cell.kind == Organisation.Kind.CELL and cell.parent is not None:
        return cell.name, cell.parent.name
    if request.workplace_org_id != cell.pk:
        return cell.name, request.workplace_org.name
    return cell.name, ""


def verify_url(code: str) -> str:
    base = settings.PARTYREG["SITE_URL"].rstrip("/")
    return base + reverse("evaluations:sheet_verify", args=[code])


def sheet_inputs(request: CommentRequest) -> dict:
    """Everything the sheet prints, as plain data: the render context and the hashed content."""
    member = request.member
    cell_name, organisation_name = _workplace(request)
    place = request.residence_cell.place_name or request.commune.place_name
    commune_place = request.commune.place_name or place
    address = ", ".join(
        part
        for part in (
            member.residence_address,
            place_name(member.residence_commune.name) if member.residence_commune else "",
        )
        if part
    )
    sitting = request.sitting
    submitted_on = timezone.localtime(request.submitted_at).date() if request.submitted_at else None
    certified_on = timezone.localtime(request.certified_at).date() if request.certified_at else None
    return {
        "superior_name": request.commune.name,
        "issuer_name": request.residence_cell.name,
        "place": place,
        "date": submitted_on,
        "title": TITLE,
        "subtitle": SUBTITLE,
        "form": request.form,
        "year": request.campaign.year,
        "reason": (
            ""
            if request.reason == CommentRequest.Reason.ANNUAL
            else str(request.get_reason_display())
        ),
        "reason_note": request.reason_note,
        "member": {
            "full_name": member.full_name,
            "gender": member.gender,
            "date_of_birth": member.date_of_birth,
        },
        "workplace_cell": cell_name,
        "workplace_organisation": organisation_name,
        "residence_address": address,
        "criteria": [
            {
                "position": answer.criterion.position,
                "text": answer.criterion.text,
                "levels": [
                    {"text": level, "chosen": i == answer.level}
                    for i, level in enumerate(answer.criterion.levels)
                ],
                "comment": answer.comment,
            }
            for answer in request.answers.all()
        ],
        "attendance": {
            "invited": request.meetings_invited,
            "present": request.meetings_present,
            "excused": request.meetings_excused,
            "unexcused": request.meetings_unexcused,
        },
        "sitting": (
            {
                "held_on": sitting.held_on,
                "place": sitting.place,
                "cell_committee": _lines(sitting.cell_committee_attendees),
                "front_committee": _lines(sitting.front_committee_attendees),
            }
            if sitting
            else None
        ),
        "other_comments": request.other_comments,
        "secretary": {
            "place": place,
            "date": submitted_on,
            "name": _full_name(request.submitted_by),
        },
        "certifier": {
            "place": commune_place,
            "date": certified_on,
            "name": _full_name(request.certified_by),
        },
        "verification_code": request.verification_code,
        "verify_url": verify_url(request.verification_code),
    }


@cache
def layout_fingerprint() -> str:
    digest = hashlib.sha256()
    for name in LAYOUT_FILES:
        digest.update((Path(settings.BASE_DIR) / name).read_bytes())
    return digest.hexdigest()


def content_hash(inputs: dict) -> str:
    payload = json.dumps(inputs, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(f"{layout_fingerprint()}\n{payload}".encode()).hexdigest()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


@lru_cache(maxsize=1024)
def qr_data_uri(text: str) -> str:
    """A QR code of ``text`` as a PNG data: URI, one pixel per module (the PDF fetcher accepts
    only data: URIs).

    A bitmap of about 400 bytes, drawn unscaled-then-stretched without smoothing (sheet.css:
    image-rendering: pixelated): an SVG path of the same code took WeasyPrint about 15 ms per
    sheet to parse and draw, a tenth of the whole sheet. The mask pattern is fixed: searching
    the eight for the "best" one took 9 ms per code in pure Python, and any mask reads back
    (a reader takes it from the code's format bits).
    """
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M, border=0, mask_pattern=QR_MASK
    )
    code.add_data(text)
    code.make(fit=True)
    matrix = code.get_matrix()
    size = len(matrix)
    # Grey-scale, 8 bits, each row preceded by its filter byte (0: none).
    raw = b"".join(b"\x00" + bytes(0 if dark else 255 for dark in row) for row in matrix)
    png = (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 0, 0, 0, 0))
        + _png_chunk(b"IDAT", zlib.compress(raw, 9))
        + _png_chunk(b"IEND", b"")
    )
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def sheet_context(inputs: dict) -> dict:
    return {**inputs, "qr_code": qr_data_uri(inputs["verify_url"])}


# --- Verification codes --------------------------------------------------------------------


def new_verification_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def ensure_verification_code(request: CommentRequest) -> str:
    """The request's code, given one (random, unique, never changed) the first time."""
    if request.verification_code:
        return request.verification_code
    for _attempt in range(5):
        code = new_verification_code()
        try:
            with transaction.atomic():
                CommentRequest.objects.filter(pk=request.pk, verification_code__isnull=True).update(
                    verification_code=code
                )
        except IntegrityError:
            continue  # another request already holds this code: draw again
        request.verification_code = CommentRequest.objects.values_list(
            "verification_code", flat=True
        ).get(pk=request.pk)
        return request.verification_code
    raise RuntimeError("Could not draw a unique verification code in 5 attempts.")


# --- Rendering one sheet -------------------------------------------------------------------


def _page_count(pdf: bytes) -> int:
    with pikepdf.open(io.BytesIO(pdf)) as document:
        return len(document.pages)


def _current_sheet(request: CommentRequest) -> PrintedSheet | None:
    try:
        return request.printed_sheet
    except PrintedSheet.DoesNotExist:
        return None


def sheet_ensure(request: CommentRequest) -> tuple[PrintedSheet, bool]:
    """The request's up-to-date sheet, rendered only when its content changed.

    ``request`` comes from ``sheet_queryset()``. Returns the sheet and whether it was rendered.
    """
    ensure_verification_code(request)
    inputs = sheet_inputs(request)
    digest = content_hash(inputs)
    sheet = _current_sheet(request)
    if (
        sheet is not None
        and sheet.content_hash == digest
        and sheet.pdf.storage.exists(sheet.pdf.name)
    ):
        return sheet, False

    pdf = render_pdf(SHEET_TEMPLATE, sheet_context(inputs), stylesheets=SHEET_STYLESHEETS)
    pages = _page_count(pdf)
    storage = PrintedSheet._meta.get_field("pdf").storage
    with transaction.atomic():
        # The request row is the lock: two workers rendering the same sheet write one row.
        CommentRequest.objects.select_for_update().filter(pk=request.pk).first()
        sheet = PrintedSheet.objects.filter(request_id=request.pk).first()
        old_name = sheet.pdf.name if sheet is not None else ""
        if sheet is None:
            sheet = PrintedSheet(request_id=request.pk)
        sheet.content_hash = digest
        sheet.pages = pages
        sheet.rendered_at = timezone.now()
        sheet.pdf.save(f"sheet-{request.pk}-{digest[:12]}.pdf", ContentFile(pdf), save=False)
        sheet.save()
        if old_name and old_name != sheet.pdf.name:
            transaction.on_commit(lambda: storage.delete(old_name))
    request.printed_sheet = sheet
    return sheet, True


def sheet_render(request_ids) -> int:
    """Bring certified requests' sheets up to date; how many had to be rendered.

    The others (not certified, withdrawn, gone) are left alone.
    """
    requests = sheet_queryset().filter(
        pk__in=list(request_ids), state=CommentRequest.State.CERTIFIED
    )
    return sum(sheet_ensure(request)[1] for request in requests.order_by("pk"))


def merge_pdfs(files) -> bytes:
    """One PDF of the pages of ``files`` (binary file objects), in order."""
    merged = pikepdf.Pdf.new()
    sources = []
    try:
        for file in files:
            source = pikepdf.open(file)
            sources.append(source)
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


# --- Print jobs ----------------------------------------------------------------------------


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
    from evaluations.tasks import print_job_task

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
    sheets, pending_done, pending_rendered = [], 0, 0
    for request_id in ids:
        request = by_id.get(request_id)
        if request is None:
            continue
        try:
            sheet, rendered = sheet_ensure(request)
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

    files = [sheet.pdf.open("rb") for sheet in sheets]
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
