"""Every write of signed documents: keeping a rendering, signing it with the committee's key,
accepting a file signed outside the site, and checking a file against the record.

Signatures go through ``partyreg.signing.services.document_sign`` (made, refused, each
audited). A refusal raises a ``ValidationError`` in plain words and rolls the caller's
transaction back; its audit entry is kept (``refusals``) and written once that transaction is
gone, by ``keep_signing_refusals`` around the service the view called.
"""

import hashlib
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from members import signers
from members.models import CommitteeSigner
from partyreg.audit import audit_record
from partyreg.signing.models import SigningCredential
from partyreg.signing.problems import Problem, SigningRefused
from partyreg.signing.selectors import trusted_certificates
from partyreg.signing.services import document_sign, document_verify
from partyreg.signing.verify import SignatureReport, verify_pdf

from ..models import CommentRequest
from ..printing.sheets import new_verification_code as draw_code
from .documents import DocumentType, Slot, signature_box
from .models import DocumentSignature, SignedDocument
from .refusals import keep_signing_refusals, refusal_keep


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _user(actor):
    return actor if actor is not None and actor.is_authenticated else None


def new_verification_code(_subject=None) -> str:
    """A code no live document and no comment sheet carries."""
    for _attempt in range(5):
        code = draw_code()
        taken = (
            SignedDocument.objects.filter(verification_code=code).exists()
            or CommentRequest.objects.filter(verification_code=code).exists()
        )
        if not taken:
            return code
    raise RuntimeError("Could not draw a unique verification code in 5 attempts.")


def _live(subject):
    return SignedDocument.objects.filter(
        subject_type=ContentType.objects.get_for_model(subject),
        subject_id=subject.pk,
        superseded_at__isnull=True,
    )


def live_document_locked(subject) -> SignedDocument | None:
    return _live(subject).select_for_update().first()


def signer_for(*, actor, committee) -> CommitteeSigner | None:
    """The certificate the actor signs with for the committee; None when the committee does not
    sign electronically. Refused when it does, but has no certificate for the actor."""
    if not signers.signing_enabled(committee):
        return None
    signer = signers.committee_signer(committee, actor)
    if signer is None:
        raise ValidationError(
            _(
                "%(committee)s signs its documents electronically, but no signing certificate "
                "of it is given to you; ask the administrator."
            )
            % {"committee": committee},
            code="no_signer",
        )
    return signer


# --- Keeping the rendering and signing it --------------------------------------------------


def document_supersede(subject) -> None:
    """The subject's live document, if any, is no longer its document (kept, marked replaced):
    what it says was written again."""
    _live(subject).update(superseded_at=timezone.now())


def document_start(*, actor, doc_type: DocumentType, subject) -> SignedDocument:
    """Renders the subject's document as it stands and keeps it, replacing the live one (kept,
    marked replaced). Inside the caller's transaction, with the subject locked."""
    code = doc_type.code(subject)
    rendered = doc_type.render(subject, code)
    document_supersede(subject)
    try:
        with transaction.atomic():
            document = SignedDocument.objects.create(
                kind=doc_type.kind,
                subject_type=ContentType.objects.get_for_model(subject),
                subject_id=subject.pk,
                verification_code=code,
                pdf=rendered.pdf,
                sha256=_sha256(rendered.pdf),
                original_length=len(rendered.pdf),
                original_sha256=_sha256(rendered.pdf),
                boxes={
                    slot.name: signature_box(rendered.spaces[slot.element_id])
                    for slot in doc_type.slots
                    if slot.element_id in rendered.spaces
                },
                created_by=_user(actor),
            )
    except IntegrityError as error:
        raise ValidationError(
            _("The document is being prepared by someone else; reload the page.")
        ) from error
    audit_record(
        actor=actor,
        action="document.keep",
        target=document,
        subject=subject,
        changes={"document": [None, document.sha256]},
        note=str(doc_type.label),
    )
    return document


def _refused(refusal: SigningRefused, committee, *, uploaded: bool) -> ValidationError:
    if uploaded:
        message = _("The signed file was refused: %(problem)s")
    else:
        message = _("The signature of %(committee)s was refused, so nothing was saved: %(problem)s")
    return ValidationError(
        message % {"committee": committee, "problem": refusal.problem.label},
        code="signature_refused",
    )


