"""The dashboard as .xlsx (the page's table) and as the yearly report PDF (read back)."""

import io
import shutil
import subprocess

import openpyxl
import pytest
from django.urls import reverse

from evaluations import dashboard as dash
from evaluations.dashboard import charts

pytestmark = pytest.mark.django_db


def _book(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return openpyxl.load_workbook(io.BytesIO(response.content))


def test_xlsx_holds_the_pages_table(province, login):
    w = province.world
    client = login(w.admin)
    page = client.get(reverse("evaluations:dashboard", args=[w.province.pk]))
    book = _book(client.get(reverse("evaluations:dashboard_export", args=[w.province.pk])))
    tables = page.context["board"].tables
    assert len(book.worksheets) == len(tables) == 2
    for sheet, table in zip(book.worksheets, tables, strict=True):
        lines = [list(row) for row in sheet.iter_rows(min_row=3, values_only=True)]
        expected = [
            [row.label, *(row.values[c.key] for c in table.columns)]
            for row in [*table.rows, table.total]
        ]
        assert lines == expected
        headings = next(sheet.iter_rows(min_row=2, max_row=2, values_only=True))
        assert len(headings) == len(table.columns) + 1
        rate_column = 1 + [c.key for c in table.columns].index("presented_rate") + 1
        assert sheet.cell(3, rate_column).number_format == "0%"


def test_xlsx_follows_the_pages_sort(province, login, settings):
    settings.LANGUAGE_CODE = "en"
    w = province.world
    url = reverse("evaluations:dashboard_export", args=[w.bloc.pk])
    book = _book(login(w.bloc_staff).get(url, {"sort": "-presented_rate"}))
    names = [row[0] for row in book.active.iter_rows(min_row=3, values_only=True)]
    assert names == [w.agency2.name, w.agency.name, "Total"]


def test_member_level_xlsx(province, login):
    w, m = province.world, province.members
    book = _book(login(w.secretary).get(reverse("evaluations:dashboard_export", args=[w.cell.pk])))
    lines = list(book.active.iter_rows(min_row=3, values_only=True))
    names = [line[0] for line in lines]
    assert len(lines) == 6 and m["an"].full_name in names
    an = lines[names.index(m["an"].full_name)]
    assert (an[7], an[8]) == (2, 2)  # invited, present


def _pdf_text(content: bytes, tmp_path) -> str:
    if not shutil.which("pdftotext"):
        pytest.fail("pdftotext is missing: apt install poppler-utils")
    path = tmp_path / "report.pdf"
    path.write_bytes(content)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_yearly_report_reads_back_with_its_figures(province, login, tmp_path):
    w = province.world
    response = login(w.admin).get(reverse("evaluations:dashboard_report", args=[w.province.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = " ".join(_pdf_text(response.content, tmp_path).split())
    assert "ĐẢNG CỘNG SẢN VIỆT NAM" in text
    assert "BÁO CÁO" in text
    assert "Kết quả thực hiện Quy định số 213-QĐ/TW năm 2026" in text
    assert "ngày 15 tháng 6 năm 2026" in text
    assert "có 10 đảng viên đang công tác; đã giới thiệu 7 đồng chí" in text
    assert "1/3 chi bộ tổ chức đủ 2 buổi trong năm" in text
    assert "1 phiếu có nội dung gần trùng lặp" in text
    assert w.commune.name in text and w.other_bloc.name in text
    assert "Tổng cộng" in text
    assert "T/M ĐẢNG ỦY" in text and "BÍ THƯ" in text


def test_report_of_a_cell_is_signed_by_its_committee(province, login, tmp_path):
    w = province.world
    response = login(w.residence_secretary).get(
        reverse("evaluations:dashboard_report", args=[w.residence_cell.pk])
    )
    text = " ".join(_pdf_text(response.content, tmp_path).split())
    assert "T/M CHI ỦY" in text and "-BC/CB" in text


def test_report_refused_outside_scope(province, login):
    w = province.world
    url = reverse("evaluations:dashboard_report", args=[w.other_agency.pk])
    assert login(w.secretary).get(url).status_code == 404


# --- Charts -------------------------------------------------------------------------------------


def test_progress_bars_scale_to_the_base_and_escape_labels():
    svg = charts.progress_bars("Tiến độ <năm>", [("Đã <b>giới thiệu", 5, 10), ("Trống", 0, 0)])
    assert svg.startswith("<svg") and 'viewBox="0 0 360 72"' in svg and 'width="100%"' in svg
    assert "&lt;b&gt;" in svg and "<b>" not in svg
    assert 'width="180.0"' in svg  # 5 of 10 on a 360-wide chart
    assert "5 (50%)" in svg and "0 (–)" in svg
    assert "8 (&lt;1%)" in charts.progress_bars("", [("Đã trình diện", 8, 2657)])
    assert charts.COLOURS["warn"] in svg  # 50% is amber
    assert "style=" not in svg


def test_month_bars_draw_one_bar_per_month_with_meetings():
    months = [(m, 0, 0) for m in range(1, 13)]
    months[2] = (3, 4, 1)
    months[5] = (6, 10, 9)
    svg = charts.month_bars("Tỷ lệ dự", months)
    assert svg.count('class="bar"') == 2
    assert "3: 1/4" in svg and "6: 9/10" in svg
    assert charts.COLOURS["bad"] in svg and charts.COLOURS["ok"] in svg
    assert svg.count("–") == 10


def test_bands():
    assert [dash.band(v) for v in (None, 0.0, 0.49, 0.5, 0.79, 0.8, 1.0)] == [
        "",
        "bad",
        "bad",
        "warn",
        "warn",
        "ok",
        "ok",
    ]


def test_report_of_a_bloc_has_no_residence_paragraphs(province, login, tmp_path):
    w = province.world
    response = login(w.bloc_staff).get(reverse("evaluations:dashboard_report", args=[w.bloc.pk]))
    text = " ".join(_pdf_text(response.content, tmp_path).split())
    assert "1. Giới thiệu đảng viên về nơi cư trú: có 9 đảng viên đang công tác" in text
    assert "Nơi cư trú tiếp nhận đảng viên" not in text
    assert "Tổng cộng 9 7 4 44%" in text  # working, referred, presented, presented rate
