"""sign_pdf and verify_pdf on a real rendered sheet: PKCS#12, PKCS#11 (SoftHSM2), countersigning,
and each refusal; pyHanko's validator and poppler's pdfsig both asked."""

import io
import re
import shutil
import subprocess
from datetime import timedelta

import pytest
from django.utils import timezone, translation
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers

from partyreg.signing.certificates import fingerprint
from partyreg.signing.keys import Appearance, ExternalSigner, Pkcs11Signer, Pkcs12Signer
from partyreg.signing.pdf import sign_pdf
from partyreg.signing.problems import Problem, SigningRefused
from partyreg.signing.verify import verify_pdf
from tests.conftest import missing

from . import pki
from .conftest import COUNTERSIGNER_BOX, SIGNER_BOX


def pkcs12_signer(issued: pki.Issued) -> Pkcs12Signer:
    return Pkcs12Signer(issued.pkcs12(), pki.PASSPHRASE.encode())


def token_signer(softhsm) -> Pkcs11Signer:
    return Pkcs11Signer(
        module=softhsm.module,
        token_label=softhsm.token_label,
        key_label=softhsm.key_label,
        pin=softhsm.pin,
    )


def sign_as_cell(pdf: bytes, signer, **overrides) -> bytes:
    arguments = {
        "signer": signer,
        "field_name": "ChiUy",
        "box": SIGNER_BOX,
        "name": "Đặng Văn Ộ",
        "role": "Bí thư Chi bộ",
        "reason": "Nhận xét đảng viên",
    }
    return sign_pdf(pdf, **(arguments | overrides))


def countersign_as_commune(pdf: bytes, signer) -> bytes:
    return sign_pdf(
        pdf,
        signer=signer,
        field_name="DangUyPhuong",
        box=COUNTERSIGNER_BOX,
        name="Trần Thị Hoa",
        role="Phó Bí thư Thường trực",
        reason="Xác nhận của Đảng ủy phường",
    )


def verify(pdf: bytes, world, original: bytes | None = None):
    return verify_pdf(pdf, trust_roots=[world.authority.certificate], expected_original=original)


def pdftotext(pdf: bytes) -> str:
    if not shutil.which("pdftotext"):
        missing("needs pdftotext: apt install poppler-utils")
    result = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True)
    return result.stdout.decode()


def pdfsig_signatures(output: str) -> list[str]:
    return re.split(r"^Signature #\d+:$", output, flags=re.MULTILINE)[1:]


def test_pkcs12_signature_leaves_the_rendering_untouched_and_verifies(pki_world, sheet_pdf):
    before = timezone.now()
    signed = sign_as_cell(sheet_pdf, pkcs12_signer(pki_world.signer))

    assert signed.startswith(sheet_pdf) and len(signed) > len(sheet_pdf)
    [report] = verify(signed, pki_world, original=sheet_pdf)
    assert report.ok, report.message
    assert (report.intact, report.valid, report.trusted, report.unmodified) == (True,) * 4
    assert report.matches_original is True
    assert report.field_name == "ChiUy"
    assert report.signer_name == "Đặng Văn Ộ"
    assert report.role == "Bí thư"
    assert report.committee == "Chi bộ Phòng Ngân sách"
    assert report.stated_reason == "Nhận xét đảng viên"
    assert report.fingerprint == fingerprint(pki_world.signer.certificate)
    assert report.serial == f"{pki_world.signer.certificate.serial_number:x}"
    assert before - timedelta(seconds=2) <= report.signing_time <= timezone.now()
    assert report.timestamped is False  # PAdES B-B: no timestamping authority configured


def test_visible_signature_shows_name_role_and_time_with_diacritics(pki_world, sheet_pdf):
    signed = sign_as_cell(sheet_pdf, pkcs12_signer(pki_world.signer))

    text = pdftotext(signed)
    assert "Ký số bởi: Đặng Văn Ộ" in text
    assert "Bí thư Chi bộ" in text
    assert f"Thời gian ký: {timezone.localtime():%d/%m/%Y}" in text


