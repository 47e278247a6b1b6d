import base64
import io
import logging
import unicodedata
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urljoin

import pytest
from django.conf import settings as django_settings
from fontTools.ttLib import TTFont
from pypdf import PdfReader
from weasyprint.text import ffi as weasyprint_ffi

from partyreg import pdf
from partyreg.pdf import (
    PDF_ORIGIN,
    FetchRefused,
    StaticOnlyFetcher,
    harfbuzz_subset_available,
    render_pdf,
    render_pdf_many,
    shared_resources,
    vn_date,
    vn_place_date,
)

TEMPLATE = "pdf/example_sheet.html"
MM = 72 / 25.4
STATIC = Path(django_settings.BASE_DIR) / "static"
SHIPPED_FONT = STATIC / "fonts" / "LiberationSerif-Regular.ttf"
STATIC_BASE = urljoin(PDF_ORIGIN, django_settings.STATIC_URL)
# A 1×1 black PNG.
PNG_DATA_URI = (
    "data:image/png;base64,"
    + base64.b64encode(
        bytes.fromhex(
            "89504e470d0a1a0a0000000d4948445200000001000000010800000000"
            "3a7e9b550000000a49444154789c63600000000200015a4e4a0f0000000049454e44ae426082"
        )
    ).decode()
)


def sheet(**overrides) -> dict:
    context = {
        "superior_name": "Đảng bộ thành phố Đà Lạt",
        "issuer_name": "Đảng ủy Phường 1",
        "number": "12-GGT/ĐU",
        "place": "Đà Lạt",
        "date": date(2026, 11, 20),
        "title": "Giấy giới thiệu",
        "cell_name": "Khu phố 3",
        "member_name": "Nguyễn Thị Ánh Tuyết",
        "birth_date": date(1980, 1, 5),
        "workplace": "Chi bộ Văn phòng Sở Tài chính",
        "recipients": ["Như trên", "Lưu VP"],
        "signature": {"on_behalf": "T/M Đảng ủy", "title": "Bí thư", "name": "Đặng Văn Ộ"},
    }
    return context | overrides


def read(pdf_bytes: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(pdf_bytes))


def text_of(page) -> str:
    """The page's text, NFC-normalised, with line breaks and runs of spaces as one space."""
    return " ".join(unicodedata.normalize("NFC", page.extract_text()).split())


def text_x_positions(page) -> list[float]:
    """The x (points from the page's left edge) where each run of visible text starts."""
    positions = []

    def visit(text, cm, tm, font_dict, font_size):
        if text.strip():
            positions.append(tm[4] * cm[0] + tm[5] * cm[2] + cm[4])

    page.extract_text(visitor_text=visit)
    return positions


def embedded_font_programs(page):
    for font in page["/Resources"]["/Font"].values():
        font = font.get_object()
        descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
        yield TTFont(io.BytesIO(descriptor["/FontFile2"].get_data()))


# --- Rendering ---------------------------------------------------------------------------------


def test_vietnamese_text_comes_back_intact():
    text = text_of(read(render_pdf(TEMPLATE, sheet())).pages[0])

    for expected in ("ĐẢNG CỘNG SẢN VIỆT NAM", "Nguyễn Thị Ánh Tuyết", "Đặng Văn Ộ"):
        assert unicodedata.normalize("NFC", expected) in text
    assert "ĐẢNG ỦY PHƯỜNG 1" in text
    assert "Đà Lạt, ngày 20 tháng 11 năm 2026" in text
    assert "Số 12-GGT/ĐU" in text
    assert "T/M ĐẢNG ỦY" in text


def test_the_embedded_font_is_the_shipped_liberation_serif():
    page = read(render_pdf(TEMPLATE, sheet())).pages[0]

    fonts = list(embedded_font_programs(page))
    # Regular, bold (issuer, titles, signature) and italic (place and date line).
    assert len(fonts) == 3
    shipped_version = TTFont(SHIPPED_FONT)["name"].getDebugName(5)
    for font in fonts:
        assert font["name"].getDebugName(1) == "Liberation Serif"
        assert font["name"].getDebugName(5) == shipped_version


def test_page_is_a4_with_a_35_mm_left_and_15_mm_right_margin():
    page = read(render_pdf(TEMPLATE, sheet())).pages[0]

    assert float(page.mediabox.width) == pytest.approx(210 * MM, abs=0.5)
    assert float(page.mediabox.height) == pytest.approx(297 * MM, abs=0.5)
    positions = text_x_positions(page)
    # Body lines and "Nơi nhận" start at the left margin; nothing starts before it.
    assert min(positions) == pytest.approx(35 * MM, abs=0.5)
    assert max(positions) < (210 - 15) * MM


