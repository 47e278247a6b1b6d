"""Signatures in the comment workflow: the cell signs on submission, the commune countersigns on
certification, on the one rendering kept byte for byte; refusals roll the step back and keep
their audit entry; a committee that does not sign keeps paper."""

import io
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone
from pypdf import PdfReader

from evaluations import services
from evaluations.models import CommentRequest
from evaluations.printing import jobs
from evaluations.printing.sheets import sheet_ensure, sheet_queryset
from evaluations.signatures.models import DocumentSignature, SignedDocument
from evaluations.signatures.selectors import signed_sheet_pdf
from members import signers
from partyreg.models import AuditEntry
from partyreg.signing import services as signing_services
from partyreg.signing.problems import Problem
from partyreg.signing.verify import verify_pdf
from tests.members.factories import RoleFactory, UserFactory

from .conftest import another_request, submit_comment

pytestmark = pytest.mark.django_db
S = CommentRequest.State


def reports(document: SignedDocument, signing):
    return verify_pdf(
        bytes(document.pdf),
        trust_roots=[signing.pki.authority.certificate],
        expected_original=document.original,
    )


def refusals() -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action="signature.refuse"))


def test_submission_signs_the_sheet_for_the_cell(world, signing, comment):
    signing.give(world.residence_cell, signing.pki.signer)

    request = submit_comment(world, comment)

    document = SignedDocument.objects.get()
    assert document.subject == request and document.kind == "sheet"
    assert document.verification_code == request.verification_code
    [signature] = document.signatures.all()
    assert (signature.slot, signature.committee, signature.signer_name) == (
        "cell",
        world.residence_cell,
        "Đặng Văn Ộ",
    )
    assert (
        signature.role == "T/M Chi ủy – Bí thư" and signature.signed_by == world.residence_secretary
    )
    pdf = bytes(document.pdf)
    assert pdf.startswith(document.original) and len(pdf) == signature.length
    [report] = reports(document, signing)
    assert report.ok and report.field_name == "ChiUy" and report.matches_original
    made = AuditEntry.objects.get(action="signature.make")
    assert made.actor == world.residence_secretary and made.subject_id == str(request.pk)


def test_certification_countersigns_and_the_first_signature_stays_valid(
    world, signing, comment, token
):
    """The cell signs with a certificate file, the commune with its token (PKCS#11)."""
    signing.give(world.residence_cell, signing.pki.signer)
    signing.give(world.commune, kind="token")
    request = submit_comment(world, comment)
    first = bytes(SignedDocument.objects.get().pdf)

    services.comment_certify(actor=world.commune_officer, request=request)

    document = SignedDocument.objects.get()
    pdf = bytes(document.pdf)
    assert pdf.startswith(first) and len(pdf) > len(first)
    cell, commune = document.signatures.all()
    assert cell.revision == first and cell.length == len(first)
    assert (commune.slot, commune.committee, commune.signer_name) == (
        "commune",
        world.commune,
        "Phạm Quốc Việt",
    )
    checked = reports(document, signing)
    assert [r.field_name for r in checked] == ["ChiUy", "DangUyXacNhan"]
    assert all(r.ok and r.unmodified and r.matches_original for r in checked), [
        r.message for r in checked
    ]
    assert checked[0].signed_bytes == len(first) and checked[1].signed_bytes == len(pdf)


def test_the_boxes_sit_in_the_sheets_signature_block(world, signing, comment):
    """Right column: "T/M CHI ỦY (CHI BỘ) / BÍ THƯ"; left: the commune's certification; both
    under their headings, on the page the block is laid out on."""
    signing.give(world.residence_cell, signing.pki.signer)
    signing.give(world.commune, signing.pki.countersigner)
    request = submit_comment(world, comment)
    services.comment_certify(actor=world.commune_officer, request=request)

    document = SignedDocument.objects.get()
    page, *cell = document.boxes["cell"]
    commune_page, *commune = document.boxes["commune"]
    assert page == commune_page
    assert commune[2] <= 297.64 <= cell[0]  # either side of the A4 page's middle
    assert cell[1] == commune[1] and cell[3] - cell[1] > 45  # one row, 18 mm high
    reader = PdfReader(io.BytesIO(bytes(document.pdf)))
    widgets = {
        a.get_object()["/T"]: [float(v) for v in a.get_object()["/Rect"]]
        for a in reader.pages[page].get("/Annots", [])
    }
    assert widgets["ChiUy"] == pytest.approx(cell, abs=0.01)
    assert widgets["DangUyXacNhan"] == pytest.approx(commune, abs=0.01)
    text = reader.pages[page].extract_text()
    assert "T/M Chi ủy (chi bộ)".upper() in text.upper() and "Đảng ủy".upper() in text.upper()


def test_a_commune_that_signs_alone_signs_the_certified_sheet(world, signing, comment):
    signing.give(world.commune, signing.pki.countersigner)
    request = submit_comment(world, comment)
    assert not SignedDocument.objects.exists()

    services.comment_certify(actor=world.commune_officer, request=request)

    document = SignedDocument.objects.get()
    [signature] = document.signatures.all()
    assert signature.slot == "commune"
    assert reports(document, signing)[0].ok


def test_signatures_off_keep_paper(world, signing, comment, settings):
    """Off for the site (the default), or for a committee without the switch: no document."""
    signer = signing.give(world.residence_cell, signing.pki.signer)
    settings.PARTYREG_SIGNING = settings.PARTYREG_SIGNING | {"ENABLED": False}
    request = submit_comment(world, comment)
    services.comment_certify(actor=world.commune_officer, request=request)
    assert not SignedDocument.objects.exists()

    settings.PARTYREG_SIGNING = settings.PARTYREG_SIGNING | {"ENABLED": True}
    signers.committee_signing_set(
        actor=world.admin, organisation=signer.organisation, enabled=False
    )
    submit_comment(world, comment, request=another_request(world, comment))
    assert not SignedDocument.objects.exists()


