"""The referral journey as people walk it, on a phone-sized screen."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from residence.models import ChangeNotice, Referral

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_issue_receive_assign_report_then_move(world, page, live_server, log_in, shot):
    base = live_server.url
    member_url = f"{base}/members/{world.member.pk}/"

    # The workplace secretary issues the referral from the member's page.
    log_in(page, "coquan")
    page.goto(member_url)
    shot(page, "01-member-before-referral")
    page.get_by_role("button", name="Issue a referral").click()
    expect(page.locator(".alert-success")).to_contain_text("1-GGT/ĐU")
    expect(page.locator("h1")).to_have_text("Nguyễn Văn An")
    shot(page, "02-referral-issued")
    referral = Referral.objects.get(member=world.member)
    assert referral.state == Referral.State.ISSUED

    # The commune officer finds it in the incoming list, records receipt and assigns a cell.
    log_in(page, "phuong")
    page.goto(f"{base}/residence/")
    expect(page).to_have_url(re.compile(r"/residence/referrals/residence/$"))
    shot(page, "03-commune-incoming-list")
    page.get_by_role("link", name="Nguyễn Văn An").click()
    page.get_by_role("button", name="Record receipt").click()
    expect(page.locator(".alert-success")).to_contain_text("Receipt of referral 1-GGT/ĐU")
    page.get_by_label("Residence cell").select_option(label="Chi bộ Tổ dân phố 5")
    shot(page, "04-commune-assign")
    page.get_by_role("button", name="Assign to this cell").click()
    expect(page.locator(".alert-success")).to_contain_text("Chi bộ Tổ dân phố 5")

    # The residence cell secretary records the day the member presented themselves.
    log_in(page, "chibo")
    page.goto(f"{base}/residence/")
    shot(page, "05-cell-list")
    page.get_by_role("link", name="Nguyễn Văn An").click()
    page.get_by_label("Presented on").fill(timezone.localdate().isoformat())
    shot(page, "06-cell-record-presentation")
    page.get_by_role("button", name="Record presentation").click()
    expect(page.locator(".alert-success")).to_contain_text("presented themselves")
    referral.refresh_from_db()
    assert referral.state == Referral.State.REPORTED
    assert referral.reported_by.username == "chibo"

    # The workplace secretary records a move; the new commune gets a new referral.
    log_in(page, "coquan")
    page.goto(member_url)
    page.get_by_role("link", name="Record a change").first.click()
    page.get_by_label("What changed").select_option("moved")
    page.get_by_label("New residence address").fill("7 Phan Đình Phùng")
    page.get_by_label("New commune or ward of residence").select_option(
        label="Đảng ủy phường Lâm Viên"
    )
    page.get_by_label("Details").fill("Chuyển nơi ở theo đơn ngày 20/11")
    shot(page, "07-record-move")
    page.get_by_role("button", name="Record the change").click()
    expect(page.locator(".alert-success")).to_contain_text(
        "A new referral was issued to Đảng ủy phường Lâm Viên"
    )
    panel = page.locator("#residence-panel")
    expect(panel).to_contain_text("Đảng ủy phường Lâm Viên")
    expect(panel).to_contain_text("Closed")
    expect(panel).to_contain_text("Moved house")
    shot(page, "08-member-after-move")
    new = Referral.objects.get(member=world.member, state=Referral.State.ISSUED)
    assert new.commune == world.other_commune
    assert Referral.objects.get(pk=referral.pk).state == Referral.State.CLOSED

    # The old commune sees the notice and acknowledges it.
    log_in(page, "phuong")
    page.goto(f"{base}/residence/notices/residence/")
    expect(page.locator("table")).to_contain_text("Moved house")
    shot(page, "09-commune-notices")
    page.get_by_role("button", name="Acknowledge").click()
    expect(page.locator(".alert-success")).to_contain_text("acknowledged")
    assert ChangeNotice.objects.get().acknowledged_by.username == "phuong"


def test_commune_assigns_many_at_once_with_select_all(world, page, live_server, log_in, shot):
    from residence import services
    from tests.members.factories import MemberFactory

    for name in ("Lê Thị Một", "Lê Thị Hai", "Lê Thị Ba"):
        member = MemberFactory(
            full_name=name, workplace_org=world.cell, residence_commune=world.commune
        )
        services.referral_issue(actor=world.secretary, member=member)
    log_in(page, "phuong")
    page.goto(f"{live_server.url}/residence/referrals/residence/")
    page.locator("#select-all").check()
    page.get_by_role("button", name="Record receipt").click()
    expect(page.locator(".alert-success")).to_contain_text("3 referrals")
    page.locator("#select-all").check()
    page.locator("select[name=residence_cell]").select_option(label="Chi bộ Tổ dân phố 5")
    page.get_by_role("button", name="Assign to this cell").click()
    expect(page.locator(".alert-success")).to_contain_text("3 members assigned")
    shot(page, "10-commune-bulk-assigned")
    assert set(Referral.objects.values_list("state", flat=True)) == {Referral.State.ASSIGNED}


def test_workplace_issues_for_a_whole_cell_with_select_all(world, page, live_server, log_in, shot):
    from tests.members.factories import MemberFactory

    for name in ("Võ Văn Một", "Võ Văn Hai"):
        MemberFactory(full_name=name, workplace_org=world.cell, residence_commune=world.commune)
    log_in(page, "coquan")
    page.goto(f"{live_server.url}/residence/issue/")
    page.get_by_label("Organisation").select_option(label="Chi bộ Phòng Ngân sách")
    page.get_by_role("button", name="Show").click()
    page.locator("#select-all").check()
    shot(page, "11-workplace-bulk-issue")
    page.get_by_role("button", name="Issue referrals for the ticked members").click()
    expect(page.locator(".alert-success")).to_contain_text("3 referrals issued")
    expect(page.get_by_role("link", name="Print all these letters (one PDF)")).to_be_visible()
    shot(page, "12-workplace-bulk-issued")
    assert Referral.objects.filter(member__workplace_org=world.cell).count() == 3


def test_commune_names_a_cells_area_then_confirms_the_cell_the_address_proposes(
    world, page, live_server, log_in, shot
):
    from members.services import residence_area_add
    from residence import services
    from tests.members.factories import MemberFactory, OrganisationFactory

    base = live_server.url
    twelve = OrganisationFactory(
        name="Chi bộ Tổ dân phố 12", kind="residence_cell", parent=world.commune
    )
    residence_area_add(actor=world.commune_officer, cell=world.residence_cell, name="Tổ dân phố 5")

    def received(name, address):
        member = MemberFactory(
            full_name=name,
            workplace_org=world.cell,
            residence_commune=world.commune,
            residence_address=address,
        )
        referral = services.referral_issue(actor=world.secretary, member=member)
        return services.referral_receive(actor=world.commune_officer, referral=referral)

    referral = received("Hoàng Văn Mười", "Số 8, đường Hai Bà Trưng, tổ dân phố 12")

    # The commune officer writes down the area the new cell covers, on the cell's page.
    log_in(page, "phuong")
    page.goto(f"{base}/members/organisations/{twelve.pk}/")
    page.get_by_label("New area").fill("Tổ dân phố 12")
    page.get_by_role("button", name="Add the area").click()
    expect(page.locator(".alert-success")).to_contain_text("“Tổ dân phố 12” added")
    expect(page.locator("#areas")).to_contain_text("Tổ dân phố 12")
    shot(page, "13-commune-cell-areas")

    # The referral shows the address and proposes the cell that covers it; the officer confirms.
    page.goto(f"{base}/residence/referral/{referral.pk}/")
    expect(page.locator("#residence-address")).to_have_text(
        "Số 8, đường Hai Bà Trưng, tổ dân phố 12"
    )
    expect(page.locator("[data-proposal]")).to_contain_text(
        "Proposed from the address: Chi bộ Tổ dân phố 12"
    )
    cell_menu = page.get_by_label("Residence cell")
    expect(cell_menu).to_have_value(str(twelve.pk))
    options = cell_menu.locator("option").all_inner_texts()
    assert options.index("Chi bộ Tổ dân phố 5") < options.index("Chi bộ Tổ dân phố 12")
    shot(page, "14-commune-proposed-cell")
    page.get_by_role("button", name="Assign to this cell").click()
    expect(page.locator(".alert-success")).to_contain_text(
        "Hoàng Văn Mười was assigned to Chi bộ Tổ dân phố 12"
    )
    assert Referral.objects.get(pk=referral.pk).residence_cell == twelve

    # In the list, each waiting row proposes its own cell; the officer confirms them at once.
    five = received("Hoàng Thị Năm", "Số 3, tổ dân phố 5")
    other = received("Hoàng Văn Hai", "Số 9, Tổ Dân Phố 12")
    page.goto(f"{base}/residence/referrals/residence/?state=received")
    expect(page.get_by_label("Residence cell for Hoàng Thị Năm")).to_have_value(
        str(world.residence_cell.pk)
    )
    expect(page.get_by_label("Residence cell for Hoàng Văn Hai")).to_have_value(str(twelve.pk))
    expect(page.locator("table")).to_contain_text("Số 9, Tổ Dân Phố 12")
    page.locator("#select-all").check()
    shot(page, "15-commune-bulk-proposals")
    page.get_by_role("button", name="Assign each to the cell chosen on its row").click()
    expect(page.locator(".alert-success")).to_contain_text("2 members assigned")
    assert Referral.objects.get(pk=five.pk).residence_cell == world.residence_cell
    assert Referral.objects.get(pk=other.pk).residence_cell == twelve
