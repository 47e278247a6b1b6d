"""Every URL of the site, as every role, against a declared expectation.

The world holds two unrelated organisation trees, A and B (walk_world.py), built once for the
module. Each URL pattern is filled with ids of tree A's objects and requested (GET and POST):

- anonymously: sent to the login page (public pages excepted);
- by every user of tree B: refused (403/404) or, for a page without ids, shown without any of
  A's data; a POST changes no row that belongs to or points at tree A;
- by every role of tree A: the status declared in ``EXPECTED`` (allowed roles succeed, the
  others are refused). GETs carry tree B's ids in the query string and POSTs carry them in
  every plausible form field: the answer shows none of B's data (PDFs and spreadsheets are
  read back) and no row of tree B changes.

Every answer, to anyone, carries the security headers (CSP without inline script, frames
refused), every answer to a signed-in user forbids caches to keep it, and an HTML answer has no
inline script, handler or style (pages.py); every free text of the world ends in HTML and
script, which no page may carry as markup and every PDF that names a member prints as text.

A URL added to the site without an entry in ``EXPECTED`` fails ``test_every_url_is_declared``.
"""

import io
import os
import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from .pages import page_problems, prints_hostile_as_text
from .walk_world import ROLE_NAMES, logged_in, snapshot

ALL = frozenset(ROLE_NAMES)
COMMITTEE = frozenset({"khoi", "coquan", "phuong", "chibo", "admin"})
WORKPLACE = frozenset({"khoi", "coquan", "admin"})
RESIDENCE = frozenset({"phuong", "chibo", "admin"})
NONE = frozenset()
METHOD_NOT_ALLOWED = "405"


class Url:
    """What one URL name should do.

    ``kwargs(tree)``: the URL's arguments from a tree's objects. ``get`` / ``post``: the roles of
    tree A that succeed (200, or a redirect that is not to the login page), or
    METHOD_NOT_ALLOWED. ``public``: anonymous users may use it. ``own``: the page shows the
    user's own things only (no ids), so an outsider may see it, without tree A's data.
    ``ends_session``: success is a redirect to the login page with the user logged out (and
    nothing else: a 200 or a redirect elsewhere is a failure).
    """

    def __init__(self, get, post=NONE, *, kwargs=None, public=False, own=False, ends_session=False):
        self.get, self.post = get, post
        self.kwargs = kwargs or (lambda t: {})
        self.public, self.own = public, own
        self.ends_session = ends_session


def pk(attr):
    return lambda t: {"pk": getattr(t, attr).pk}


def member_pk(t):
    return {"member_pk": t.member.pk}


def cell_pk(t):
    return {"cell_pk": t.residence_cell.pk}


def signed_sheet(t):
    return {"kind": "sheet", "pk": t.certified.pk}


