"""No template of a web page carries code or styles the Content-Security-Policy would block,
including branches the URL walk may not render. PDFs and emails are documents, not pages:
their styles never reach a browser under the site's policy."""

from pathlib import Path

import pytest
from django.conf import settings

from .pages import Scanner

TEMPLATES = Path(settings.BASE_DIR) / "templates"
DOCUMENTS = {
    "pdf/document.html",
    "pdf/example_sheet.html",
    "evaluations/sheet.html",
    "evaluations/report_pdf.html",
    "residence/referral_letter.html",
    "residence/meeting_attendance_pdf.html",
    "residence/meeting_report_pdf.html",
    "notifications/email.html",
    "notifications/digest.html",
}
PAGES = sorted(
    str(p.relative_to(TEMPLATES))
    for p in TEMPLATES.rglob("*.html")
    if str(p.relative_to(TEMPLATES)) not in DOCUMENTS
)


def test_the_documents_exist():
    assert all((TEMPLATES / name).exists() for name in DOCUMENTS)


@pytest.mark.parametrize("name", PAGES)
def test_no_inline_script_handler_or_style(name):
    scanner = Scanner()
    scanner.feed((TEMPLATES / name).read_text())
    scanner.close()
    assert not scanner.problems, scanner.problems


@pytest.mark.parametrize(
    "snippet",
    [
        "<script>alert(1)</script>",
        '<button onclick="go()">',
        '<a href=" javascript:alert(1)">',
        '<p style="color: red">',
        "<style>p {}</style>",
        '<div hx-on:click="go()">',
    ],
)
def test_the_scanner_finds_what_it_looks_for(snippet):
    scanner = Scanner()
    scanner.feed(snippet)
    scanner.close()
    assert scanner.problems


def test_the_scanner_lets_escaped_text_and_script_files_be():
    scanner = Scanner()
    scanner.feed('<script src="/static/js/site.js"></script><p title="&lt;img onerror=x&gt;">')
    scanner.close()
    assert scanner.problems == []
