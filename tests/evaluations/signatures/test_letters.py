"""The introduction letter, signed by its issuing committee, as issued, with its QR code."""

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from pypdf import PdfReader

from evaluations.signatures import services
from evaluations.signatures.letters import LETTER
from evaluations.signatures.models import SignedDocument
from partyreg.signing.verify import verify_pdf
from residence import services as referral_services

from .conftest import signed_outside

pytestmark = pytest.mark.django_db


def sign(world, referral, actor=None):
    return services.document_sign_now(
        actor=actor or world.secretary, doc_type=LETTER, subject=referral, slot_name="issuer"
    )


def text(pdf: bytes) -> str:
    return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())


def test_the_issuing_committee_signs_the_letter_as_issued(world, signing):
    signing.give(world.agency, signing.pki.signer)
    referral = referral_services.referral_issue(actor=world.secretary, member=world.member)
    referral = referral_services.referral_receive(actor=world.commune_officer, referral=referral)
    referral = referral_services.referral_assign(
        actor=world.commune_officer, referral=referral, residence_cell=world.residence_cell
    )

    document = sign(world, referral)

    [signature] = document.signatures.all()
    assert (signature.slot, signature.committee, signature.role) == (
        "issuer",
        world.agency,
        "T/M Đảng ủy – Bí thư",
    )
    [report] = verify_pdf(
        bytes(document.pdf),
        trust_roots=[signing.pki.authority.certificate],
        expected_original=document.original,
    )
    assert report.ok and report.field_name == "DangUyGioiThieu"
    printed = text(document.original)
    assert "GIẤY GIỚI THIỆU" in printed and "Nguyễn Văn An" in printed
    assert f"Mã xác minh: {document.verification_code}" in printed
    # The residence part as issued: blank, though the commune has received and assigned.
    assert "Chi bộ Tổ dân phố 5" not in printed
    assert len(PdfReader(io.BytesIO(document.original)).pages) == 1
    page, x1, y1, x2, y2 = document.boxes["issuer"]
    assert page == 0 and x1 > 297.64 and y2 - y1 > 45


def test_only_the_issuing_committee_signs_and_not_a_closed_referral(world, signing):
    signing.give(world.agency, signing.pki.signer)
    referral = referral_services.referral_issue(actor=world.secretary, member=world.member)

    with pytest.raises(PermissionDenied):
        sign(world, referral, actor=world.commune_officer)
    referral = referral_services.referral_close(
        actor=world.secretary, referral=referral, reason="withdrawn"
    )
    with pytest.raises(ValidationError, match="closed"):
        sign(world, referral)
    assert not SignedDocument.objects.exists()


def test_a_committee_without_signatures_signs_nothing(world, signing):
    referral = referral_services.referral_issue(actor=world.secretary, member=world.member)
    with pytest.raises(ValidationError, match="does not sign its documents electronically"):
        sign(world, referral)


def test_a_letter_signed_outside_is_prepared_then_uploaded(world, signing):
    signing.give(world.agency, signing.pki.signer, kind="external")
    referral = referral_services.referral_issue(actor=world.secretary, member=world.member)

    document = sign(world, referral)
    assert not document.signatures.exists()
    services.document_upload(
        actor=world.secretary,
        doc_type=LETTER,
        subject=referral,
        slot_name="issuer",
        upload=signed_outside(bytes(document.pdf), signing.pki.signer),
    )
    [signature] = document.signatures.all()
    assert signature.uploaded and signature.committee == world.agency
