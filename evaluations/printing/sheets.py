"""The printed comment sheet: render once per content and keep it (print jobs: jobs.py).

Each certified comment is rendered in the background as soon as it is certified
(``queue_sheet_render``, a batch of sheets a task) and kept as a PrintedSheet with the sha256 of
everything printed on it (and of the layout files). Rendering again is skipped while that hash is
unchanged, so printing every sheet of a bloc mostly merges files that already exist.
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
from functools import cache, lru_cache
from pathlib import Path

import pikepdf
import qrcode
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.urls import reverse
from django.utils import timezone

from members.models import Organisation
from partyreg.celery import BROKER_ERRORS
from partyreg.pdf import render_pdf
from partyreg.web import site_url
from residence.letters import place_name

from ..models import CommentRequest, CriterionAnswer, PrintedSheet
from ..signatures.selectors import signed_sheet_ids

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
# The QR code's mask pattern (0-7), fixed: see qr_data_uri.
QR_MASK = 2
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
    from evaluations.printing.tasks import render_sheet_task

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
    return site_url(reverse("evaluations:sheet_verify", args=[code]))


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

    The others (not certified, withdrawn, gone) are left alone, and so are signed sheets: the
    signed file is what they print (evaluations.signatures).
    """
    ids = list(request_ids)
    requests = sheet_queryset().filter(pk__in=ids, state=CommentRequest.State.CERTIFIED)
    requests = requests.exclude(pk__in=signed_sheet_ids(ids))
    return sum(sheet_ensure(request)[1] for request in requests.order_by("pk"))
