"""The comment sheet, signed: by the cell committee on submission ("T/M CHI ỦY / BÍ THƯ"),
countersigned by the commune committee on certification ("XÁC NHẬN CỦA ĐẢNG ỦY"), both on the
one rendering.

The workflow services call ``sheet_submitted`` and ``sheet_certified`` inside their transaction,
once the request has its new state: the sheet is kept and signed with the comment, or nothing
is saved. A committee that signs outside the site gets the sheet kept, to download, sign and
upload on the sheet's signatures page; until the cell's upload is in, the commune cannot
certify. A committee that does not sign electronically changes nothing: its sheet is printed.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from members import signers
from members.models import MemberView
from partyreg.signing.models import SigningCredential

from .. import permissions, selectors
from ..models import CommentRequest
from ..printing.sheets import (
    SHEET_STYLESHEETS,
    SHEET_TEMPLATE,
    ensure_verification_code,
    sheet_context,
    sheet_inputs,
    sheet_queryset,
)
from . import services
from .documents import DocumentType, Rendered, Slot, render_with_spaces
from .models import SignedDocument

State = CommentRequest.State

# The stamps' wording is printed on the sheet: official Vietnamese, not translated.
CELL = Slot(
    name="cell",
    element_id="sign-cell",
    field_name="ChiUy",
    on_behalf="T/M Chi ủy",
    title="Bí thư",
    reason="Nhận xét đảng viên đang công tác nơi cư trú",
)
COMMUNE = Slot(
    name="commune",
    element_id="sign-commune",
    field_name="DangUyXacNhan",
    on_behalf="T/M Đảng ủy",
    title="Bí thư",
    reason="Xác nhận nhận xét của chi ủy nơi cư trú",
)


def _render(request: CommentRequest, code: str) -> Rendered:
    """The sheet as it stands: the cell's part filled once submitted, the commune's once
    certified (a sheet signed on submission leaves the commune's date and name to its stamp)."""
    full = sheet_queryset().get(pk=request.pk)
    context = sheet_context(sheet_inputs(full))
    return render_with_spaces(SHEET_TEMPLATE, context, (CELL, COMMUNE), SHEET_STYLESHEETS)


def _committee(request: CommentRequest, slot: str):
    return request.residence_cell if slot == CELL.name else request.commune


def _can_sign(user, request: CommentRequest, slot: str) -> bool:
    if slot == CELL.name:
        return permissions.can_write_comment(user, request)
    return permissions.can_certify_comment(user, request)


def _not_now(request: CommentRequest, slot: str) -> str | None:
    if slot == CELL.name and request.state != State.SUBMITTED:
        return _(
            "The cell committee signs the sheet once the comment is submitted, before it is "
            "certified."
        )
    if slot == COMMUNE.name and request.state != State.CERTIFIED:
        return _("The commune committee signs the sheet when it certifies the comment.")
    return None


SHEET = DocumentType(
    kind=SignedDocument.Kind.SHEET,
    label=gettext_lazy("comment sheet"),
    slots=(CELL, COMMUNE),
    load=selectors.request_get,
    code=ensure_verification_code,
    render=_render,
    committee=_committee,
    can_sign=_can_sign,
    not_now=_not_now,
    record_url=lambda request: reverse("evaluations:request_detail", args=[request.pk]),
    describe=lambda request: f"{request.member.full_name} — {request.campaign.year}",
    filename=lambda request: f"phieu-nhan-xet-{request.pk}-ky-so",
    member=lambda request: request.member,
    viewed_via=MemberView.Via.SHEET,
)


# --- The workflow's two calls ---------------------------------------------------------------


def sheet_submitted(*, actor, request: CommentRequest) -> SignedDocument | None:
    """On submission (in its transaction): the sheet kept, and signed for the cell committee
    when it signs electronically with a key the site holds."""
    signer = services.signer_for(actor=actor, committee=request.residence_cell)
    if signer is None:
        # A comment submitted again (returned to the cell) is not the one signed before.
        services.document_supersede(request)
        return None
    document = services.document_start(actor=actor, doc_type=SHEET, subject=request)
    if signer.credential.kind != SigningCredential.Kind.EXTERNAL:
        services.document_sign_slot(
            actor=actor,
            doc_type=SHEET,
            subject=request,
            document=document,
            slot=CELL,
            signer=signer,
        )
    return document


def sheet_certified(*, actor, request: CommentRequest) -> SignedDocument | None:
    """On certification (in its transaction): the commune's countersignature on the sheet the
    cell signed (or on the sheet rendered now, if the cell did not sign). Refused while the
    cell, which signs electronically, has not signed."""
    if not settings.PARTYREG_SIGNING["ENABLED"]:
        return None
    document = services.live_document_locked(request)
    cell_signed = document is not None and document.signatures.filter(slot=CELL.name).exists()
    if document is not None and not cell_signed and signers.signing_enabled(request.residence_cell):
        raise ValidationError(
            _(
                "The committee of %(cell)s has not uploaded the sheet of %(member)s signed "
                "yet; certify it once the signed sheet is in."
            )
            % {"cell": request.residence_cell, "member": request.member},
            code="awaiting_signature",
        )
    signer = services.signer_for(actor=actor, committee=request.commune)
    if signer is None:
        return document
    if document is None:
        document = services.document_start(actor=actor, doc_type=SHEET, subject=request)
    if signer.credential.kind != SigningCredential.Kind.EXTERNAL:
        services.document_sign_slot(
            actor=actor,
            doc_type=SHEET,
            subject=request,
            document=document,
            slot=COMMUNE,
            signer=signer,
        )
    return document