def test_many_sheets_make_one_page_each_in_order():
    names = ["Nguyễn Thị Ánh Tuyết", "Đặng Văn Ộ", "Trần Văn Bình"]

    reader = read(render_pdf_many(TEMPLATE, [sheet(member_name=name) for name in names]))

    assert len(reader.pages) == 3
    for page, name in zip(reader.pages, names, strict=True):
        assert name in text_of(page)


def test_many_sheets_needs_at_least_one():
    with pytest.raises(ValueError, match="at least one sheet"):
        render_pdf_many(TEMPLATE, [])


def test_html_in_a_context_value_is_printed_as_text():
    text = text_of(read(render_pdf(TEMPLATE, sheet(member_name="<b>Lê Văn Tám</b>"))).pages[0])

    assert "<b>Lê Văn Tám</b>" in text


def test_date_line():
    assert vn_date(date(2026, 1, 5)) == "ngày 05 tháng 01 năm 2026"
    assert vn_date(date(2026, 2, 28)) == "ngày 28 tháng 02 năm 2026"
    assert vn_date(date(2018, 4, 3)) == "ngày 03 tháng 4 năm 2018"
    assert vn_date(date(2026, 11, 20)) == "ngày 20 tháng 11 năm 2026"
    # 20:00 UTC on the 19th is already the 20th in Việt Nam.
    assert vn_date(datetime(2026, 11, 19, 20, 0, tzinfo=UTC)) == "ngày 20 tháng 11 năm 2026"
    assert vn_place_date("Đà Lạt", date(2026, 11, 20)) == "Đà Lạt, ngày 20 tháng 11 năm 2026"
    assert vn_place_date("", date(2026, 11, 20)) == "Ngày 20 tháng 11 năm 2026"


# --- Shared font configuration and stylesheet --------------------------------------------------


def test_font_configuration_and_stylesheet_are_built_once_per_process(monkeypatch):
    monkeypatch.setattr(pdf, "_shared", None)
    built = []
    load = pdf.load_resources
    monkeypatch.setattr(pdf, "load_resources", lambda: built.append(1) or load())

    render_pdf(TEMPLATE, sheet())
    first = shared_resources()
    render_pdf(TEMPLATE, sheet(member_name="Đặng Văn Ộ"))
    render_pdf_many(TEMPLATE, [sheet(), sheet()])

    assert len(built) == 1
    assert shared_resources().font_config is first.font_config
    assert shared_resources().stylesheet is first.stylesheet


def test_a_forked_process_builds_its_own(monkeypatch):
    first = shared_resources()
    monkeypatch.setattr(pdf.os, "getpid", lambda: first.pid + 1)

    assert shared_resources().font_config is not first.font_config


def test_a_documents_own_stylesheet_is_parsed_once_after_the_shared_one():
    resources = pdf.load_resources()
    first = resources.stylesheets(("pdf/sheet.css",))
    again = resources.stylesheets(("pdf/sheet.css",))

    assert first[0] is resources.stylesheet
    assert len(first) == 2 and again[1] is first[1]


def test_the_user_agent_stylesheet_gives_markers_to_list_items_only():
    css = pdf.print_ua_css()

    assert "li::marker, summary::marker {" in css
    assert "\n::marker {" not in css and "::footnote-call" not in css
    # The rest of WeasyPrint's stylesheet is kept: lists still show their bullets.
    reader = read(
        pdf.PrintHTML(
            string="<ul><li>Một</li></ul>", base_url=PDF_ORIGIN, url_fetcher=StaticOnlyFetcher()
        )
        .render(stylesheets=[shared_resources().stylesheet])
        .write_pdf()
    )
    assert "•" in reader.pages[0].extract_text()


def test_markup_is_parsed_as_html_entities_comments_and_void_elements_included():
    html = "<p>Đảng&nbsp;viên&#32;Ộ<br>dòng hai<!-- không in --></p><hr><p>Hết.</p>"
    reader = read(
        pdf.PrintHTML(string=html, base_url=PDF_ORIGIN, url_fetcher=StaticOnlyFetcher())
        .render(stylesheets=[shared_resources().stylesheet])
        .write_pdf()
    )
    text = text_of(reader.pages[0])

    assert "Đảng viên Ộ dòng hai Hết." in text and "không in" not in text


# --- HarfBuzz subsetter ------------------------------------------------------------------------


def test_harfbuzz_subsetter_is_installed_here():
    # Without it every PDF renders about 2.5 times slower: apt install libharfbuzz-subset0.
    assert harfbuzz_subset_available() is True


