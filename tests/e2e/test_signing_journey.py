"""The signed comment: the cell submits it and signs, the commune certifies and countersigns, the
verification page its QR code opens shows both signatures valid."""

import threading

import pytest
from django.db import connection
from django.urls import reverse
from playwright.sync_api import expect

from evaluations import services
from evaluations.models import Criterion
from evaluations.signatures.models import SignedDocument
from members import signers
from partyreg.signing import services as signing_services
from tests.evaluations.campaign_helpers import ensure_default_criteria, place, sitting
from tests.partyreg.signing import pki

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def off_the_browsers_loop(function) -> None:
    """Runs ``function`` in a thread of its own: Playwright's event loop runs in this one, and
    the certificate checks of installing a certificate run one of their own."""
    failures = []

    def run():
        try:
            function()
        except Exception as error:  # reraised below, in the test's thread
            failures.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if failures:
        raise failures[0]


def give(world, organisation, issued):
    credential = signing_services.signing_credential_install(
        actor=world.admin,
        label=organisation.name,
        pkcs12_data=issued.pkcs12(),
        passphrase=pki.PASSPHRASE,
    )
    signers.committee_signer_set(
        actor=world.admin, organisation=organisation, credential=credential
    )
    signers.committee_signing_set(actor=world.admin, organisation=organisation, enabled=True)


def test_submit_signed_certify_countersigned_and_verify(
    world, settings, signing_settings, pki_world, page, live_server, log_in, shot
):
    settings.PARTYREG_SIGNING = settings.PARTYREG_SIGNING | {"ENABLED": True}
    ensure_default_criteria()

    def committees_sign():
        signing_services.trusted_authority_add(
            actor=world.admin, name="Ban Cơ yếu (thử)", certificate=pki_world.authority.pem
        )
        give(world, world.residence_cell, pki_world.signer)
        give(world, world.commune, pki_world.countersigner)

    off_the_browsers_loop(committees_sign)
    place(world, world.member)
    request = services.campaign_open(actor=world.secretary, organisation=world.agency).requests[0]
    sitting(world)
    base = live_server.url

    # The residence cell writes the comment and submits it: the sheet is signed for the cell.
    log_in(page, "chibo")
    page.goto(f"{base}{reverse('evaluations:comment_edit', args=[request.pk])}")
    for criterion in Criterion.objects.filter(campaign=request.campaign, form="normal"):
        page.locator(f"#criterion-{criterion.position} label.btn").first.click()
    page.get_by_label("Other comments").fill("Gương mẫu, được bà con tin tưởng.")
    page.get_by_label("Sitting of the cell committee with the Front committee").select_option(
        index=1
    )
    page.get_by_role("button", name="Submit to the commune committee").click()
    expect(page.locator(".alert-success")).to_contain_text("sent to the commune committee")
    page.goto(f"{base}{reverse('evaluations:request_detail', args=[request.pk])}")
    page.get_by_role("link", name="Electronic signatures of the sheet").click()
    expect(page.locator("#slot-cell")).to_contain_text("Đặng Văn Ộ")
    expect(page.locator("#checks .badge")).to_have_text(["Valid"])
    shot(page, "sign_01_cell_signed")

    # The commune certifies: its countersignature goes on the same file.
    log_in(page, "phuong")
    page.goto(f"{base}{reverse('evaluations:request_detail', args=[request.pk])}")
    page.get_by_role("button", name="Certify this comment").click()
    expect(page.locator(".alert-success")).to_contain_text("certified")
    document = SignedDocument.objects.get()
    assert document.signatures.count() == 2

    # Whoever holds the printed sheet opens its QR code: both signatures hold.
    page.context.clear_cookies()
    page.goto(f"{base}{reverse('evaluations:sheet_verify', args=[document.verification_code])}")
    expect(page.locator("#checks .badge")).to_have_text(["Valid", "Valid"])
    expect(page.locator("#checks")).to_contain_text("T/M Chi ủy – Bí thư")
    expect(page.locator("#checks")).to_contain_text("T/M Đảng ủy – Phó Bí thư Thường trực")
    expect(page.locator("body")).not_to_contain_text("Nguyễn Văn An")
    shot(page, "sign_02_verification_public")

    # The workplace committee, logged in, lands on the signatures with the names.
    log_in(page, "coquan")
    page.goto(f"{base}{reverse('evaluations:sheet_verify', args=[document.verification_code])}")
    expect(page.locator("#checks .badge")).to_have_text(["Valid", "Valid"])
    expect(page.locator("#checks")).to_contain_text("Trần Thị Hoa")
    shot(page, "sign_03_verification_workplace")
    response = page.request.get(
        base + reverse("evaluations:signed_document_pdf", args=["sheet", request.pk])
    )
    assert response.body() == bytes(document.pdf)
