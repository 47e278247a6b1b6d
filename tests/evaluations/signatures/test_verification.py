"""The countersigned sheet as two validators nobody here wrote see it (pyHanko's, poppler's
pdfsig), and a file checked against the record: the document issued, unaltered, or not."""

import io
import re

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from evaluations import services
from evaluations.signatures import services as signature_services
from evaluations.signatures.models import SignedDocument
from partyreg.models import AuditEntry
from partyreg.signing import services as signing_services
from partyreg.signing.certificates import to_asn1

from .conftest import another_request, signed_outside, submit_comment

pytestmark = pytest.mark.django_db


@pytest.fixture
def countersigned(world, signing, comment, token):
    """The cell signs with its token (PKCS#11), the commune with a certificate file."""
    signing.give(world.residence_cell, kind="token")
    signing.give(world.commune, signing.pki.countersigner)
    request = submit_comment(world, comment)
    services.comment_certify(actor=world.commune_officer, request=request)
    return request, SignedDocument.objects.get()


def test_pyhankos_validator_finds_both_signatures_valid_and_the_document_unmodified(
    signing, countersigned
):
    _request, document = countersigned
    reader = PdfFileReader(io.BytesIO(bytes(document.pdf)))
    context = ValidationContext(trust_roots=[to_asn1(signing.pki.authority.certificate)])

    statuses = [
        validate_pdf_signature(signature, signer_validation_context=context)
        for signature in reader.embedded_signatures
    ]

    assert len(statuses) == 2
    for status in statuses:
        assert status.intact and status.valid and status.trusted, status.pretty_print_details()
        assert status.modification_level is not None
        assert status.docmdp_ok is not False
    assert statuses[0].coverage.name == "ENTIRE_REVISION"
    assert statuses[1].coverage.name == "ENTIRE_FILE"


def test_pdfsig_finds_both_signatures_valid(countersigned, pdfsig):
    _request, document = countersigned
    first, second = re.split(r"^Signature #\d+:$", pdfsig(bytes(document.pdf)), flags=re.M)[1:]

    for section in (first, second):
        assert "Signature Validation: Signature is Valid." in section
        assert "Certificate Validation: Certificate is Trusted." in section
    assert "Signer Certificate Common Name: Phạm Quốc Việt" in first
    assert "Field Name: ChiUy" in first and "Not total document signed" in first
    assert "Signer Certificate Common Name: Trần Thị Hoa" in second
    assert "Total document signed" in second and "Not total" not in second


def check(world, document, data: bytes):
    return signature_services.document_check(
        actor=world.secretary, document=document, subject=document.subject, upload=data
    )


def test_a_file_is_told_apart_from_the_document_issued(world, signing, comment, countersigned):
    request, document = countersigned
    kept = bytes(document.pdf)
    cell, _commune = document.signatures.all()

    assert check(world, document, kept).verdict == "kept"
    earlier = check(world, document, cell.revision)
    assert earlier.verdict == "revision" and earlier.after == cell
    assert [c.ok for c in earlier.checks] == [True]
    unsigned = check(world, document, document.original)
    assert unsigned.verdict == "revision" and unsigned.after is None
    # Someone (the workplace's archive) added a signature of their own: still the document.
    archived = signed_outside(kept, signing.pki.foreign)
    added = check(world, document, archived)
    assert added.verdict == "other"  # the archive's certificate is not trusted
    archived = signed_outside(kept, signing.pki.signer)
    added = check(world, document, archived)
    assert added.verdict == "signed"
    assert [c.ok for c in added.checks] == [True, True, False]
    assert "no record" in added.checks[2].problem

    position = kept.index(b"stream\n", len(document.original) // 3) + 20
    altered = kept[:position] + bytes([kept[position] ^ 0x01]) + kept[position + 1 :]
    assert check(world, document, altered).verdict == "other"
    assert check(world, document, b"%PDF-1.7 nothing").verdict == "other"

    other = submit_comment(world, comment, request=another_request(world, comment))
    other.refresh_from_db()
    # The same text twice is near-identical: the commune certifies it after comparing the two.
    services.comment_certify(
        actor=world.commune_officer, request=other, compared_with=other.similar_to_id
    )
    other_pdf = bytes(SignedDocument.objects.get(subject_id=other.pk).pdf)
    result = check(world, document, other_pdf)
    assert result.verdict == "other"
    assert all(not c.ok for c in result.checks)
    assert AuditEntry.objects.filter(action="signature.verify").count() == 8


def test_the_kept_file_changed_under_its_record_is_not_believed(world, countersigned):
    request, document = countersigned
    kept = bytes(document.pdf)
    position = kept.index(b"stream\n", len(document.original) // 3) + 20
    document.pdf = kept[:position] + bytes([kept[position] ^ 0x01]) + kept[position + 1 :]
    document.save(update_fields=["pdf"])

    checks = signature_services.document_verify_kept(
        actor=world.secretary, document=document, subject=request
    )

    assert checks and not any(c.ok for c in checks)


def test_the_kept_file_is_still_told_apart_once_its_authority_is_withdrawn(
    world, signing, countersigned
):
    _request, document = countersigned
    assert check(world, document, bytes(document.pdf)).ok
    signing_services.trusted_authority_set_active(
        actor=world.admin, authority=signing.authority, active=False
    )

    result = check(world, document, bytes(document.pdf))

    assert result.verdict == "kept" and not result.ok
    assert all("registered certificate authority" in c.problem for c in result.checks)