def test_missing_harfbuzz_subsetter_is_reported_at_first_render(monkeypatch, caplog):
    monkeypatch.setattr(weasyprint_ffi, "harfbuzz_subset", None)
    monkeypatch.setattr(pdf, "_shared", None)

    with caplog.at_level(logging.WARNING, logger="partyreg.pdf"):
        render_pdf(TEMPLATE, sheet())
        render_pdf(TEMPLATE, sheet())

    assert harfbuzz_subset_available() is False
    warnings = [r for r in caplog.records if "libharfbuzz-subset0" in r.getMessage()]
    assert len(warnings) == 1
    assert warnings[0].levelno == logging.WARNING


def test_no_warning_when_the_subsetter_is_there(monkeypatch, caplog):
    monkeypatch.setattr(pdf, "_shared", None)

    with caplog.at_level(logging.WARNING, logger="partyreg.pdf"):
        render_pdf(TEMPLATE, sheet())

    assert not [r for r in caplog.records if "HarfBuzz" in r.getMessage()]


# --- What a template may load ------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://127.0.0.1/admin/",
        "https://example.com/logo.png",
        "ftp://example.com/x.png",
        urljoin(STATIC_BASE + "pdf/", "../../../etc/passwd"),
        STATIC_BASE + "%2e%2e/partyreg/settings.py",
        STATIC_BASE + "..%2f..%2fpartyreg%2fsettings.py",
        STATIC_BASE + "fonts/missing.ttf",
        STATIC_BASE,
        "https://partyreg.invalid/media/upload.png",
        "https://partyreg.invalid.example.com" + django_settings.STATIC_URL + "pdf/party.css",
    ],
)
def test_fetcher_refuses_anything_but_static_files(url, caplog):
    with caplog.at_level(logging.WARNING, logger="partyreg.pdf"), pytest.raises(FetchRefused):
        StaticOnlyFetcher().fetch(url)

    assert any("refused" in r.getMessage() for r in caplog.records)


def test_fetcher_refuses_a_symlink_out_of_the_static_directory(settings, tmp_path):
    static = tmp_path / "static"
    static.mkdir()
    (static / "secret.txt").symlink_to(Path(django_settings.BASE_DIR) / "pyproject.toml")
    (static / "ok.css").write_text("p {}")
    settings.STATICFILES_DIRS = [static]
    settings.STATIC_ROOT = None

    assert StaticOnlyFetcher().fetch(STATIC_BASE + "ok.css").read() == b"p {}"
    with pytest.raises(FetchRefused):
        StaticOnlyFetcher().fetch(STATIC_BASE + "secret.txt")


def test_fetcher_serves_the_shipped_font_and_data_uris():
    font = StaticOnlyFetcher().fetch(STATIC_BASE + "fonts/LiberationSerif-Regular.ttf")
    assert font.read() == SHIPPED_FONT.read_bytes()

    image = StaticOnlyFetcher().fetch(PNG_DATA_URI)
    assert image.read().startswith(b"\x89PNG")


def test_fetcher_serves_files_collected_into_static_root(settings, tmp_path):
    (tmp_path / "stamp.png").write_bytes(b"\x89PNG")
    settings.STATICFILES_DIRS = []
    settings.STATIC_ROOT = tmp_path

    assert StaticOnlyFetcher().fetch(STATIC_BASE + "stamp.png").read() == b"\x89PNG"


def page_has_image(page) -> bool:
    xobjects = page["/Resources"].get("/XObject", {})
    return any(x.get_object()["/Subtype"] == "/Image" for x in xobjects.values())


@pytest.mark.parametrize(
    "src", ["file:///etc/passwd", "http://127.0.0.1:9/x.png", "../../../../etc/hostname"]
)
def test_an_image_outside_the_static_files_is_not_loaded(src, caplog):
    with caplog.at_level(logging.WARNING, logger="partyreg.pdf"):
        page = read(render_pdf(TEMPLATE, sheet(photo_url=src))).pages[0]

    assert not page_has_image(page)
    refusals = [r for r in caplog.records if r.name == "partyreg.pdf" and "refused" in r.msg]
    assert len(refusals) == 1
    # The rest of the sheet still prints.
    assert "Nguyễn Thị Ánh Tuyết" in text_of(page)


def test_a_data_uri_image_is_loaded(caplog):
    with caplog.at_level(logging.WARNING, logger="partyreg.pdf"):
        page = read(render_pdf(TEMPLATE, sheet(photo_url=PNG_DATA_URI))).pages[0]

    assert page_has_image(page)
    assert not [r for r in caplog.records if r.name == "partyreg.pdf"]