def test_an_expired_certificate_refuses_the_submission_and_the_refusal_is_kept(
    world, signing, comment
):
    signing.give(world.residence_cell, signing.pki.signer)

    with (
        time_machine.travel(timezone.now() + timedelta(days=400)),
        pytest.raises(ValidationError) as refused,
    ):
        submit_comment(world, comment)

    assert "expired" in " ".join(refused.value.messages)
    comment.request.refresh_from_db()
    assert comment.request.state == S.REQUESTED
    assert not SignedDocument.objects.exists() and not DocumentSignature.objects.exists()
    [entry] = refusals()
    assert entry.changes["problem"] == [None, Problem.EXPIRED.value]
    assert entry.actor == world.residence_secretary
    assert entry.subject_id == str(comment.request.pk)


def test_an_authority_no_longer_trusted_refuses_the_certification(world, signing, comment):
    signing.give(world.residence_cell, signing.pki.signer)
    signing.give(world.commune, signing.pki.countersigner)
    request = submit_comment(world, comment)
    signing_services.trusted_authority_set_active(
        actor=world.admin, authority=signing.authority, active=False
    )

    with pytest.raises(ValidationError, match="registered certificate authority"):
        services.comment_certify(actor=world.commune_officer, request=request)

    request.refresh_from_db()
    assert request.state == S.SUBMITTED
    assert SignedDocument.objects.get().signatures.count() == 1
    [entry] = refusals()
    assert entry.changes["problem"] == [None, Problem.UNTRUSTED.value]


def test_certifying_a_cell_refuses_all_and_keeps_each_refusal_once(world, signing, comment):
    signing.give(world.commune, signing.pki.countersigner)
    first = submit_comment(world, comment)
    second = submit_comment(world, comment, request=another_request(world, comment))
    # The same text twice is near-identical, which bulk certification would leave out; this
    # test is about signing refusals, so both are taken as compared and distinct.
    CommentRequest.objects.filter(pk__in=[first.pk, second.pk]).update(
        similar_to=None, similarity=None
    )

    with (
        time_machine.travel(timezone.now() + timedelta(days=400)),
        pytest.raises(ValidationError, match="Nothing was certified"),
    ):
        services.comment_certify_many(actor=world.commune_officer, requests=[first, second])

    assert set(CommentRequest.objects.values_list("state", flat=True)) == {S.SUBMITTED}
    assert not DocumentSignature.objects.exists()
    assert sorted(e.subject_id for e in refusals()) == sorted([str(first.pk), str(second.pk)])


def test_a_committee_signing_with_a_personal_certificate_refuses_others(world, signing, comment):
    signing.give(world.residence_cell, signing.pki.signer, user=world.residence_secretary)
    deputy = UserFactory(username="phobithu")
    RoleFactory(user=deputy, organisation=world.residence_cell, kind="officer")

    with pytest.raises(ValidationError, match="no signing certificate of it is given to you"):
        submit_comment(world, comment, actor=deputy)
    comment.request.refresh_from_db()
    assert comment.request.state == S.REQUESTED


def test_the_printed_sheet_is_the_signed_document(
    world, signing, comment, django_capture_on_commit_callbacks
):
    signing.give(world.residence_cell, signing.pki.signer)
    signing.give(world.commune, signing.pki.countersigner)
    request = submit_comment(world, comment)
    services.comment_certify(actor=world.commune_officer, request=request)
    document = SignedDocument.objects.get()

    assert signed_sheet_pdf(request) == bytes(document.pdf)
    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.print_job_start(actor=world.secretary, request_ids=[request.pk])
    job.refresh_from_db()
    assert job.status == "done"
    merged = PdfReader(job.files.get().file.open("rb"))
    signed = PdfReader(io.BytesIO(bytes(document.pdf)))
    assert len(merged.pages) == len(signed.pages)
    assert merged.pages[-1].extract_text().startswith(signed.pages[-1].extract_text())
    # The stamps are drawn into the page, as printed; the merged file carries no signature.
    assert "/Annots" not in merged.pages[-1] and not merged.get_fields()
    assert "Ký số bởi: Đặng Văn Ộ" in merged.pages[-1].extract_text()
    # Unsigned, the same sheet renders as before.
    full = sheet_queryset().get(pk=request.pk)
    assert sheet_ensure(full)[0].pdf.open("rb").read().startswith(b"%PDF")


def test_a_comment_submitted_again_replaces_the_signed_sheet(world, signing, comment):
    """A comment returned to the cell (another branch adds the step; here the state is set
    back by hand) and submitted again is signed again; the first signed sheet is kept, replaced."""
    signer = signing.give(world.residence_cell, signing.pki.signer)
    request = submit_comment(world, comment)
    first = SignedDocument.objects.get()
    CommentRequest.objects.filter(pk=request.pk).update(state=S.REQUESTED)

    submit_comment(world, comment)

    first.refresh_from_db()
    live = SignedDocument.objects.get(superseded_at__isnull=True)
    assert first.superseded_at is not None and live != first
    assert live.verification_code == first.verification_code and live.signatures.count() == 1
    signers.committee_signing_set(
        actor=world.admin, organisation=signer.organisation, enabled=False
    )
    CommentRequest.objects.filter(pk=request.pk).update(state=S.REQUESTED)
    submit_comment(world, comment)
    assert not SignedDocument.objects.filter(superseded_at__isnull=True).exists()
