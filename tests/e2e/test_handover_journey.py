"""A hand-over as people see it: the workplace issues a referral, the commune officer finds it
under the bell at once and in their mailbox once."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from partyreg.notifications.tasks import sweep_deliveries_task
from residence.models import Referral

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SUBJECT = "Referral 1-GGT/ĐU: Nguyễn Văn An, introduced by Đảng bộ Sở Tài chính"


def test_a_referral_issued_reaches_the_commune_officers_bell_and_mailbox_once(
    world, page, live_server, log_in, shot
):
    base = live_server.url
    log_in(page, "coquan")
    page.goto(f"{base}/members/{world.member.pk}/")
    page.get_by_role("button", name="Issue a referral").click()
    expect(page.locator(".alert-success")).to_contain_text("1-GGT/ĐU")
    referral = Referral.objects.get(member=world.member)
    # The issuer is not told of their own step.
    expect(page.locator("#bell .bell-count")).to_have_text("")

    log_in(page, "phuong")
    page.goto(f"{base}/")
    badge = page.locator("#bell .bell-count .badge")
    expect(badge).to_contain_text("1")
    # On a phone the bell stays in sight beside the menu button, without opening the menu.
    expect(badge).to_be_visible()
    shot(page, "handover-01-commune-bell")
    page.locator("#bell").click()
    expect(page).to_have_url(re.compile(r"/notifications/$"))
    item = page.locator("a.list-group-item", has_text=SUBJECT)
    expect(item).to_be_visible()
    expect(item).to_contain_text("12 Trần Phú")
    shot(page, "handover-02-notification-list")
    item.click()
    expect(page).to_have_url(re.compile(rf"/residence/referral/{referral.pk}/$"))
    page.get_by_role("button", name="Record receipt").click()
    expect(page.locator(".alert-success")).to_contain_text("Receipt of referral 1-GGT/ĐU")
    expect(page.locator("#bell .bell-count")).to_have_text("")
    shot(page, "handover-03-referral-opened")

    to_officer = [m for m in mail.outbox if m.to == [world.commune_officer.email]]
    assert [m.subject for m in to_officer] == [SUBJECT]
    assert f"/residence/referral/{referral.pk}/" in to_officer[0].body
    # The sweep finds nothing left to send: the email went out once.
    assert sweep_deliveries_task.apply().get() == 0
    assert len([m for m in mail.outbox if m.to == [world.commune_officer.email]]) == 1
    assert not [m for m in mail.outbox if m.to == [world.secretary.email]]
