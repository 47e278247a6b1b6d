"""Two-factor login in a real browser, and pages that the Content-Security-Policy never blocks."""

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from partyreg.twofactor import totp_device_create
from tests.members.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def csp_violations(page) -> list[str]:
    """Collects what the browser reports as blocked by the policy, from now on."""
    seen: list[str] = []
    page.on(
        "console",
        lambda message: (
            seen.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return seen


def test_supervising_staff_set_up_an_authenticator_at_first_login(world, page, live_server, log_in):
    blocked = csp_violations(page)
    # log_in types the code the setup page's new authenticator shows.
    log_in(page, "khoi")
    assert TOTPDevice.objects.get(user=world.bloc_staff).confirmed
    expect(page.locator(".alert-success")).to_contain_text("Two-factor login is on")
    for path in (
        "/",
        "/members/",
        f"/members/{world.member.pk}/",
        "/members/organisations/",
        "/residence/",
        "/evaluations/",
        "/accounts/two-factor/",
    ):
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
    assert blocked == []


def test_an_administrator_types_the_code_of_an_authenticator(world, page, live_server, log_in):
    totp_device_create(user=world.admin, confirmed=True)
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/admin/")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", PASSWORD)
    page.locator("form [type=submit]").first.click()
    page.wait_for_load_state()
    # The password alone opens nothing: the code page comes first.
    assert "/accounts/two-factor/verify/" in page.url

    log_in(page, "admin")
    page.goto(f"{live_server.url}/admin/")
    expect(page.locator("#site-name")).to_be_visible()
