"""Signed outside the site and uploaded: accepted only as the very document kept, validly signed
by the committee's registered certificate; every other file refused, the refusal audited."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from evaluations import services
from evaluations.models import CommentRequest
from evaluations.signatures import services as signature_services
from evaluations.signatures.models import DocumentSignature, SignedDocument
from evaluations.signatures.sheets import SHEET
from partyreg.models import AuditEntry
from partyreg.signing.certificates import fingerprint
from partyreg.signing.problems import Problem
from partyreg.signing.verify import verify_pdf

from .conftest import another_request, signed_outside, submit_comment

pytestmark = pytest.mark.django_db


@pytest.fixture
def outside(world, signing, comment):
    """The cell signs outside the site; its comment is submitted, the sheet kept to sign."""
    signing.give(world.residence_cell, signing.pki.signer, kind="external")
    request = submit_comment(world, comment)
    return request, SignedDocument.objects.get()


def upload(world, request, data: bytes, actor=None):
    return signature_services.document_upload(
        actor=actor or world.residence_secretary,
        doc_type=SHEET,
        subject=request,
        slot_name="cell",
        upload=data,
    )


def test_the_sheet_waits_for_the_cells_upload_then_is_countersigned(world, signing, outside):
    request, document = outside
    assert not document.signatures.exists()
    signing.give(world.commune, signing.pki.countersigner)

    with pytest.raises(ValidationError, match="has not uploaded the sheet"):
        services.comment_certify(actor=world.commune_officer, request=request)
    request.refresh_from_db()
    assert request.state == CommentRequest.State.SUBMITTED

    signature = upload(world, request, signed_outside(bytes(document.pdf), signing.pki.signer))

    assert signature.uploaded and signature.field_name == "KySoNgoai"
    assert signature.fingerprint == fingerprint(signing.pki.signer.certificate)
    services.comment_certify(actor=world.commune_officer, request=request)
    document.refresh_from_db()
    assert [s.slot for s in document.signatures.all()] == ["cell", "commune"]
    checked = verify_pdf(
        bytes(document.pdf),
        trust_roots=[signing.pki.authority.certificate],
        expected_original=document.original,
    )
    assert [r.ok for r in checked] == [True, True], [r.message for r in checked]


def _altered(pdf: bytes) -> bytes:
    position = pdf.index(b"stream\n", len(pdf) // 3) + 20
    return pdf[:position] + bytes([pdf[position] ^ 0x01]) + pdf[position + 1 :]


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (lambda pdf, pki, other: _altered(signed_outside(pdf, pki.signer)), Problem.ALTERED),
        (lambda pdf, pki, other: signed_outside(pdf, pki.foreign), Problem.UNTRUSTED),
        (lambda pdf, pki, other: signed_outside(pdf, pki.expired), Problem.EXPIRED),
        (lambda pdf, pki, other: signed_outside(pdf, pki.countersigner), Problem.WRONG_SIGNER),
        (lambda pdf, pki, other: signed_outside(other, pki.signer), Problem.NOT_ISSUED),
        (lambda pdf, pki, other: pdf, Problem.UNSIGNED),
    ],
    ids=[
        "altered",
        "foreign-ca",
        "expired",
        "not-the-registered-signer",
        "other-document",
        "unsigned",
    ],
)
def test_a_file_that_is_not_this_document_validly_signed_is_refused_and_audited(
    world, signing, comment, outside, make, problem
):
    request, document = outside
    other = submit_comment(world, comment, request=another_request(world, comment))
    other_pdf = bytes(SignedDocument.objects.get(subject_id=other.pk).pdf)
    kept = bytes(document.pdf)

    with pytest.raises(ValidationError, match="The signed file was refused") as refused:
        upload(world, request, make(kept, signing.pki, other_pdf))

    assert str(problem.label) in " ".join(refused.value.messages)
    assert not DocumentSignature.objects.exists()
    document.refresh_from_db()
    assert bytes(document.pdf) == kept
    [entry] = AuditEntry.objects.filter(action="signature.refuse")
    assert entry.changes["problem"] == [None, problem.value]
    assert entry.actor == world.residence_secretary


def test_only_the_cells_committee_uploads_and_only_once(world, signing, outside):
    request, document = outside
    signed = signed_outside(bytes(document.pdf), signing.pki.signer)
    with pytest.raises(PermissionDenied):
        upload(world, request, signed, actor=world.other_secretary)
    upload(world, request, signed)
    with pytest.raises(ValidationError, match="already signed"):
        upload(world, request, signed)


def test_a_committee_signing_with_the_sites_key_uploads_nothing(world, signing, comment):
    signing.give(world.residence_cell, signing.pki.signer)
    request = submit_comment(world, comment)
    document = SignedDocument.objects.get()
    document.signatures.all().delete()

    with pytest.raises(ValidationError, match="no certificate for signing outside the site"):
        upload(world, request, signed_outside(bytes(document.pdf), signing.pki.signer))