NA = METHOD_NOT_ALLOWED
R = frozenset
KHOI, COQUAN, PHUONG, CHIBO, DANGVIEN, ADMIN = (R({n}) for n in ROLE_NAMES)
# Roles not listed may still be answered with a redirect and a message, provided nothing changed.
EXPECTED: dict[str, Url] = {
    # --- accounts and infrastructure ---
    "home": Url(ALL, ALL, own=True),
    "healthz": Url(ALL, ALL, public=True, own=True),
    "login": Url(ALL, ALL, public=True, own=True),
    "logout": Url(NA, ALL, public=True, own=True, ends_session=True),
    "password_change": Url(ALL, ALL, own=True),
    "password_change_done": Url(ALL, NA, own=True),
    "password_reset": Url(ALL, ALL, public=True, own=True),
    "password_reset_done": Url(ALL, NA, public=True, own=True),
    "password_reset_confirm": Url(
        ALL, ALL, public=True, own=True, kwargs=lambda t: {"uidb64": "MQ", "token": "x-y"}
    ),
    "password_reset_complete": Url(ALL, NA, public=True, own=True),
    "two_factor_setup": Url(ALL, ALL, own=True),
    "two_factor_verify": Url(ALL, ALL, own=True),
    "notification_list": Url(ALL, ALL, own=True),
    "notification_badge": Url(ALL, ALL, own=True),
    "notification_open": Url(COQUAN, COQUAN, kwargs=pk("notification")),
    "notification_read_all": Url(NA, ALL, own=True),
    "notification_send_test": Url(NA, ALL, own=True),
    "notification_preferences": Url(ALL, ALL, own=True),
    # GETs and POSTs carry tree B's organisation: refused to everyone (tests/evaluations
    # test the page for the organisations a user acts for).
    "reminder_settings": Url(NONE, NONE, own=True),
    # --- members ---
    "members:member_list": Url(ALL, ALL, own=True),
    # The residence side sees the form; the service refuses its members (tested below).
    "members:member_create": Url(COMMITTEE, COMMITTEE, own=True),
    "members:member_detail": Url(ALL - CHIBO, ALL - CHIBO, kwargs=pk("member")),
    "members:member_edit": Url(WORKPLACE, WORKPLACE, kwargs=pk("member")),
    "members:member_views": Url(COQUAN | ADMIN, COQUAN | ADMIN, kwargs=pk("member")),
    "members:member_import": Url(WORKPLACE, WORKPLACE, own=True),
    "members:member_import_preview": Url(COQUAN, COQUAN, kwargs=pk("member_import")),
    "members:member_import_template": Url(WORKPLACE, WORKPLACE, own=True),
    "members:member_export": Url(COMMITTEE, COMMITTEE, own=True),
    "members:organisation_tree": Url(COMMITTEE, COMMITTEE, own=True),
    "members:organisation_detail": Url(WORKPLACE, WORKPLACE, kwargs=pk("cell")),
    "members:organisation_move": Url(WORKPLACE, WORKPLACE, kwargs=pk("cell")),
    "organisation_merge": Url(WORKPLACE, WORKPLACE, kwargs=pk("cell")),
    # The commune keeps the areas of its residence cells; the cell itself is told it may not.
    "members:residence_area_add": Url(NA, PHUONG | ADMIN, kwargs=pk("residence_cell")),
    "members:residence_area_remove": Url(NA, PHUONG | ADMIN, kwargs=pk("area")),
    # --- residence: referrals and notices ---
    "residence:index": Url(ALL, ALL, own=True),
    "residence:referral_list": Url(
        WORKPLACE, WORKPLACE, own=True, kwargs=lambda t: {"side": "workplace"}
    ),
    "residence:referral_bulk": Url(NA, RESIDENCE, own=True, kwargs=lambda t: {"side": "residence"}),
    "residence:referral_detail": Url(ALL, ALL, kwargs=pk("referral")),
    "residence:referral_receive": Url(NA, PHUONG | ADMIN, kwargs=pk("issued")),
    "residence:referral_assign": Url(NA, PHUONG | ADMIN, kwargs=pk("referral")),
    "residence:referral_report": Url(NA, RESIDENCE, kwargs=pk("referral")),
    "residence:referral_close": Url(COQUAN | ADMIN, COQUAN | ADMIN, kwargs=pk("referral")),
    "residence:referral_letter": Url(ALL, ALL, kwargs=pk("referral")),
    "residence:referral_letters": Url(NONE, COMMITTEE, own=True),
    "residence:referral_issue_many": Url(WORKPLACE, WORKPLACE, own=True),
    "residence:referral_issue": Url(NA, WORKPLACE, kwargs=member_pk),
    "residence:change_record": Url(COQUAN | ADMIN, COQUAN | ADMIN, kwargs=member_pk),
    "residence:notice_list": Url(
        KHOI | RESIDENCE, KHOI | RESIDENCE, own=True, kwargs=lambda t: {"side": "residence"}
    ),
    "residence:notice_acknowledge": Url(NA, PHUONG | ADMIN, kwargs=pk("notice")),
    # --- residence: meetings ---
    "residence:meeting_index": Url(COMMITTEE, COMMITTEE, own=True),
    "residence:meeting_list": Url(RESIDENCE, RESIDENCE, kwargs=cell_pk),
    "residence:meeting_create": Url(RESIDENCE, RESIDENCE, kwargs=cell_pk),
    "residence:meeting_detail": Url(RESIDENCE, RESIDENCE, kwargs=pk("meeting")),
    "residence:attendance_mark": Url(RESIDENCE, RESIDENCE, kwargs=pk("upcoming")),
    "residence:meeting_confirm": Url(NA, RESIDENCE, kwargs=pk("upcoming")),
    "residence:meeting_invite": Url(NA, RESIDENCE, kwargs=pk("upcoming")),
    "residence:meeting_cancel": Url(RESIDENCE, RESIDENCE, kwargs=pk("upcoming")),
    "residence:meeting_move": Url(RESIDENCE, RESIDENCE, kwargs=pk("upcoming")),
    "residence:meeting_pdf": Url(RESIDENCE, RESIDENCE, kwargs=pk("meeting")),
    "residence:attendance_correct": Url(RESIDENCE, RESIDENCE, kwargs=pk("attendance")),
    "residence:my_meetings": Url(ALL, ALL, own=True),
    "residence:meeting_calendar": Url(DANGVIEN, NA, kwargs=pk("own_attendance")),
    "residence:absence_announce": Url(NA, DANGVIEN, kwargs=pk("own_attendance")),
    "residence:absence_withdraw": Url(NA, DANGVIEN, kwargs=pk("own_attendance")),
    "residence:workplace_attendance": Url(WORKPLACE, WORKPLACE, own=True),
    # The member sees their own attendance.
    "residence:member_attendance": Url(ALL, ALL, kwargs=member_pk),
    "residence:report_create": Url(RESIDENCE, RESIDENCE, kwargs=member_pk),
    "residence:report_list": Url(
        WORKPLACE, WORKPLACE, own=True, kwargs=lambda t: {"side": "workplace"}
    ),
    "residence:report_acknowledge": Url(COQUAN | ADMIN, COQUAN | ADMIN, kwargs=pk("report")),
    # Both sides of the report: the residence side that sent it, the workplace that received it.
    "residence:report_pdf": Url(COMMITTEE, NA, kwargs=pk("report")),
    # --- evaluations ---
    "evaluations:index": Url(COMMITTEE, COMMITTEE, own=True),
    "evaluations:campaign_list": Url(WORKPLACE, WORKPLACE, own=True),
    "evaluations:campaign_open": Url(COQUAN | ADMIN, COQUAN | ADMIN, own=True),
    "evaluations:campaign_detail": Url(WORKPLACE, WORKPLACE, kwargs=pk("campaign")),
    "evaluations:campaign_close": Url(NA, WORKPLACE, kwargs=pk("campaign")),
    "evaluations:request_create": Url(COQUAN | ADMIN, COQUAN | ADMIN, kwargs=pk("campaign")),
    # GETs carry tree B's cell in ?cell=: refused, except to the administrator.
    "evaluations:inbox": Url(ADMIN, RESIDENCE, own=True),
    "evaluations:sitting_create": Url(RESIDENCE, RESIDENCE, kwargs=cell_pk),
    "evaluations:certify_cell": Url(NA, RESIDENCE, kwargs=cell_pk),
    "evaluations:request_detail": Url(COMMITTEE, COMMITTEE, kwargs=pk("open_request")),
    "evaluations:comment_edit": Url(RESIDENCE, RESIDENCE, kwargs=pk("open_request")),
    "evaluations:comment_certify": Url(NA, RESIDENCE, kwargs=pk("open_request")),
    # The request is not submitted: the commune is sent to its page, the others refused.
    "evaluations:comment_compare": Url(PHUONG | ADMIN, NA, kwargs=pk("open_request")),
    "evaluations:comment_return": Url(NA, RESIDENCE, kwargs=pk("open_request")),
    "evaluations:grade_record": Url(NA, WORKPLACE, kwargs=pk("certified")),
    "evaluations:sheet_pdf": Url(COMMITTEE, COMMITTEE, kwargs=pk("certified")),
    # The certified sheet was kept for signing: its code opens the verification page, public
    # (without names) to anyone who is not one of its committees, whom it sends to the record.
    # A code of a sheet never kept is tested in tests/evaluations/signatures.
    "evaluations:sheet_verify": Url(
        ALL, ALL, public=True, kwargs=lambda t: {"code": t.certified.verification_code}
    ),
    "evaluations:signed_document": Url(COMMITTEE, COMMITTEE, kwargs=signed_sheet),
    # Nobody signs in the walk: the commune is refused with a message, nothing changes.
    "evaluations:signed_document_sign": Url(NA, PHUONG | ADMIN, kwargs=signed_sheet),
    "evaluations:signed_document_upload": Url(NA, PHUONG | ADMIN, kwargs=signed_sheet),
    "evaluations:signed_document_check": Url(NA, COMMITTEE, kwargs=signed_sheet),
    "evaluations:signed_document_pdf": Url(COMMITTEE, COMMITTEE, kwargs=signed_sheet),
    "evaluations:dashboard_index": Url(COMMITTEE, NA, own=True),
    "evaluations:dashboard": Url(WORKPLACE, NA, kwargs=pk("cell")),
    "evaluations:dashboard_export": Url(WORKPLACE, NA, kwargs=pk("cell")),
    "evaluations:dashboard_report": Url(WORKPLACE, NA, kwargs=pk("agency")),
    "evaluations:printjob_list": Url(ALL, ALL, own=True),
    # GETs and POSTs carry tree B's campaign: refused to everyone.
    "evaluations:printjob_new": Url(NONE, NONE, own=True),
    "evaluations:printjob_detail": Url(COQUAN, COQUAN, kwargs=pk("print_job")),
    "evaluations:printjob_retry": Url(NA, COQUAN, kwargs=pk("print_job")),
    "evaluations:printjob_file": Url(
        COQUAN, COQUAN, kwargs=lambda t: {"pk": t.print_job.pk, "position": 0}
    ),
}

