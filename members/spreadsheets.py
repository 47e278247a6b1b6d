"""Member lists in Excel (.xlsx): reading and checking an import, and writing an export.

The headers and choice labels in the file are fixed Vietnamese wording (data, like a printed
form), so a file exported here imports back with no change. Reading never trusts the file: its
size, its zip directory and its row count are checked before and while openpyxl parses it.
"""

import copy
import datetime
import re
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import openpyxl
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from partyreg.text import fold

from . import services
from .models import Member, Organisation
from .permissions import can_add_member_to, can_change_member
from .scoping import scope_q
from .selectors import commune_choices


@dataclass(frozen=True)
class Column:
    header: str
    field: str
    kind: str  # text, date, choice, workplace or commune
    required: bool = False
    width: int = 16


COLUMNS = (
    Column("Họ và tên", "full_name", "text", required=True, width=28),
    Column("Giới tính", "gender", "choice", required=True, width=10),
    Column("Ngày sinh", "date_of_birth", "date", required=True, width=12),
    Column("Số thẻ đảng viên", "card_number", "text", required=True),
    Column("Số lý lịch", "profile_number", "text"),
    Column("Ngày vào Đảng", "admitted_on", "date", required=True, width=14),
    Column("Ngày chính thức", "full_member_on", "date", width=14),
    Column("Chi bộ nơi công tác", "workplace_org", "workplace", required=True, width=32),
    Column("Chức vụ", "position", "text", width=20),
    Column("Điện thoại", "phone", "text", width=14),
    Column("Email", "email", "text", width=24),
    Column("Địa chỉ nơi cư trú", "residence_address", "text", width=32),
    Column("Xã/phường nơi cư trú", "residence_commune", "commune", width=28),
    Column("Tình trạng", "status", "choice", width=16),
    Column("Diện theo Quy định 213", "category", "choice", width=30),
    Column("Lý do", "category_reason", "text", width=28),
    Column("Từ ngày", "category_since", "date", width=12),
)
COLUMN_BY_FIELD = {c.field: c for c in COLUMNS}

# The labels written in the file. Accepted too: the stored value and the label in English or
# in the current language, all compared without diacritics or case.
CHOICE_LABELS_VI = {
    "gender": {Member.Gender.MALE: "Nam", Member.Gender.FEMALE: "Nữ"},
    "status": {
        Member.Status.ACTIVE: "Đang sinh hoạt",
        Member.Status.TRANSFERRED_OUT: "Đã chuyển sinh hoạt đi",
        Member.Status.DISCIPLINED: "Bị kỷ luật",
        Member.Status.EXPELLED: "Bị khai trừ",
        Member.Status.STRUCK_OFF: "Bị xóa tên",
        Member.Status.LEFT: "Ra khỏi Đảng",
        Member.Status.DECEASED: "Từ trần",
    },
    "category": {
        Member.Category.NORMAL: "Giới thiệu, tham gia sinh hoạt nơi cư trú",
        Member.Category.EXEMPT_ACTIVITY: "Giới thiệu, miễn sinh hoạt nơi cư trú",
        Member.Category.EXEMPT_INTRODUCTION: "Miễn giới thiệu",
    },
}

DATE_FORMAT = "dd/mm/yyyy"
_DATE_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_DATE_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00)?)?$")

_XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
# A row of this table takes about 1.2 KB of sheet XML with every cell filled (measured on an
# export), and under 8 KB even with every text at its longest in Vietnamese, so a list within
# the row limit unpacks to less than this; anything larger is a bomb.
_UNPACKED_BYTES_PER_ROW = 8192
_UNPACKED_BYTES_BASE = 2 * 1024 * 1024
# Spreadsheet XML compresses about 5 to 20 times; a large part packed hundreds of times
# smaller is filler made to blow up when unpacked.
_MAX_PACKING_RATIO = 200
_RATIO_CHECK_FROM_BYTES = 1024 * 1024
_EXCEL_MAX_ROWS = 1_048_576
_MAX_ERRORS_KEPT = 1000
_LOOKUP_CHUNK = 500


def import_limits() -> tuple[int, int]:
    return settings.PARTYREG["IMPORT_MAX_BYTES"], settings.PARTYREG["IMPORT_MAX_ROWS"]


