"""Browser tests: Playwright driving Debian's Chromium against pytest-django's live server.

Tests here are marked ``browser`` and ``django_db(transaction=True)`` (the live server runs in
another thread and must see committed rows).
"""

import os

import pytest

from tests.conftest import CHROMIUM
from tests.members.factories import PASSWORD

# Playwright's sync API runs an event loop in this thread; Django's ORM calls made from the
# test body are still plain synchronous calls, so the async-safety guard is switched off here.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
PHONE = {"width": 390, "height": 844}
SHOTS = os.environ.get("PARTYREG_SHOTS", "/tmp/shots")


@pytest.fixture(autouse=True)
def _english_pages(settings):
    """The journeys read the English source labels; the site itself speaks Vietnamese."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture(scope="module")
def browser():
    """Chromium, for one test module: Playwright's event loop runs in this thread while it is
    open, and code that runs a loop of its own (pyHanko's signing and checking) cannot run here
    meanwhile; closed after each module, it leaves the tests after it their thread."""
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.skip(f"needs Chromium at {CHROMIUM}")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=PHONE, locale="en-GB")
    context.set_default_timeout(15000)
    page = context.new_page()
    yield page
    context.close()


def current_code(username: str) -> str:
    """The code the user's authenticator shows now: their confirmed device's, or, on the
    enrolment page, the code of the device that page shows."""
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user__username=username).order_by("-confirmed", "pk").first()
    return f"{TOTP(device.bin_key, device.step, device.t0, device.digits).token():06d}"


@pytest.fixture
def log_in(live_server):
    """``log_in(page, username)`` signs in through the real login form, then types the code of
    the user's authenticator when the site asks for one (administrators, supervising staff)."""

    def _log_in(page, username: str, password: str = PASSWORD):
        # Every response renews the session cookie (SESSION_SAVE_EVERY_REQUEST). A request still
        # in flight when the cookies are cleared (the bell, fetched when a page loads) can bring
        # back the session being left, and the login page then sends its user home. So wait for
        # the page's requests to end, leave it, and try again if the login form is not there.
        if page.url.startswith(live_server.url):
            page.wait_for_load_state("networkidle")
        for _attempt in range(3):
            page.goto("about:blank")
            page.context.clear_cookies()
            page.goto(f"{live_server.url}/accounts/login/")
            if page.locator("input[name=username]").count():
                break
        else:
            pytest.fail(f"the login page kept sending {username} to {page.url}")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.locator("form [type=submit]").first.click()
        page.wait_for_load_state()
        assert "/accounts/login/" not in page.url, f"login as {username} failed"
        if "/accounts/two-factor/" in page.url:
            page.fill("input[name=token]", current_code(username))
            page.locator("form:has(input[name=token]) [type=submit]").click()
            page.wait_for_load_state()
            assert "/accounts/two-factor/" not in page.url, f"code for {username} refused"

    return _log_in


@pytest.fixture
def shot():
    """``shot(page, name)`` saves a full-page screenshot to /tmp/shots/<name>.png."""
    os.makedirs(SHOTS, exist_ok=True)

    def _shot(page, name: str):
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)

    return _shot