DISCOVER = os.environ.get("PARTYREG_WALK_DISCOVER") == "1"


def site_url_names() -> list[str]:
    """Every named pattern reachable from the root URLconf, except the admin site."""

    def walk(patterns, namespace):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                if str(entry.pattern).startswith("admin/"):
                    continue
                inner = entry.namespace
                yield from walk(
                    entry.url_patterns,
                    f"{namespace}:{inner}" if namespace and inner else inner or namespace,
                )
            elif isinstance(entry, URLPattern):
                assert entry.name, f"the pattern {entry.pattern} has no name"
                yield f"{namespace}:{entry.name}" if namespace else entry.name

    return sorted(set(walk(get_resolver().url_patterns, None)))


def test_every_url_is_declared():
    names = set(site_url_names())
    undeclared = sorted(names - EXPECTED.keys())
    assert not undeclared, f"URLs without an entry in EXPECTED (say who may use them): {undeclared}"
    assert not EXPECTED.keys() - names, f"gone from the site: {sorted(EXPECTED.keys() - names)}"


# --- the world, the snapshot and the hostile inputs ----------------------------------------------


def changed_rows(before: dict, after: dict) -> list:
    keys = before.keys() | after.keys()
    return [
        (key, before.get(key), after.get(key)) for key in keys if before.get(key) != after.get(key)
    ]