def document_sign_slot(
    *,
    actor,
    doc_type: DocumentType,
    subject,
    document: SignedDocument,
    slot: Slot,
    signer: CommitteeSigner,
    upload: bytes | None = None,
) -> DocumentSignature:
    """Adds ``slot``'s signature to the (locked) document: with the committee's key, or
    ``upload`` when it is this very document signed outside the site by ``signer``."""
    committee = doc_type.committee(subject, slot.name)
    credential = signer.credential
    role = slot.role(credential)
    if slot.name not in document.boxes:
        raise ValidationError(_("This document has no place for that signature."))
    try:
        signed = document_sign(
            actor=actor,
            pdf=bytes(document.pdf),
            credential=credential,
            subject=subject,
            field_name=slot.field_name,
            box=tuple(document.boxes[slot.name]),
            name=credential.subject_name,
            role=role,
            reason=slot.reason,
            signed_upload=upload,
        )
    except SigningRefused as refusal:
        refusal_keep(
            actor=actor,
            credential=credential,
            subject=subject,
            field_name=slot.field_name,
            problem=refusal.problem,
        )
        raise _refused(refusal, committee, uploaded=upload is not None) from refusal
    field_name, signer_name = slot.field_name, credential.subject_name
    if upload is not None:
        # The outside signer's software named the field; the certificate is the registered one.
        newest = verify_pdf(signed, trust_roots=trusted_certificates())[-1]
        field_name, signer_name = newest.field_name, newest.signer_name
    signature = DocumentSignature.objects.create(
        document=document,
        slot=slot.name,
        field_name=field_name,
        committee=committee,
        role=role,
        credential=credential,
        signer_name=signer_name,
        fingerprint=credential.fingerprint,
        uploaded=upload is not None,
        signed_by=_user(actor),
        length=len(signed),
        sha256=_sha256(signed),
    )
    document.pdf, document.sha256 = signed, _sha256(signed)
    document.save(update_fields=["pdf", "sha256"])
    return signature


# --- What the signatures page does -----------------------------------------------------------


def _lock_subject(subject) -> None:
    """Locks the subject's row and reads its state afresh: two people act on it at once."""
    type(subject).objects.select_for_update().filter(pk=subject.pk).order_by().first()
    subject.refresh_from_db()


def _check_may_sign(actor, doc_type: DocumentType, subject, slot: Slot, document) -> None:
    if not doc_type.can_sign(actor, subject, slot.name):
        raise PermissionDenied(
            _("Only %(committee)s signs here.")
            % {"committee": doc_type.committee(subject, slot.name)}
        )
    reason = doc_type.not_now(subject, slot.name)
    if reason:
        raise ValidationError(reason, code="wrong_state")
    if document is not None and document.signatures.filter(slot=slot.name).exists():
        raise ValidationError(
            _("This place of the document is already signed."), code="already_signed"
        )


@keep_signing_refusals
@transaction.atomic
def document_sign_now(*, actor, doc_type: DocumentType, subject, slot_name: str) -> SignedDocument:
    """Signs ``slot_name`` with the committee's key, keeping the document first if it has none;
    for a committee that signs outside the site, keeps the document to be downloaded."""
    slot = doc_type.slot(slot_name)
    _lock_subject(subject)
    document = live_document_locked(subject)
    _check_may_sign(actor, doc_type, subject, slot, document)
    committee = doc_type.committee(subject, slot.name)
    signer = signer_for(actor=actor, committee=committee)
    if signer is None:
        raise ValidationError(
            _("%(committee)s does not sign its documents electronically.")
            % {"committee": committee},
            code="signing_off",
        )
    if document is None:
        document = document_start(actor=actor, doc_type=doc_type, subject=subject)
    if signer.credential.kind != SigningCredential.Kind.EXTERNAL:
        document_sign_slot(
            actor=actor,
            doc_type=doc_type,
            subject=subject,
            document=document,
            slot=slot,
            signer=signer,
        )
    return document


def _external_signer(actor, committee, upload: bytes) -> CommitteeSigner:
    """The committee's certificate for signing outside the site that signed ``upload`` last
    (else the actor's, which the core then refuses as not the registered signer)."""
    user_id = actor.pk if actor.is_authenticated else None
    candidates = [
        signer
        for signer in signers.committee_signers(committee)
        if signer.credential.kind == SigningCredential.Kind.EXTERNAL
        and signer.user_id in (None, user_id)
    ]
    if not candidates or not signers.signing_enabled(committee):
        raise ValidationError(
            _("%(committee)s has no certificate for signing outside the site.")
            % {"committee": committee},
            code="no_external_signer",
        )
    reports = verify_pdf(upload, trust_roots=trusted_certificates())
    newest = reports[-1].fingerprint if reports else None
    return next((s for s in candidates if s.credential.fingerprint == newest), candidates[0])