def _size(nbytes: int) -> str:
    if nbytes >= 1024 * 1024:
        return _("%(size)s MB") % {"size": number_format(nbytes / (1024 * 1024), 1)}
    return _("%(size)s KB") % {"size": number_format(max(nbytes, 1) / 1024, 0)}


def _damaged() -> ValidationError:
    return ValidationError(
        _(
            "The file is damaged and cannot be read. Open it in Excel, save it again as "
            "“Excel Workbook (.xlsx)” and upload the new file."
        ),
        code="damaged",
    )


def _not_xlsx() -> ValidationError:
    return ValidationError(
        _(
            "This is not an Excel .xlsx file. Open the list in Excel (or LibreOffice), save it "
            "as “Excel Workbook (.xlsx)” and upload that file; start from the template file if "
            "in doubt."
        ),
        code="not_xlsx",
    )


def check_archive(fileobj) -> None:
    """Refuses, before any parsing, a file too large, not an .xlsx, or packed to explode."""
    max_bytes, max_rows = import_limits()
    fileobj.seek(0, 2)
    size = fileobj.tell()
    fileobj.seek(0)
    if size > max_bytes:
        raise ValidationError(
            _(
                "The file is %(size)s; the largest accepted is %(max)s. Split the list into "
                "smaller files and import them one by one."
            )
            % {"size": _size(size), "max": _size(max_bytes)},
            code="too_large",
        )
    head = fileobj.read(8)
    fileobj.seek(0)
    if head.startswith(_XLS_MAGIC):
        raise ValidationError(
            _(
                "This is an old Excel 97–2003 (.xls) file or a workbook protected by a "
                "password. Open it in Excel, remove any password and save it as "
                "“Excel Workbook (.xlsx)”."
            ),
            code="xls",
        )
    if not head.startswith(_ZIP_MAGIC):
        raise _not_xlsx()
    try:
        with zipfile.ZipFile(fileobj) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise _damaged() from None
    finally:
        fileobj.seek(0)
    names = {info.filename for info in infos}
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise _not_xlsx()
    # zipfile stops at the declared size and then fails the CRC check, so the declared sizes
    # bound what openpyxl will ever unpack.
    unpacked = sum(info.file_size for info in infos)
    too_dense = any(
        info.file_size > _RATIO_CHECK_FROM_BYTES
        and info.file_size > _MAX_PACKING_RATIO * max(info.compress_size, 1)
        for info in infos
    )
    if too_dense or unpacked > _UNPACKED_BYTES_BASE + max_rows * _UNPACKED_BYTES_PER_ROW:
        raise ValidationError(
            _(
                "The file unpacks to %(size)s, far more than a member list holds; it is damaged "
                "or was made to overload the server. Save the list again from Excel as .xlsx "
                "and upload the new file."
            )
            % {"size": _size(unpacked)},
            code="zip_bomb",
        )


# --- Reading cells --------------------------------------------------------------------------


class CellError(ValueError):
    pass


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime.datetime | datetime.date):
        return value.strftime("%d/%m/%Y")
    return str(value).strip()


def _date(value: Any) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = _text(value)
    if not text:
        return None
    match = _DATE_DMY.match(text)
    if match:
        day, month, year = (int(g) for g in match.groups())
    else:
        match = _DATE_ISO.match(text)
        if not match:
            raise CellError(
                _("“%(value)s” is not a date; write it as dd/mm/yyyy, for example 17/05/1985.")
                % {"value": text}
            )
        year, month, day = (int(g) for g in match.groups())
    try:
        return datetime.date(year, month, day)
    except ValueError:
        raise CellError(
            _("%(value)s is not a date of the calendar; check the day and the month (dd/mm/yyyy).")
            % {"value": text}
        ) from None


def _choice_lookup(field_name: str) -> dict[str, str]:
    lookup = {}
    for value, label in Member._meta.get_field(field_name).choices:
        lookup[fold(value)] = value
        lookup[fold(str(label))] = value
        with translation.override("en"):
            lookup[fold(str(label))] = value
        lookup[fold(CHOICE_LABELS_VI[field_name][value])] = value
    return lookup