def touches(change, ids: set) -> bool:
    """The changed row is one of ``ids`` or points at one (a foreign key, or print job ids)."""
    (model, pk_), old, new = change
    if (model, pk_) in ids:
        return True
    from evaluations.models import CommentRequest, PrintJob

    for row in (old, new):
        if row is None:
            continue
        for f in model._meta.concrete_fields:
            if f.is_relation and (f.related_model, row[f.attname]) in ids:
                return True
        if model is PrintJob and any((CommentRequest, i) in ids for i in row["request_ids"]):
            return True
    return False


def hostile_form(t) -> dict:
    """Every plausible form field, filled with the ids of tree ``t``'s objects."""
    today = timezone.localdate().isoformat()
    return {
        "ids": [t.referral.pk, t.issued.pk, t.member.pk, t.open_request.pk, t.certified.pk],
        "member": t.member.pk,
        "members": [t.member.pk],
        "workplace_org": t.cell.pk,
        "organisation": t.agency.pk,
        "residence_cell": t.residence_cell.pk,
        "residence_commune": t.commune.pk,
        "commune": t.commune.pk,
        "cell": t.residence_cell.pk,
        "new_parent": t.cell2.pk,
        "target": t.cell2.pk,
        "campaign": t.campaign.pk,
        "request": t.open_request.pk,
        "requests": [t.open_request.pk, t.certified.pk],
        "meeting": t.meeting.pk,
        "attendance": t.attendance.pk,
        "referral": t.referral.pk,
        "notice": t.notice.pk,
        "batch": str(t.referral.batch) if getattr(t.referral, "batch", None) else "",
        "year": 2026,
        "full_name": "Người Lạ",
        "name": "Tổ dân phố lạ",
        "reason": "thử",
        "note": "thử",
        "text": "thử",
        "details": "thử",
        "place": "thử",
        "presented_on": today,
        "effective_on": today,
        "held_on": today,
        "due_on": today,
        "kind": "moved",
        "level": "good",
        "action": "receive",
        "scope": "campaign",
    }


