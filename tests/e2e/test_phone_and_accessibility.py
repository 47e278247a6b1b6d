"""Every page at 360 px without sideways scrolling, and the main pages of each role without a
serious or critical accessibility violation, as axe-core (Deque's rules engine, injected into the
page) finds them.

The world is the URL walk's (tests/security/walk_world.py): every role, a row of every kind, and
free text that is long, hostile and unbroken, as real names and agendas sometimes are.
"""

import datetime
import json
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from residence.meetings import services as meeting_services
from tests.conftest import missing
from tests.security.test_url_walk import EXPECTED, METHOD_NOT_ALLOWED, logged_in
from tests.security.walk_world import ROLE_NAMES, build_shared, build_tree

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
NARROW = {"width": 360, "height": 780}
WIDE = {"width": 1280, "height": 900}
# Not pages: files and fragments a browser does not lay out as a page.
NOT_PAGES = {"notification_badge", "healthz", "logout"}
# The pages each role works on, checked by axe (URL names of the walk; those a role cannot open
# are left out for it).
AXE_PAGES = (
    "home",
    "members:member_list",
    "members:member_detail",
    "residence:referral_list",
    "residence:referral_detail",
    "residence:meeting_index",
    "residence:meeting_list",
    "residence:meeting_detail",
    "residence:attendance_mark",
    "residence:my_meetings",
    "evaluations:campaign_list",
    "evaluations:campaign_detail",
    "evaluations:inbox",
    "evaluations:request_detail",
    "evaluations:comment_edit",
    "evaluations:dashboard",
    "notification_list",
)


@pytest.fixture
def world(live_server):
    province, admin = build_shared()
    tree = build_tree("A", province, admin)
    # A meeting today, so the attendance marking page shows its buttons.
    tree.today = meeting_services.meeting_schedule(
        actor=tree.users["chibo"],
        residence_cell=tree.residence_cell,
        held_on=timezone.localdate(),
        starts_at=datetime.time(7, 30),
        place="Nhà văn hóa tổ dân phố",
        agenda="Sinh hoạt định kỳ",
    )
    return tree


def _browser_for(browser, live_server, user, *, bypass_csp=False, viewport=NARROW):
    """A browser context (phone-sized unless told) signed in as ``user`` (code already given
    where one is required), by the session cookie of a test client."""
    client = logged_in(user)
    context = browser.new_context(viewport=viewport, locale="vi-VN", bypass_csp=bypass_csp)
    context.set_default_timeout(15000)
    context.add_cookies(
        [
            {"name": name, "value": morsel.value, "url": live_server.url}
            for name, morsel in client.cookies.items()
        ]
    )
    return context


def _pages_of(role: str, tree, names=None) -> list[tuple[str, str]]:
    """(name, URL) of the HTML pages of the walk that ``role`` may open."""
    pages = []
    for name, expected in sorted(EXPECTED.items()):
        if names is not None and name not in names:
            continue
        if name in NOT_PAGES or expected.get == METHOD_NOT_ALLOWED or role not in expected.get:
            continue
        url = reverse(name, kwargs=expected.kwargs(tree))
        if url.endswith((".pdf", ".xlsx", ".ics")):
            continue
        pages.append((name, url))
    return pages


def test_no_page_scrolls_sideways_at_360_px(browser, live_server, world, settings):
    settings.LANGUAGE_CODE = "vi"
    problems, seen = [], 0
    for role in ROLE_NAMES:
        context = _browser_for(browser, live_server, world.users[role])
        page = context.new_page()
        for name, url in _pages_of(role, world):
            response = page.goto(live_server.url + url)
            if response is None or "html" not in response.headers.get("content-type", ""):
                continue
            seen += 1
            width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
            if width[0] > width[1]:
                wide = page.evaluate(
                    """() => [...document.querySelectorAll('body *')]
                        .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
                        .slice(0, 3).map(e => e.tagName + '.' + [...e.classList].join('.'))"""
                )
                problems.append(f"{role} {name} ({url}): {width[0]} px wide; {wide}")
        context.close()
    assert seen > 100, seen
    assert problems == [], "\n".join(problems)


AXE_RUN = """async () => (await axe.run(document, {
    runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
})).violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"""


def _serious(page, axe: str, where: str) -> list[str]:
    page.evaluate(axe)
    return [
        f"{where}: {json.dumps(violation, ensure_ascii=False)}"
        for violation in page.evaluate(AXE_RUN)
        if violation["impact"] in ("serious", "critical")
    ]


def test_main_pages_have_no_serious_accessibility_violation(browser, live_server, world):
    if not AXE.exists():
        missing("needs axe-core: npm ci --prefix tests/e2e (make test does it)")
    axe = AXE.read_text()
    problems, seen = [], 0
    for role in ROLE_NAMES:
        # The site's Content-Security-Policy refuses injected scripts: axe is the test's own.
        for viewport in (NARROW, WIDE):
            context = _browser_for(
                browser, live_server, world.users[role], bypass_csp=True, viewport=viewport
            )
            page = context.new_page()
            # On a phone every page; on a desktop, where the menu is open, the home page.
            pages = _pages_of(role, world, AXE_PAGES if viewport is NARROW else {"home"})
            if role == "chibo" and viewport is NARROW:
                pages.append(("marking today", f"/residence/meetings/{world.today.pk}/attendance/"))
            for name, url in pages:
                page.goto(live_server.url + url)
                problems += _serious(page, axe, f"{role} {name} at {viewport['width']} px")
                seen += 1
            context.close()
    assert seen > 40, seen
    assert problems == [], "\n".join(problems)