def choice_label(field_name: str, value: str) -> str:
    return CHOICE_LABELS_VI[field_name].get(value, value)


def _short_list(items: list[str], limit: int = 8) -> str:
    shown = ", ".join(f"“{item}”" for item in items[:limit])
    return shown + (", …" if len(items) > limit else "")


class _OrganisationIndex:
    """Finds an organisation by its code, or by its name without diacritics or case."""

    def __init__(self, organisations):
        self.by_code = {}
        self.by_name = defaultdict(list)
        for org in organisations:
            if org.code:
                self.by_code[fold(org.code)] = org
            self.by_name[fold(org.name)].append(org)

    def find(self, text: str, *, current: Organisation | None, not_found: str) -> Organisation:
        key = fold(text)
        # The member's present organisation is always accepted, even one the importer may no
        # longer add members to, so an untouched row stays unchanged.
        if current is not None and key in {fold(current.code or ""), fold(current.name)}:
            return current
        if key in self.by_code:
            return self.by_code[key]
        found = self.by_name.get(key, [])
        if len(found) == 1:
            return found[0]
        if found:
            raise CellError(
                _(
                    "Several organisations are named “%(name)s”; write the code of the one you "
                    "mean (an administrator sets codes on the organisation's page)."
                )
                % {"name": text}
            )
        raise CellError(not_found % {"name": text})


# --- The import plan ------------------------------------------------------------------------


@dataclass
class RowError:
    row: int
    column: str
    message: str


@dataclass
class PlannedRow:
    row: int
    action: str  # new, update or unchanged
    values: dict[str, Any]
    member: Member | None = None
    changes: list[tuple[str, str, str]] = field(default_factory=list)


@dataclass
class ImportPlan:
    columns: list[Column]
    rows: list[PlannedRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)

    @property
    def error_rows(self) -> int:
        return len({e.row for e in self.errors})

    def summary(self) -> dict:
        """The preview as stored on the MemberImport row (JSON)."""
        return {
            "counts": {
                "new": self.count("new"),
                "updated": self.count("update"),
                "unchanged": self.count("unchanged"),
                "errors": self.error_rows,
            },
            "columns": [c.header for c in self.columns],
            "rows": [
                {
                    "row": r.row,
                    "action": r.action,
                    "card_number": r.values.get("card_number") or r.member.card_number,
                    "full_name": r.values.get("full_name") or r.member.full_name,
                    "changes": [list(change) for change in r.changes],
                }
                for r in self.rows
                if r.action != "unchanged"
            ],
            "errors": [
                {"row": e.row, "column": e.column, "message": e.message}
                for e in self.errors[:_MAX_ERRORS_KEPT]
            ],
            "error_count": len(self.errors),
        }


class ImportHasErrors(ValidationError):
    """The file reads, but some rows are wrong: nothing may be written."""

    def __init__(self, plan: ImportPlan):
        self.plan = plan
        super().__init__(
            _("%(count)d rows of the file have errors; correct them and upload the file again.")
            % {"count": plan.error_rows},
            code="row_errors",
        )


