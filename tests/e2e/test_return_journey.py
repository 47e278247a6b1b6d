"""A near-identical comment compared side by side, returned with a reason, revised by the cell,
certified, and printed with the final text only; on a phone-sized screen."""

import re
import subprocess

import pytest
from playwright.sync_api import expect

from evaluations import services
from evaluations.models import CommentRequest, CommentReturn
from tests.evaluations.campaign_helpers import (
    SAME,
    ensure_default_criteria,
    place,
    placed_member,
    sitting,
    submit,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REASON = "Nhận xét giống hệt đồng chí Trần Văn Báo; ghi rõ việc cụ thể của đồng chí An."
REVISED = "Đồng chí An vận động 14 hộ ngõ 12 góp tiền làm đường bê tông, dự họp tổ đầy đủ."


def pdf_text(content: bytes) -> str:
    """The PDF's text as poppler's pdftotext reads it, whitespace folded."""
    result = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=content, capture_output=True, check=True
    )
    return " ".join(result.stdout.decode("utf-8").split())


def test_return_revise_certify_and_print_the_final_text(world, page, live_server, log_in, shot):
    ensure_default_criteria()
    base = live_server.url
    neighbour = placed_member(world, "Trần Văn Báo")
    place(world, world.member)
    campaign = services.campaign_open(actor=world.secretary, organisation=world.agency).campaign
    row = sitting(world)
    submit(world, campaign.requests.get(member=neighbour), sitting_row=row, other=SAME)
    mine = submit(world, campaign.requests.get(member=world.member), sitting_row=row, other=SAME)
    assert mine.similar_to_id is not None

    # The commune officer finds both comments left out of the bulk certification, compares
    # them side by side and returns the member's comment with a reason.
    log_in(page, "phuong")
    page.goto(f"{base}/evaluations/")
    flagged = page.locator("#near-identical")
    expect(flagged).to_contain_text("Nguyễn Văn An")
    expect(flagged).to_contain_text("Trần Văn Báo")
    expect(page.get_by_role("button", name="Certify")).to_have_count(0)
    shot(page, "return_01_commune_inbox")
    flagged.get_by_role("link", name=re.compile("^Nguyễn Văn An")).click()
    comparison = page.locator("#comparison")
    expect(comparison.locator("thead")).to_contain_text("Nguyễn Văn An")
    expect(comparison.locator("thead")).to_contain_text("Trần Văn Báo")
    expect(comparison.locator("thead")).to_contain_text("similarity 1.00")
    shot(page, "return_02_compare")
    page.get_by_label("Reason for returning").fill(REASON)
    page.get_by_role("button", name="Return to the cell for revision").click()
    expect(page.locator(".alert-success")).to_contain_text("returned to Chi bộ Tổ dân phố 5")
    expect(page.locator("#return-1")).to_contain_text(REASON)
    shot(page, "return_03_returned")

    # The cell secretary sees the reason, revises and submits again.
    log_in(page, "chibo")
    page.goto(f"{base}/evaluations/")
    item = page.get_by_role("link", name="Nguyễn Văn An")
    expect(item).to_contain_text("Returned for revision")
    item.click()
    expect(page.locator("#returned-reason")).to_contain_text(REASON)
    shot(page, "return_04_cell_revises")
    page.get_by_label("Other comments").fill(REVISED)
    page.get_by_role("button", name="Submit to the commune committee").click()
    expect(page.locator(".alert-success")).to_contain_text("sent to the commune committee")
    mine.refresh_from_db()
    assert mine.state == CommentRequest.State.SUBMITTED and mine.similar_to_id is None

    # Revised, neither comment is near-identical any more: the commune certifies both at once.
    log_in(page, "phuong")
    page.goto(f"{base}/evaluations/")
    expect(page.locator("#near-identical")).to_have_count(0)
    page.get_by_role("button", name="Certify all 2 submitted comments").click()
    expect(page.locator(".alert-success")).to_contain_text("2 comments of Chi bộ Tổ dân phố 5")
    shot(page, "return_05_certified")

    # The workplace reads every round on the request's page and prints the final text only.
    log_in(page, "coquan")
    page.goto(f"{base}/evaluations/requests/{mine.pk}/")
    expect(page.locator("#return-1")).to_contain_text(REASON)
    expect(page.locator("#comment")).to_contain_text(REVISED)
    shot(page, "return_06_workplace_rounds")
    link = page.get_by_role("link", name="Print the sheet (PDF)")
    response = page.request.get(base + link.get_attribute("href"))
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    text = pdf_text(response.body())
    assert REVISED in text
    assert "Nguyễn Văn An" in text
    assert SAME[:60] not in text and REASON not in text
    returned = CommentReturn.objects.get(request=mine)
    assert returned.other_comments == SAME and returned.returned_by.username == "phuong"