def readable(response) -> str:
    """The answer as text: HTML as is, PDFs and spreadsheets read back."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    kind = response.get("Content-Type", "")
    if kind.startswith("application/pdf"):
        from pypdf import PdfReader

        try:
            text = " ".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(content)).pages)
        except Exception:  # the print job test file is a stub PDF with no pages
            return content.decode("latin-1")
        # Justified lines come back with runs of spaces and names broken across lines.
        return " ".join(text.split())
    if "spreadsheet" in kind:
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(content), read_only=True)
        return " ".join(
            str(v) for sheet in book for row in sheet.iter_rows(values_only=True) for v in row if v
        )
    return content.decode("utf-8", "replace")


def request(client, method, url, data, before):
    """One request whose writes are rolled back afterwards, so every request meets the same
    world, the one ``before`` holds; returns the response and the rows it changed."""
    with transaction.atomic():
        response = client.get(url, data) if method == "GET" else client.post(url, data)
        text = readable(response)
        changes = changed_rows(before, snapshot())
        transaction.set_rollback(True)
    return response, text, changes


def succeeded(response, client, expected: Url) -> bool:
    if expected.ends_session:
        return (
            response.status_code == 302
            and response.url == reverse("login")
            and SESSION_KEY not in client.session
        )
    if response.status_code == 200:
        return True
    return response.status_code == 302 and not response.url.startswith(reverse("login"))


def refused(response) -> bool:
    return response.status_code in (403, 404, 405)


def refused_or_turned_away(response, changes) -> bool:
    """403/404/405, or sent elsewhere (with a message) having changed nothing."""
    return refused(response) or (response.status_code == 302 and not changes)


CHOICE_LIST = re.compile(r"<select\b.*?</select>", re.DOTALL | re.IGNORECASE)


def leaked(text: str, tree) -> list[str]:
    """The tree's member names anywhere; its organisation names outside choice lists."""
    outside_choices = CHOICE_LIST.sub("", text)
    return [m for m in tree.markers if m in text] + [
        m for m in tree.org_markers if m in outside_choices
    ]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_url(name, walk, db, settings):
    a, b = walk
    settings.MEDIA_ROOT = a.media
    expected = EXPECTED[name]
    url = reverse(name, kwargs=expected.kwargs(a))
    problems, observed = [], {}
    # Every login first (a login writes last_login, a required code a device), then the world
    # as every request meets it: each request's writes are rolled back.
    outsiders = {role: logged_in(b.users[role]) for role in ROLE_NAMES if role != "admin"}
    insiders = {role: logged_in(a.users[role]) for role in ROLE_NAMES}
    world = snapshot()

    # Anonymous.
    for method in ("GET", "POST"):
        response, text, changes = request(Client(), method, url, {}, world)
        problems.extend(f"anonymous {method}: {p}" for p in page_problems(response, text))
        if expected.public:
            assert response.status_code < 500
        elif response.status_code != 405 and not (
            response.status_code == 302 and response.url.startswith(reverse("login"))
        ):
            problems.append(f"anonymous {method}: {response.status_code}, not sent to login")
        if changes and not expected.public:
            problems.append(f"anonymous {method} changed {len(changes)} rows")

    # Users of the other tree, with A's ids in the URL and the form.
    for role, client in outsiders.items():
        for method, data in (("GET", {}), ("POST", hostile_form(a))):
            response, text, changes = request(client, method, url, data, world)
            who = f"{b.users[role].username} (tree B) {method}"
            problems.extend(f"{who}: {p}" for p in page_problems(response, text, signed_in=True))
            if not (expected.own or expected.public) and not refused(response):
                problems.append(f"{who}: {response.status_code}, expected 403/404")
            if leak := leaked(text, a):
                problems.append(f"{who}: shows tree A's {leak}")
            if touched := [c for c in changes if touches(c, a.ids)]:
                problems.append(f"{who}: changed tree A's rows {[str(c[0]) for c in touched]}")

    # Every role of tree A, with B's ids in the query string and the form.
    for role, client in insiders.items():
        for method, allowed in (("GET", expected.get), ("POST", expected.post)):
            data = hostile_form(b)
            response, text, changes = request(client, method, url, data, world)
            who = f"{role} (tree A) {method}"
            observed[(role, method)] = response.status_code
            problems.extend(f"{who}: {p}" for p in page_problems(response, text, signed_in=True))
            if (
                response.get("Content-Type", "").startswith("application/pdf")
                and leaked(text, a)
                and not prints_hostile_as_text(text)
            ):
                problems.append(f"{who}: the PDF does not print the hostile text as typed")
            if DISCOVER:
                pass
            elif allowed == METHOD_NOT_ALLOWED:
                if response.status_code != 405:
                    problems.append(f"{who}: {response.status_code}, expected 405")
            elif role in allowed and not succeeded(response, client, expected):
                problems.append(f"{who}: {response.status_code}, expected success")
            elif role not in allowed and not refused_or_turned_away(response, changes):
                problems.append(f"{who}: {response.status_code}, expected a refusal")
            if role == "admin":
                continue  # the site administrator reaches both trees
            if leak := leaked(text, b):
                problems.append(f"{who}: shows tree B's {leak}")
            if touched := [c for c in changes if touches(c, b.ids)]:
                problems.append(f"{who}: changed tree B's rows {[str(c[0]) for c in touched]}")

    if DISCOVER:
        print(name, {f"{r}:{m}": s for (r, m), s in observed.items()})
    assert not problems, "\n".join(dict.fromkeys(problems))
