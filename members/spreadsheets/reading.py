"""Reading a member list and checking it against the database: the import plan."""

import copy
from dataclasses import dataclass, field
from typing import Any

import openpyxl
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from partyreg.text import fold

from .. import rules
from ..models import Member, Organisation
from ..permissions import can_add_member_to, can_change_member
from ..scoping import scope_q
from ..selectors import commune_choices
from .columns import (
    CHOICE_LABELS_VI,
    CODE_FIELD_OF,
    COLUMN_BY_FIELD,
    COLUMNS,
    CellError,
    Column,
    _choice_lookup,
    _date,
    _OrganisationIndex,
    _short_list,
    _text,
    display_value,
)
from .limits import _damaged, check_archive, import_limits

_MAX_ERRORS_KEPT = 1000
_LOOKUP_CHUNK = 500


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
    missing = [
        c.header
        for c in COLUMNS
        if c.required and c.field not in seen and CODE_FIELD_OF.get(c.field) not in seen
    ]
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
        # Empty rows count: a million of them cost as much to read as members, so reading
        # stops at the limit whatever the rows hold.
        if number - 1 > max_rows:
            raise ValidationError(
                _(
                    "The file has more than %(max)d rows (empty rows count too). Delete the empty "
                    "rows, or split the list into files of at most %(max)d rows and import them "
                    "one by one."
                )
                % {"max": max_rows},
                code="too_many_rows",
            )
        if not any(_text(v) for v in values):
            continue
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
    # An organisation is read from its name column, its code column, or both (the code first).
    present = {c.field for c in columns}
    read_columns = [
        c
        for c in COLUMNS
        if not c.code_of and (c.field in present or CODE_FIELD_OF.get(c.field) in present)
    ]

    for number, raw in raw_rows:
        errors: list[RowError] = []
        card = _text(raw.get("card_number"))
        member = existing.get(card)

        def fail(column: Column | None, message: str, number=number, errors=errors) -> None:
            errors.append(RowError(number, column.header if column else "", str(message)))

        if member is not None and not can_change_member(user, member):
            # Before any other cell is read or compared: whatever the row says, a card outside
            # the importer's reach gets this one answer, which confirms nothing of the member.
            fail(COLUMN_BY_FIELD["card_number"], _out_of_reach(card))
            plan.errors.extend(errors)
            continue

        values: dict[str, Any] = {}
        for column in read_columns:
            try:
                value = _read_cell(column, raw, member, choices, workplaces, communes)
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
            planned = _plan_row(number, member, values, fail=fail)
            if not errors:
                plan.rows.append(planned)
        plan.errors.extend(errors)
    return plan


def _read_cell(column: Column, row: dict, member, choices, workplaces, communes):
    raw = row.get(column.field)
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
    if column.kind in ("workplace", "commune"):
        return _read_organisation(column, row, member, workplaces, communes)
    text = _text(raw)
    if not text:
        return None
    value = choices[column.field].get(fold(text))
    if value is None:
        labels = list(CHOICE_LABELS_VI[column.field].values())
        raise CellError(
            _("“%(value)s” is not an accepted value; write one of: %(choices)s.")
            % {"value": text, "choices": _short_list(labels)}
        )
    return value


def _read_organisation(column: Column, row: dict, member, workplaces, communes):
    current = getattr(member, column.field) if member else None
    index = workplaces if column.kind == "workplace" else communes
    code = _text(row.get(CODE_FIELD_OF[column.field]))
    if code:
        return index.find_code(code, current=current)
    text = _text(row.get(column.field))
    if not text:
        return None
    if column.kind == "workplace":
        return workplaces.find(
            text,
            current=current,
            not_found=_(
                "No Party cell or grassroots organisation named “%(name)s” is within your reach; "
                "write its name as shown on its page, or its code."
            ),
        )
    return communes.find(
        text,
        current=current,
        not_found=_(
            "No active commune or ward Party committee is named “%(name)s”; write its name as "
            "shown in the list of organisations."
        ),
    )


def _plan_row(number, member, values, *, fail) -> PlannedRow:
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
        rules.member_check(candidate)
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
        for name in rules.MEMBER_FIELDS
        if getattr(member, name) != getattr(candidate, name)
    ]
    if not changes:
        return PlannedRow(number, "unchanged", values, member)
    refused = rules.unrecorded_changes(current=member, candidate=candidate)
    for name, message in refused.items():
        fail(COLUMN_BY_FIELD[name], message)
    if refused:
        return PlannedRow(number, "error", values, member)
    return PlannedRow(number, "update", values, member, changes)


def _out_of_reach(card: str) -> str:
    return _(
        "The member with card number %(card)s belongs to an organisation outside your "
        "reach; check the number, or leave this member out of the file."
    ) % {"card": card}
