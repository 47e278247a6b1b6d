"""The signatures page, its actions and signed file, and the verification page of the QR code:
the right committees act, others get 404, anonymous users log in; a holder of the code sees
whether the signatures hold, and nothing personal."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from evaluations import services
from evaluations.models import Criterion
from evaluations.printing.sheets import ensure_verification_code
from evaluations.signatures.models import SignedDocument
from members.models import MemberView
from partyreg.models import AuditEntry
from residence import services as referral_services

from .conftest import signed_outside, submit_comment

pytestmark = pytest.mark.django_db


@pytest.fixture
def certified(world, signing, comment):
    signing.give(world.residence_cell, signing.pki.signer)
    signing.give(world.commune, signing.pki.countersigner)
    request = submit_comment(world, comment)
    services.comment_certify(actor=world.commune_officer, request=request)
    return request, SignedDocument.objects.get()


def page_url(request, name="signed_document", kind="sheet"):
    return reverse(f"evaluations:{name}", args=[kind, request.pk])


def pdf_file(data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("ky-so.pdf", data, content_type="application/pdf")


@pytest.mark.parametrize(
    "who", ["residence_secretary", "commune_officer", "secretary", "bloc_staff"]
)
def test_the_committees_see_each_signature_checked(world, login, certified, who):
    request, _document = certified
    response = login(getattr(world, who)).get(page_url(request))

    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('class="badge text-bg-success"') == 2
    assert "Đặng Văn Ộ" in page and "Trần Thị Hoa" in page
    assert "Chi bộ Tổ dân phố 5" in page and "Đảng ủy phường Xuân Hương" in page
    assert AuditEntry.objects.filter(action="signature.verify", actor=getattr(world, who)).exists()


def test_others_get_404_and_anonymous_users_log_in(world, login, client, certified):
    request, _document = certified
    urls = [page_url(request), page_url(request, "signed_document_pdf")]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login"))
    outsider = login(world.other_secretary)
    for url in [*urls, page_url(request, "signed_document_sign")]:
        method = outsider.post if url.endswith("/sign/") else outsider.get
        assert method(url, {"slot": "commune"}).status_code == 404
    assert (
        outsider.get(reverse("evaluations:signed_document", args=["notice", 1])).status_code == 404
    )


def test_the_signed_file_is_the_sheet_and_its_view_is_logged(world, login, certified):
    request, document = certified
    client = login(world.secretary)

    signed = client.get(page_url(request, "signed_document_pdf"))
    printed = client.get(reverse("evaluations:sheet_pdf", args=[request.pk]))

    assert signed.content == bytes(document.pdf)
    assert printed.content == bytes(document.pdf)
    assert MemberView.objects.filter(user=world.secretary, via="sheet").count() == 2


def test_the_committee_signs_its_letter_on_the_page(world, login, signing):
    signing.give(world.agency, signing.pki.signer)
    referral = referral_services.referral_issue(actor=world.secretary, member=world.member)
    url = page_url(referral, kind="letter")

    refused = login(world.commune_officer).post(f"{url}sign/", {"slot": "issuer"})
    assert refused.status_code == 302 and not SignedDocument.objects.exists()
    client = login(world.secretary)
    page = client.get(url).content.decode()
    assert "Ký số bằng chứng thư của cấp ủy" in page

    assert login(world.other_secretary).get(url).status_code == 404
    client = login(world.secretary)
    response = client.post(f"{url}sign/", {"slot": "issuer"})

    assert response.status_code == 302 and response.url == url
    assert SignedDocument.objects.get().signatures.count() == 1
    assert client.get(url).content.decode().count('class="badge text-bg-success"') == 1


def test_an_upload_on_the_page_is_accepted_or_refused_with_a_message(
    world, login, signing, comment
):
    signing.give(world.residence_cell, signing.pki.signer, kind="external")
    request = submit_comment(world, comment)
    kept = bytes(SignedDocument.objects.get().pdf)
    client = login(world.residence_secretary)
    url = page_url(request, "signed_document_upload")

    refused = client.post(
        url,
        {"slot": "cell", "file": pdf_file(signed_outside(kept, signing.pki.foreign))},
        follow=True,
    )
    assert refused.status_code == 200
    assert "alert-danger" in refused.content.decode()
    assert not SignedDocument.objects.get().signatures.exists()

    accepted = client.post(
        url, {"slot": "cell", "file": pdf_file(signed_outside(kept, signing.pki.signer))}
    )
    assert accepted.status_code == 302
    assert SignedDocument.objects.get().signatures.get().uploaded


def test_a_file_is_checked_on_the_page(world, login, certified):
    request, document = certified
    client = login(world.secretary)

    response = client.post(
        page_url(request, "signed_document_check"), {"file": pdf_file(bytes(document.pdf))}
    )

    assert response.status_code == 200
    assert 'id="file-check"' in response.content.decode()
    assert "alert-success" in response.content.decode()
    bad = client.post(page_url(request, "signed_document_check"), {"file": pdf_file(b"nope")})
    assert bad.status_code == 200 and 'id="file-check"' not in bad.content.decode()
    assert "invalid-feedback" in bad.content.decode()


def test_the_qr_code_sends_the_committees_to_the_signatures(world, login, certified):
    request, document = certified
    url = reverse("evaluations:sheet_verify", args=[document.verification_code.lower()])

    response = login(world.secretary).get(url)

    assert response.status_code == 302 and response.url == page_url(request)


@pytest.mark.parametrize("who", [None, "other_secretary", "member_user"])
def test_a_holder_of_the_code_sees_the_signatures_hold_and_no_names(
    world, login, client, certified, who
):
    request, document = certified
    url = reverse("evaluations:sheet_verify", args=[document.verification_code])
    browser = login(getattr(world, who)) if who else client

    response = browser.get(url)

    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('class="badge text-bg-success"') == 2
    for private in (
        "Nguyễn Văn An",
        "Đặng Văn Ộ",
        "Trần Thị Hoa",
        "Chi bộ Tổ dân phố 5",
        "Đảng ủy phường Xuân Hương",
        "Chi bộ Phòng Ngân sách",
        "Gương mẫu",
    ):
        assert private not in page
    checked = browser.post(url, {"file": pdf_file(bytes(document.pdf))})
    assert checked.status_code == 200 and "alert-success" in checked.content.decode()
    tampered = bytes(document.pdf).replace(b"/Reason", b"/Reasom", 1)
    refused = browser.post(url, {"file": pdf_file(tampered)})
    assert "alert-danger" in refused.content.decode()


def test_an_unsigned_sheets_code_keeps_its_old_ways(world, login, client, comment):
    request = submit_comment(world, comment)
    services.comment_certify(actor=world.commune_officer, request=request)
    request.refresh_from_db()
    code = ensure_verification_code(request)
    url = reverse("evaluations:sheet_verify", args=[code])

    anonymous = client.get(url)
    assert anonymous.status_code == 302 and anonymous.url.startswith(reverse("login"))
    assert login(world.other_secretary).get(url).status_code == 404
    mine = login(world.secretary).get(url)
    assert mine.url == reverse("evaluations:request_detail", args=[request.pk])


def test_the_records_link_to_the_signatures_only_while_the_site_signs(
    world, login, settings, certified
):
    request, _document = certified
    detail = reverse("evaluations:request_detail", args=[request.pk])
    client = login(world.secretary)
    assert page_url(request) in client.get(detail).content.decode()
    settings.PARTYREG_SIGNING = settings.PARTYREG_SIGNING | {"ENABLED": False}
    assert page_url(request) not in client.get(detail).content.decode()


def test_a_cell_that_signs_outside_goes_on_to_its_sheet_after_submitting(
    world, login, signing, comment
):
    signing.give(world.residence_cell, signing.pki.signer, kind="external")
    request = comment.request
    data = {
        f"level_{criterion.pk}": "0"
        for criterion in Criterion.objects.filter(campaign=request.campaign, form=request.form)
    }
    data |= {"other_comments": "Gương mẫu.", "sitting": comment.sitting.pk, "action": "submit"}
    client = login(world.residence_secretary)

    response = client.post(reverse("evaluations:comment_edit", args=[request.pk]), data)

    assert response.status_code == 302 and response.url == page_url(request)
    page = client.get(response.url).content.decode()
    assert (
        'name="file"' in page
        and reverse("evaluations:signed_document_pdf", args=["sheet", request.pk]) in page
    )