def test_pkcs11_token_signs(pki_world, sheet_pdf, softhsm):
    signer = token_signer(softhsm)
    assert signer.certificate == pki_world.token_signer.certificate

    signed = sign_as_cell(sheet_pdf, signer, name="Phạm Quốc Việt")

    assert signed.startswith(sheet_pdf)
    [report] = verify(signed, pki_world, original=sheet_pdf)
    assert report.ok, report.message
    assert report.signer_name == "Phạm Quốc Việt"
    assert report.fingerprint == fingerprint(pki_world.token_signer.certificate)


@pytest.mark.parametrize(
    ("change", "use"),
    [
        ({"pin": "0"}, "sign"),
        ({"key_label": "khong-co"}, "sign"),
        ({"key_label": "khong-co"}, "certificate"),
        ({"token_label": "khong-co"}, "certificate"),
    ],
)
def test_a_wrong_pin_or_label_makes_the_token_unavailable(sheet_pdf, softhsm, change, use):
    arguments = {
        "module": softhsm.module,
        "token_label": softhsm.token_label,
        "key_label": softhsm.key_label,
        "pin": softhsm.pin,
    }
    signer = Pkcs11Signer(**(arguments | change))
    with pytest.raises(SigningRefused) as refused:
        sign_as_cell(sheet_pdf, signer) if use == "sign" else signer.certificate  # noqa: B018
    assert refused.value.problem == Problem.UNAVAILABLE


@pytest.fixture(scope="module")
def countersigned(pki_world, sheet_pdf, softhsm):
    """The cell's signature from the token, then the commune's from a certificate file."""
    first = sign_as_cell(sheet_pdf, token_signer(softhsm), name="Phạm Quốc Việt")
    return first, countersign_as_commune(first, pkcs12_signer(pki_world.countersigner))


def test_countersigning_keeps_the_first_signature_valid(pki_world, sheet_pdf, countersigned):
    first, second = countersigned

    assert second.startswith(first)
    reports = verify(second, pki_world, original=sheet_pdf)
    assert [r.field_name for r in reports] == ["ChiUy", "DangUyPhuong"]
    assert [r.signer_name for r in reports] == ["Phạm Quốc Việt", "Trần Thị Hoa"]
    assert all(r.ok for r in reports), [r.message for r in reports]
    assert all(r.unmodified and r.matches_original for r in reports)
    assert reports[0].signed_bytes == len(first)
    assert reports[1].signed_bytes == len(second)


def test_pdfsig_reports_both_signatures_valid_and_the_document_whole(countersigned, pdfsig):
    output = pdfsig(countersigned[1])

    first, second = pdfsig_signatures(output)
    for section in (first, second):
        assert "Signature Validation: Signature is Valid." in section
        assert "Certificate Validation: Certificate is Trusted." in section
    assert "Signer Certificate Common Name: Phạm Quốc Việt" in first
    assert "Not total document signed" in first  # the countersignature came after it
    assert "Signer Certificate Common Name: Trần Thị Hoa" in second
    assert "Total document signed" in second and "Not total" not in second