def read_member_file(fileobj, *, user) -> ImportPlan:
    """Checks a member list against the database and says what importing it would change.

    Raises ValidationError when the file as a whole cannot be used; row problems are in the
    returned plan's ``errors``.
    """
    check_archive(fileobj)
    try:
        workbook = openpyxl.load_workbook(fileobj, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a broken part; all mean "damaged"
        raise _damaged() from None
    try:
        columns, raw_rows = _read_sheet(workbook)
    except ValidationError:
        raise
    except Exception:
        raise _damaged() from None
    finally:
        workbook.close()
    return _plan(columns, raw_rows, user=user)


def _match_headers(header_row: tuple) -> list[tuple[int, Column]]:
    known = {fold(c.header): c for c in COLUMNS}
    found: list[tuple[int, Column]] = []
    problems = []
    seen = set()
    for index, value in enumerate(header_row):
        text = _text(value).rstrip("*").strip()
        if not text:
            continue
        column = known.get(fold(text))
        if column is None:
            problems.append(
                _(
                    "The column “%(header)s” is not recognised; rename it to one of the "
                    "template's headers or delete it."
                )
                % {"header": text}
            )
        elif column.field in seen:
            problems.append(
                _("The column “%(header)s” appears twice; keep only one.")
                % {"header": column.header}
            )
        else:
            seen.add(column.field)
            found.append((index, column))
    missing = [c.header for c in COLUMNS if c.required and c.field not in seen]
    if missing:
        problems.append(
            _(
                "The first row must hold the column headers; these required columns are "
                "missing: %(columns)s. Start from the template file."
            )
            % {"columns": _short_list(missing, limit=len(missing))}
        )
    if problems:
        raise ValidationError(problems, code="headers")
    return found


def _read_sheet(workbook) -> tuple[list[Column], list[tuple[int, dict[str, Any]]]]:
    if not workbook.worksheets:
        raise _damaged()
    sheet = workbook.worksheets[0]
    # The declared dimensions are the file's own claim; read what is really there.
    sheet.reset_dimensions()
    header = next(sheet.iter_rows(min_row=1, max_row=1, values_only=True), None)
    if not header or not any(_text(v) for v in header):
        raise ValidationError(
            _("The file is empty; the first row must hold the column headers of the template."),
            code="empty",
        )
    indexed = _match_headers(header)
    width = max(i for i, _c in indexed) + 1
    _max_bytes, max_rows = import_limits()
    rows = []
    for number, values in enumerate(
        sheet.iter_rows(min_row=2, max_col=width, values_only=True), start=2
    ):
        if number > _EXCEL_MAX_ROWS:
            raise _damaged()
        if not any(_text(v) for v in values):
            continue
        if len(rows) >= max_rows:
            raise ValidationError(
                _(
                    "The file has more than %(max)d member rows. Split it into files of at most "
                    "%(max)d rows and import them one by one."
                )
                % {"max": max_rows},
                code="too_many_rows",
            )
        rows.append((number, {c.field: values[i] for i, c in indexed if i < len(values)}))
    if not rows:
        raise ValidationError(
            _("The file has headers but no member rows; fill in one row per member."),
            code="no_rows",
        )
    return [c for _i, c in indexed], rows


def _workplace_index(user) -> _OrganisationIndex:
    candidates = Organisation.objects.filter(
        scope_q(user), kind__in=Organisation.MEMBER_HOME_KINDS, is_active=True
    )
    return _OrganisationIndex(o for o in candidates if can_add_member_to(user, o))


def _existing_members(card_numbers: list[str]) -> dict[str, Member]:
    found = {}
    for start in range(0, len(card_numbers), _LOOKUP_CHUNK):
        chunk = card_numbers[start : start + _LOOKUP_CHUNK]
        for member in Member.objects.filter(card_number__in=chunk).select_related(
            "workplace_org", "residence_commune"
        ):
            found[member.card_number] = member
    return found


def _plan(columns, raw_rows, *, user) -> ImportPlan:
    plan = ImportPlan(columns=columns)
    choices = {name: _choice_lookup(name) for name in CHOICE_LABELS_VI}
    workplaces = _workplace_index(user)
    communes = _OrganisationIndex(commune_choices())
    existing = _existing_members(
        sorted({_text(values.get("card_number")) for _n, values in raw_rows} - {""})
    )
    first_row_of_card: dict[str, int] = {}

    for number, raw in raw_rows:
        errors: list[RowError] = []
        card = _text(raw.get("card_number"))
        member = existing.get(card)

        def fail(column: Column | None, message: str, number=number, errors=errors) -> None:
            errors.append(RowError(number, column.header if column else "", str(message)))

        values: dict[str, Any] = {}
        for column in columns:
            try:
                value = _read_cell(
                    column, raw.get(column.field), member, choices, workplaces, communes
                )
            except CellError as error:
                fail(column, str(error))
                continue
            if column.required and value in ("", None):
                fail(column, _("Fill in “%(column)s”; it is required.") % {"column": column.header})
            elif value is not None or column.kind != "choice":
                # A blank status or category keeps the present one (the default for a new row).
                values[column.field] = value

        if card:
            if card in first_row_of_card:
                fail(
                    COLUMN_BY_FIELD["card_number"],
                    _(
                        "The card number %(card)s is already in row %(row)d; each member may "
                        "appear only once. Delete one of the two rows."
                    )
                    % {"card": card, "row": first_row_of_card[card]},
                )
            else:
                first_row_of_card[card] = number

        if not errors:
            planned = _plan_row(number, member, values, user=user, fail=fail)
            if not errors:
                plan.rows.append(planned)
        plan.errors.extend(errors)
    return plan


def _read_cell(column: Column, raw, member, choices, workplaces, communes):
    if column.kind == "text":
        text = _text(raw)
        model_field = Member._meta.get_field(column.field)
        if model_field.max_length and len(text) > model_field.max_length:
            raise CellError(
                _("Shorten this to at most %(max)d characters (it has %(length)d).")
                % {"max": model_field.max_length, "length": len(text)}
            )
        if text:
            try:
                model_field.run_validators(text)
            except ValidationError as error:
                raise CellError(" ".join(error.messages)) from None
        return text
    if column.kind == "date":
        return _date(raw)
    text = _text(raw)
    if not text:
        return None
    if column.kind == "choice":
        value = choices[column.field].get(fold(text))
        if value is None:
            labels = list(CHOICE_LABELS_VI[column.field].values())
            raise CellError(
                _("“%(value)s” is not an accepted value; write one of: %(choices)s.")
                % {"value": text, "choices": _short_list(labels)}
            )
        return value
    if column.kind == "workplace":
        return workplaces.find(
            text,
            current=member.workplace_org if member else None,
            not_found=_(
                "No Party cell or grassroots organisation named “%(name)s” is within your reach; "
                "write its name as shown on its page, or its code."
            ),
        )
    return communes.find(
        text,
        current=member.residence_commune if member else None,
        not_found=_(
            "No active commune or ward Party committee is named “%(name)s”; write its name as "
            "shown in the list of organisations."
        ),
    )


def _plan_row(number, member, values, *, user, fail) -> PlannedRow:
    if member is None:
        candidate = Member(**values)
        if candidate.category != Member.Category.NORMAL and not candidate.category_since:
            candidate.category_since = timezone.localdate()
    else:
        candidate = copy.copy(member)
        for name, value in values.items():
            setattr(candidate, name, value)
        if candidate.category != member.category and not values.get("category_since"):
            candidate.category_since = timezone.localdate()
    try:
        # The services' own rules, so the preview refuses what applying would refuse.
        services._check_member(candidate)
        # The card's uniqueness is settled by the match above, the organisations were loaded
        # from the database, and the table constraints are the rules checked just above: no
        # query per row is needed.
        candidate.clean_fields(exclude=["user", "workplace_org", "residence_commune"])
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            column = COLUMN_BY_FIELD.get(name)
            for message in messages:
                fail(column, message)
        return PlannedRow(number, "error", values, member)
    if member is None:
        return PlannedRow(number, "new", values)
    changes = [
        (
            COLUMN_BY_FIELD[name].header,
            display_value(name, getattr(member, name)),
            display_value(name, getattr(candidate, name)),
        )
        for name in services.MEMBER_FIELDS
        if getattr(member, name) != getattr(candidate, name)
    ]
    if not changes:
        return PlannedRow(number, "unchanged", values, member)
    refused = services.unrecorded_changes(current=member, candidate=candidate)
    for name, message in refused.items():
        fail(COLUMN_BY_FIELD[name], message)
    if refused:
        return PlannedRow(number, "error", values, member)
    if not can_change_member(user, member):
        fail(
            COLUMN_BY_FIELD["card_number"],
            _(
                "The member with card number %(card)s belongs to an organisation outside your "
                "reach; check the number, or leave this member out of the file."
            )
            % {"card": member.card_number},
        )
        return PlannedRow(number, "error", values, member)
    return PlannedRow(number, "update", values, member, changes)


# --- Writing --------------------------------------------------------------------------------


def display_value(field_name: str, value: Any) -> str:
    """A value as it appears in the file: dates dd/mm/yyyy, choices by Vietnamese label."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, Organisation):
        return value.code or value.name
    if field_name in CHOICE_LABELS_VI:
        return choice_label(field_name, value)
    return str(value)


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