@keep_signing_refusals
@transaction.atomic
def document_upload(
    *, actor, doc_type: DocumentType, subject, slot_name: str, upload: bytes
) -> DocumentSignature:
    """Accepts a file signed outside the site for ``slot_name``: only the document as kept,
    byte for byte, with a valid signature added by the committee's registered certificate."""
    slot = doc_type.slot(slot_name)
    _lock_subject(subject)
    document = live_document_locked(subject)
    _check_may_sign(actor, doc_type, subject, slot, document)
    if document is None:
        raise ValidationError(
            _("Download the document to sign first: there is none to sign yet."),
            code="no_document",
        )
    committee = doc_type.committee(subject, slot.name)
    return document_sign_slot(
        actor=actor,
        doc_type=doc_type,
        subject=subject,
        document=document,
        slot=slot,
        signer=_external_signer(actor, committee, upload),
        upload=upload,
    )


# --- Checking signatures ---------------------------------------------------------------------


@dataclass(frozen=True)
class SignatureCheck:
    """One signature of a file, against the record."""

    report: SignatureReport
    recorded: DocumentSignature | None
    problem: str

    @property
    def ok(self) -> bool:
        return not self.problem


def _checks(reports: list[SignatureReport], document: SignedDocument) -> list[SignatureCheck]:
    recorded = {s.field_name: s for s in document.signatures.select_related("committee")}
    checks = []
    for report in reports:
        signature = recorded.get(report.field_name)
        problem = report.message
        if not problem and signature is None:
            problem = _("The site has no record of this signature.")
        elif not problem and signature.fingerprint != report.fingerprint:
            problem = str(Problem.WRONG_SIGNER.label)
        checks.append(SignatureCheck(report=report, recorded=signature, problem=problem))
    return checks


def document_verify_kept(*, actor, document: SignedDocument, subject) -> list[SignatureCheck]:
    """Each signature of the kept file checked (and the check audited); none, unaudited, for a
    document not signed yet."""
    if not document.signatures.exists():
        return []
    pdf = bytes(document.pdf)
    reports = document_verify(
        actor=actor, pdf=pdf, subject=subject, expected_original=document.original
    )
    checks = _checks(reports, document)
    if _sha256(pdf) != document.sha256:
        # The stored file changed under its record: no signature of it is believed.
        problem = str(Problem.ALTERED.label)
        checks = [SignatureCheck(c.report, c.recorded, problem) for c in checks]
    return checks


@dataclass(frozen=True)
class FileCheck:
    """What an uploaded file is, against the record."""

    # "kept": the file as kept; "revision": as it stood after an earlier signature (or before
    # any); "signed": the document issued, validly signed, but not byte for byte a kept
    # revision (signatures added elsewhere); "other": not the document issued, or altered.
    verdict: str
    checks: list[SignatureCheck]
    # The signature the file stops after, for a "revision" (None: the unsigned rendering).
    after: DocumentSignature | None = None

    @property
    def ok(self) -> bool:
        """The document issued, and every signature of it the site recorded holds."""
        return self.verdict != "other" and all(c.ok for c in self.checks if c.recorded)


def document_check(*, actor, document: SignedDocument, subject, upload: bytes) -> FileCheck:
    """Whether ``upload`` is the document the site issued, unaltered (the check audited)."""
    reports = document_verify(
        actor=actor, pdf=upload, subject=subject, expected_original=document.original
    )
    checks = _checks(reports, document)
    digest = _sha256(upload)
    # Byte for byte a file the site kept: that is what it is, whatever its signatures say now
    # (an authority withdrawn since shows on each signature).
    if digest == document.sha256:
        return FileCheck("kept", checks)
    if digest == document.original_sha256:
        return FileCheck("revision", checks)
    earlier = next((s for s in document.signatures.all() if s.sha256 == digest), None)
    if earlier is not None:
        return FileCheck("revision", checks, after=earlier)
    recorded = [c for c in checks if c.recorded is not None]
    if recorded and all(c.ok for c in recorded) and all(c.report.ok for c in checks):
        return FileCheck("signed", checks)
    return FileCheck("other", checks)
