"""Writing members (an export) or the blank template as .xlsx, through partyreg.xlsx (text stays
text: a name that starts with "=" is never a formula)."""

from partyreg import xlsx

from ..models import Member
from .columns import COLUMNS, DATE_FORMAT, display_value


def _new_sheet():
    book = xlsx.workbook()
    sheet = xlsx.add_sheet(
        book, "Đảng viên", widths=[column.width for column in COLUMNS], freeze="B2"
    )
    xlsx.append(sheet, [column.header for column in COLUMNS], bold=True)
    return book, sheet


def _member_row(sheet, member: Member) -> list:
    row = []
    for column in COLUMNS:
        if column.code_of:
            organisation = getattr(member, column.code_of)
            value = organisation.code if organisation is not None else None
        else:
            value = getattr(member, column.field)
        if column.kind == "date":
            row.append(xlsx.cell(sheet, value, number_format=DATE_FORMAT))
        else:
            row.append(xlsx.cell(sheet, display_value(column.field, value)))
    return row


def write_members(members, fileobj) -> int:
    """Writes ``members`` (an iterable; pass ``queryset.iterator()``) as .xlsx to ``fileobj``."""
    book, sheet = _new_sheet()
    count = 0
    for member in members:
        xlsx.append(sheet, _member_row(sheet, member))
        count += 1
    xlsx.save(book, fileobj)
    return count


def write_template(fileobj) -> None:
    """The blank file to fill in: the header row only."""
    book, _sheet = _new_sheet()
    xlsx.save(book, fileobj)
