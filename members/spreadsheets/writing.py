"""Writing members (an export) or the blank template as .xlsx."""

import openpyxl
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from ..models import Member
from .columns import COLUMNS, DATE_FORMAT, display_value

# --- Writing --------------------------------------------------------------------------------


def _header_row(sheet) -> list:
    bold = Font(bold=True)
    cells = []
    for column in COLUMNS:
        cell = WriteOnlyCell(sheet, value=column.header)
        cell.font = bold
        cells.append(cell)
    return cells


def _new_sheet():
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Đảng viên")
    for index, column in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[openpyxl.utils.get_column_letter(index)].width = column.width
    sheet.freeze_panes = "B2"
    sheet.append(_header_row(sheet))
    return workbook, sheet


def _member_row(sheet, member: Member) -> list:
    row = []
    for column in COLUMNS:
        if column.code_of:
            organisation = getattr(member, column.code_of)
            value = organisation.code if organisation is not None else None
        else:
            value = getattr(member, column.field)
        if column.kind == "date":
            cell = WriteOnlyCell(sheet, value=value)
            cell.number_format = DATE_FORMAT
        else:
            text = display_value(column.field, value)
            cell = WriteOnlyCell(sheet, value=text or None)
            # A name that starts with "=" is text, never a formula Excel would run.
            if text.startswith("="):
                cell.data_type = "s"
        row.append(cell)
    return row


def write_members(members, fileobj) -> int:
    """Writes ``members`` (an iterable; pass ``queryset.iterator()``) as .xlsx to ``fileobj``."""
    workbook, sheet = _new_sheet()
    count = 0
    for member in members:
        sheet.append(_member_row(sheet, member))
        count += 1
    workbook.save(fileobj)
    return count


def write_template(fileobj) -> None:
    """The blank file to fill in: the header row only."""
    workbook, _sheet = _new_sheet()
    workbook.save(fileobj)