def test_a_changed_byte_is_refused_as_altered(pki_world, sheet_pdf, pdfsig):
    signed = sign_as_cell(sheet_pdf, pkcs12_signer(pki_world.signer))
    # A byte inside a stream of the rendering: the file still reads, its digest differs.
    position = signed.index(b"stream\n", len(sheet_pdf) // 2) + 20
    altered = signed[:position] + bytes([signed[position] ^ 0x01]) + signed[position + 1 :]

    [report] = verify(altered, pki_world)
    assert report.problem == Problem.ALTERED and not report.intact
    assert "Signature Validation: Digest Mismatch." in pdfsig(altered)


def test_content_added_after_signing_is_refused_as_altered(pki_world, sheet_pdf):
    signed = sign_as_cell(sheet_pdf, pkcs12_signer(pki_world.signer))
    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    stream = writer.add_object(generic.StreamObject(stream_data=b"0 0 m 500 500 l S"))
    writer.add_stream_to_page(0, stream)
    out = io.BytesIO()
    writer.write(out)

    [report] = verify(out.getvalue(), pki_world, original=sheet_pdf)
    assert report.intact and report.valid
    assert report.problem == Problem.ALTERED and not report.unmodified


def test_a_foreign_authority_is_refused(pki_world, sheet_pdf, pdfsig):
    signed = sign_as_cell(sheet_pdf, pkcs12_signer(pki_world.foreign))

    [report] = verify(signed, pki_world, original=sheet_pdf)
    assert report.intact and report.valid and not report.trusted
    assert report.problem == Problem.UNTRUSTED
    assert "Certificate Validation: Certificate issuer is unknown." in pdfsig(signed)
    with translation.override("vi"):
        assert report.message == "Chứng thư số không do cơ quan chứng thực đã đăng ký cấp."


def test_a_certificate_expired_at_signing_time_is_refused(pki_world, sheet_pdf, pdfsig):
    signed = sign_as_cell(sheet_pdf, pkcs12_signer(pki_world.expired))

    [report] = verify(signed, pki_world, original=sheet_pdf)
    assert report.problem == Problem.EXPIRED
    assert "Certificate Validation: Certificate has Expired" in pdfsig(signed)
    with translation.override("vi"):
        assert report.message == "Chứng thư số đã hết hạn tại thời điểm ký."


def test_a_validly_signed_different_document_is_not_the_issued_one(
    pki_world, sheet_pdf, other_sheet_pdf
):
    signed_other = sign_as_cell(other_sheet_pdf, pkcs12_signer(pki_world.signer))

    [report] = verify(signed_other, pki_world, original=sheet_pdf)
    assert report.intact and report.valid and report.trusted
    assert report.matches_original is False
    assert report.problem == Problem.NOT_ISSUED
    with translation.override("vi"):
        assert report.message == "Nội dung đã ký không phải là tài liệu do hệ thống phát hành."


def test_a_change_made_in_the_signing_revision_is_not_the_issued_document(pki_world, sheet_pdf):
    """The original's bytes are all there, but the update carrying the signature also draws on
    the page: what was signed is not what the site issued."""
    writer = IncrementalPdfFileWriter(io.BytesIO(sheet_pdf))
    stream = writer.add_object(generic.StreamObject(stream_data=b"0 0 m 500 500 l S"))
    writer.add_stream_to_page(0, stream)
    out = io.BytesIO()
    signers.PdfSigner(
        signers.PdfSignatureMetadata(field_name="ChiUy", subfilter=fields.SigSeedSubFilter.PADES),
        signer=pkcs12_signer(pki_world.signer)._loaded,
    ).sign_pdf(writer, output=out)

    [report] = verify(out.getvalue(), pki_world, original=sheet_pdf)
    assert out.getvalue().startswith(sheet_pdf) and report.intact and report.trusted
    assert report.problem == Problem.NOT_ISSUED


def test_an_upload_signed_outside_is_accepted_only_as_the_issued_document(
    pki_world, sheet_pdf, other_sheet_pdf
):
    roots = [pki_world.authority.certificate]
    expected = fingerprint(pki_world.signer.certificate)
    appearance = Appearance("ChiUy", SIGNER_BOX, "Đặng Văn Ộ", "Bí thư", "Nhận xét")
    upload = sign_as_cell(sheet_pdf, pkcs12_signer(pki_world.signer))

    accepted = ExternalSigner(upload, trust_roots=roots, expected_fingerprint=expected)
    assert accepted.sign(sheet_pdf, appearance) == upload
    assert accepted.certificate == pki_world.signer.certificate

    refusals = {
        Problem.NOT_ISSUED: ExternalSigner(
            sign_as_cell(other_sheet_pdf, pkcs12_signer(pki_world.signer)), trust_roots=roots
        ),
        Problem.WRONG_SIGNER: ExternalSigner(
            upload,
            trust_roots=roots,
            expected_fingerprint=fingerprint(pki_world.foreign.certificate),
        ),
        Problem.UNTRUSTED: ExternalSigner(
            sign_as_cell(sheet_pdf, pkcs12_signer(pki_world.foreign)), trust_roots=roots
        ),
        Problem.UNSIGNED: ExternalSigner(sheet_pdf, trust_roots=roots),
    }
    for problem, signer in refusals.items():
        with pytest.raises(SigningRefused) as refused:
            signer.sign(sheet_pdf, appearance)
        assert refused.value.problem == problem


def test_no_signature_in_a_file_that_is_not_a_pdf(pki_world):
    assert verify(b"not a pdf at all", pki_world) == []
