"""Reads of signed documents. Printing asks here for a sheet's signed file, so nothing here
imports evaluations.printing (which the kinds of document use to render)."""

import re
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType

from members import signers
from members.models import CommitteeSigner
from partyreg.audit import audit_history
from partyreg.signing.models import SigningCredential

from ..models import CommentRequest
from .documents import DocumentType, Slot
from .models import DocumentSignature, SignedDocument

# What a verification code can be (the column holds at most 12 characters).
_CODE = re.compile(r"[0-9A-Z]{1,12}")

# The audit entries the signatures page lists (every check of the signatures is audited too,
# each time the page is seen: the audit log has them).
SIGNATURE_ACTIONS = ("document.keep", "signature.make", "signature.refuse")


def _live(model):
    return SignedDocument.objects.filter(
        subject_type=ContentType.objects.get_for_model(model), superseded_at__isnull=True
    )


def live_document(subject) -> SignedDocument | None:
    return _live(type(subject)).filter(subject_id=subject.pk).first()


def document_for_code(code: str) -> SignedDocument | None:
    """The live document a verification code names (codes are printed in capitals); None for
    anything but a code's letters and digits (a NUL byte fails the query on PostgreSQL)."""
    code = code.upper()
    if not _CODE.fullmatch(code):
        return None
    return SignedDocument.objects.filter(verification_code=code, superseded_at__isnull=True).first()


def _signed_sheets(request_ids):
    return (
        _live(CommentRequest)
        .filter(subject_id__in=list(request_ids), signatures__isnull=False)
        .distinct()
    )


def signed_sheet_ids(request_ids) -> set[int]:
    """Which of these comment sheets are signed (their printed sheet is the signed file)."""
    return set(_signed_sheets(request_ids).values_list("subject_id", flat=True))


def signed_sheet_pdfs(request_ids) -> dict[int, bytes]:
    """The signed file of each of these comment sheets that has a signature."""
    documents = _signed_sheets(request_ids).values_list("subject_id", "pdf")
    return {subject_id: bytes(pdf) for subject_id, pdf in documents}


def signed_sheet_pdf(request: CommentRequest) -> bytes | None:
    """The comment sheet's signed file, if it has a signature: the electronic original, which
    is what the sheet prints too."""
    return signed_sheet_pdfs([request.pk]).get(request.pk)


def awaits_signature(subject, slot_name: str) -> bool:
    """Whether the subject's document was kept to be signed outside the site at ``slot_name``
    and that signature is not in yet."""
    document = live_document(subject)
    return document is not None and not document.signatures.filter(slot=slot_name).exists()


@dataclass(frozen=True)
class SlotState:
    """A place of the document to sign, as the page shows it to one user."""

    slot: Slot
    committee: object
    signature: DocumentSignature | None
    # The committee signs electronically (its own switch and the site's are on).
    electronic: bool
    # What the user can do now: "sign" (with the site's key), "upload" (signed outside), "".
    action: str
    # For "upload": the document to sign has been kept and can be downloaded.
    ready: bool


def slot_states(
    doc_type: DocumentType, subject, document: SignedDocument | None, user
) -> list[SlotState]:
    signed = {s.slot: s for s in document.signatures.all()} if document else {}
    states = []
    for slot in doc_type.slots:
        committee = doc_type.committee(subject, slot.name)
        electronic = signers.signing_enabled(committee)
        action = ""
        if (
            electronic
            and slot.name not in signed
            and doc_type.can_sign(user, subject, slot.name)
            and doc_type.not_now(subject, slot.name) is None
        ):
            action = _action(signers.committee_signer(committee, user))
        states.append(
            SlotState(
                slot=slot,
                committee=committee,
                signature=signed.get(slot.name),
                electronic=electronic,
                action=action,
                ready=document is not None,
            )
        )
    return states


def _action(signer: CommitteeSigner | None) -> str:
    if signer is None:
        return ""
    return "upload" if signer.credential.kind == SigningCredential.Kind.EXTERNAL else "sign"


def signature_history(subject, limit: int = 50):
    return audit_history(subject).filter(action__in=SIGNATURE_ACTIONS)[:limit]
