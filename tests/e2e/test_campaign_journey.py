"""The annual comment journey as the four committees walk it, on a phone-sized screen."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from evaluations.models import CommentRequest, Criterion, Grade
from tests.evaluations.campaign_helpers import confirmed_meeting, ensure_default_criteria, place

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _english(settings):
    # The journey reads the English source wording, whatever the translations say.
    settings.LANGUAGE_CODE = "en"


def test_open_sit_comment_certify_grade_print(world, page, live_server, log_in, shot):
    ensure_default_criteria()
    base = live_server.url
    place(world, world.member)
    confirmed_meeting(world, {world.member: ("present", "")})
    confirmed_meeting(
        world,
        {world.member: ("excused", "Đi công tác")},
        held_on=timezone.localdate() - datetime.timedelta(days=5),
    )

    # The workplace secretary opens the year's campaign.
    log_in(page, "coquan")
    page.goto(f"{base}/")
    page.get_by_role("button", name="Menu").click()
    page.get_by_role("link", name="Comments", exact=True).click()
    page.get_by_role("link", name="Open this year's campaign").click()
    page.get_by_label("Organisation").select_option(label="Đảng bộ Sở Tài chính")
    shot(page, "eval_01_open_campaign")
    page.get_by_role("button", name="Open the campaign and send the requests").click()
    expect(page.locator(".alert-success")).to_contain_text("1 comment requested")
    expect(page.locator("#requests")).to_contain_text("Nguyễn Văn An")
    shot(page, "eval_02_campaign_detail")
    request = CommentRequest.objects.get(member=world.member)

    # The residence secretary records the sitting, then fills and submits the comment.
    log_in(page, "chibo")
    page.goto(f"{base}/evaluations/")
    expect(page.locator("h2")).to_contain_text("Chi bộ Tổ dân phố 5")
    expect(page.get_by_role("region", name="Chi bộ Phòng Ngân sách")).to_contain_text(
        "Nguyễn Văn An"
    )
    shot(page, "eval_03_cell_inbox")
    page.get_by_role("link", name="Record a sitting").click()
    page.get_by_label("Held on").fill(timezone.localdate().isoformat())
    page.get_by_label("Place").fill("Nhà văn hóa tổ dân phố 5")
    page.get_by_label("Cell committee members present").fill(
        "Đặng Văn Ộ — Bí thư\nLê Thị Huệ — Phó Bí thư"
    )
    page.get_by_label("Front committee members present").fill(
        "Phạm Văn Lực — Trưởng ban công tác Mặt trận"
    )
    shot(page, "eval_04_sitting")
    page.get_by_role("button", name="Record the sitting").click()
    expect(page.locator(".alert-success")).to_contain_text("Sitting of")

    page.get_by_role("link", name="Nguyễn Văn An").click()
    expect(page.locator("#attendance-facts")).to_contain_text("2")
    criteria = list(
        Criterion.objects.filter(campaign=request.campaign, form="normal").order_by("position")
    )
    for criterion in criteria:
        page.locator(f"#criterion-{criterion.position}").get_by_text(
            criterion.levels[0], exact=True
        ).click()
    page.get_by_label("Comment on criterion 1").fill("Gương mẫu, được bà con tin tưởng.")
    page.get_by_label("Other comments").fill("Vận động bà con làm đường bê tông ngõ 12.")
    page.get_by_label("Sitting of the cell committee with the Front committee").select_option(
        index=1
    )
    shot(page, "eval_05_comment_form")
    page.get_by_role("button", name="Submit to the commune committee").click()
    expect(page.locator(".alert-success")).to_contain_text("sent to the commune committee")
    shot(page, "eval_06_cell_after_submit")
    request.refresh_from_db()
    assert request.state == CommentRequest.State.SUBMITTED
    assert (request.meetings_invited, request.meetings_present, request.meetings_excused) == (
        2,
        1,
        1,
    )

    # The commune committee certifies the cell's comments.
    log_in(page, "phuong")
    page.goto(f"{base}/evaluations/")
    page.get_by_role("button", name="Certify the 1 submitted comment").click()
    expect(page.locator(".alert-success")).to_contain_text("certified")
    shot(page, "eval_07_commune_certified")
    request.refresh_from_db()
    assert request.state == CommentRequest.State.CERTIFIED

    # The workplace secretary sees the comment next to the member and grades.
    log_in(page, "coquan")
    page.goto(f"{base}/evaluations/campaigns/{request.campaign_id}/")
    page.get_by_role("link", name="Nguyễn Văn An").click()
    expect(page.locator("#comment")).to_contain_text("Gương mẫu, được bà con tin tưởng.")
    expect(page.locator("#attendance-facts")).to_contain_text("absent with reason")
    page.get_by_label("Well fulfilled duties").check()
    page.get_by_label("Points (optional)").fill("95")
    page.get_by_role("button", name="Record the grade").click()
    expect(page.locator("#grade-form")).to_contain_text("Excellently fulfilled duties")
    assert not Grade.objects.exists()
    page.get_by_label("Points (optional)").fill("82")
    page.get_by_role("button", name="Record the grade").click()
    expect(page.locator(".alert-success")).to_contain_text("Grade of Nguyễn Văn An")
    expect(page.locator("#grade")).to_contain_text("Well fulfilled duties")
    shot(page, "eval_08_workplace_graded")
    grade = Grade.objects.get()
    assert (grade.level, grade.points, grade.recorded_by.username) == ("good", 82, "coquan")

    # And prints the sheet.
    link = page.get_by_role("link", name="Print the sheet (PDF)")
    response = page.request.get(base + link.get_attribute("href"))
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")


def test_near_identical_comment_is_flagged_to_the_cell_and_the_workplace(
    world, page, live_server, log_in, shot
):
    from evaluations import services
    from tests.evaluations.campaign_helpers import SAME, placed_member, sitting, submit

    ensure_default_criteria()
    base = live_server.url
    neighbour = placed_member(world, "Trần Văn Báo")
    place(world, world.member)
    campaign = services.campaign_open(actor=world.secretary, organisation=world.agency).campaign
    row = sitting(world)
    submit(world, campaign.requests.get(member=neighbour), sitting_row=row, other=SAME)
    mine = campaign.requests.get(member=world.member)

    log_in(page, "chibo")
    page.goto(f"{base}/evaluations/requests/{mine.pk}/comment/")
    for position in range(1, 7):
        page.locator(f"#criterion-{position} label.btn").first.click()
    page.get_by_label("Other comments").fill(SAME)
    page.get_by_label("Sitting of the cell committee with the Front committee").select_option(
        index=1
    )
    page.get_by_role("button", name="Submit to the commune committee").click()
    expect(page.locator("#similar-warning")).to_contain_text("Trần Văn Báo")
    shot(page, "eval_09_similar_warning")
    page.get_by_role("button", name="Submit anyway").click()
    expect(page.locator(".alert-success")).to_contain_text("sent to the commune committee")

    log_in(page, "coquan")
    page.goto(f"{base}/evaluations/campaigns/{campaign.pk}/?show=similar")
    expect(page.locator("#requests")).to_contain_text("Near-identical")
    expect(page.locator("#requests .list-group-item")).to_have_count(2)
    shot(page, "eval_10_workplace_similar_list")
