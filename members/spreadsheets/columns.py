"""The file's columns and their fixed Vietnamese labels, and reading one cell."""

import datetime
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from partyreg.text import fold

from ..models import Member, Organisation


@dataclass(frozen=True)
class Column:
    header: str
    field: str
    kind: str  # text, date, choice, workplace, commune, or code (of the column ``code_of``)
    required: bool = False
    width: int = 16
    code_of: str = ""


COLUMNS = (
    Column("Họ và tên", "full_name", "text", required=True, width=28),
    Column("Giới tính", "gender", "choice", required=True, width=10),
    Column("Ngày sinh", "date_of_birth", "date", required=True, width=12),
    Column("Số thẻ đảng viên", "card_number", "text", required=True),
    Column("Số lý lịch", "profile_number", "text"),
    Column("Ngày vào Đảng", "admitted_on", "date", required=True, width=14),
    Column("Ngày chính thức", "full_member_on", "date", width=14),
    Column("Chi bộ nơi công tác", "workplace_org", "workplace", required=True, width=32),
    # Names are for people; a code names one organisation where two share a name, so the
    # export writes both and the import reads the code first.
    Column(
        "Mã chi bộ nơi công tác", "workplace_org_code", "code", width=18, code_of="workplace_org"
    ),
    Column("Chức vụ", "position", "text", width=20),
    Column("Điện thoại", "phone", "text", width=14),
    Column("Email", "email", "text", width=24),
    Column("Địa chỉ nơi cư trú", "residence_address", "text", width=32),
    Column("Xã/phường nơi cư trú", "residence_commune", "commune", width=28),
    Column(
        "Mã xã/phường nơi cư trú",
        "residence_commune_code",
        "code",
        width=18,
        code_of="residence_commune",
    ),
    Column("Tình trạng", "status", "choice", width=16),
    Column("Diện theo Quy định 213", "category", "choice", width=30),
    Column("Lý do", "category_reason", "text", width=28),
    Column("Từ ngày", "category_since", "date", width=12),
)
COLUMN_BY_FIELD = {c.field: c for c in COLUMNS}
# The code column of each organisation column: {"workplace_org": "workplace_org_code", …}.
CODE_FIELD_OF = {c.code_of: c.field for c in COLUMNS if c.code_of}

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

    def find_code(self, code: str, *, current: Organisation | None) -> Organisation:
        key = fold(code)
        if current is not None and current.code and fold(current.code) == key:
            return current
        if key in self.by_code:
            return self.by_code[key]
        raise CellError(
            _(
                "No organisation within your reach has the code “%(code)s”; copy the code from "
                "an export, or leave the code empty and write the name."
            )
            % {"code": code}
        )

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


def display_value(field_name: str, value: Any) -> str:
    """A value as it appears in the file: dates dd/mm/yyyy, choices by Vietnamese label."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, Organisation):
        return value.name
    if field_name in CHOICE_LABELS_VI:
        return choice_label(field_name, value)
    return str(value)
