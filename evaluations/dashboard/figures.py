"""The dashboard's figures, columns, rows and tables; plain data, no query."""

import re
from dataclasses import dataclass, field, fields
from datetime import datetime

from django.utils.translation import gettext_lazy as _

from members.models import Organisation

Side = Organisation.Side

# Rates below these fractions are shown red, then amber.
RED_BELOW = 0.5
AMBER_BELOW = 0.8


def ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def band(value: float | None) -> str:
    """ "bad", "warn" or "ok" for a rate; "" when there is nothing to rate."""
    if value is None:
        return ""
    if value < RED_BELOW:
        return "bad"
    return "warn" if value < AMBER_BELOW else "ok"


@dataclass
class Figures:
    working: int = 0
    referred: int = 0
    received: int = 0
    assigned: int = 0
    presented: int = 0
    on_time: int = 0
    overdue: int = 0
    cells: int = 0
    cells_ok: int = 0
    invited: int = 0
    present: int = 0
    requested: int = 0
    returned: int = 0
    returned_on_time: int = 0
    certified: int = 0
    with_sitting: int = 0
    near_identical: int = 0
    notices: int = 0
    acknowledged: int = 0

    def add(self, values: dict) -> None:
        for name, value in values.items():
            setattr(self, name, getattr(self, name) + (value or 0))

    def __iadd__(self, other: "Figures") -> "Figures":
        self.add({f.name: getattr(other, f.name) for f in fields(self)})
        return self

    def is_empty(self) -> bool:
        return not any(getattr(self, f.name) for f in fields(self))


def rates(figures: Figures, side: str) -> dict[str, float | None]:
    base = figures.working if side == Side.WORKPLACE else figures.referred
    return {
        "presented_rate": ratio(figures.presented, base),
        "cells_rate": ratio(figures.cells_ok, figures.cells),
        "attendance_rate": ratio(figures.present, figures.invited),
        "returned_rate": ratio(figures.returned, figures.requested),
        "acknowledged_rate": ratio(figures.acknowledged, figures.notices),
    }


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    help: str = ""
    rate: bool = False
    # A count that is bad when above zero (overdue, near-identical).
    alarm: bool = False


def _columns(*keys) -> list[Column]:
    return [key if isinstance(key, Column) else COLUMNS[key] for key in keys]


COLUMNS = {
    c.key: c
    for c in [
        Column("working", _("Working"), _("Working members (not exempt from introduction)")),
        Column("referred", _("Referred"), _("With a referral in progress")),
        Column("received", _("Received"), _("Referral received by the commune")),
        Column("assigned", _("Assigned"), _("Assigned to a residence cell")),
        Column("presented", _("Presented"), _("Presented to the residence cell")),
        Column("on_time", _("On time"), _("Presented by the due date")),
        Column("overdue", _("Overdue"), _("Not presented, past the due date"), alarm=True),
        Column("presented_rate", _("Presented %"), _("Presented / working"), rate=True),
        Column("cells", _("Cells"), _("Residence cells")),
        Column("cells_ok", _("Cells at minimum"), _("Cells that held the yearly minimum")),
        Column("cells_rate", _("Cells %"), _("Cells at minimum / cells"), rate=True),
        Column(
            "attendance_rate",
            _("Attendance %"),
            _("Present / invited, confirmed regular meetings"),
            rate=True,
        ),
        Column("requested", _("Comments asked"), _("Comment requests of the year")),
        Column("returned", _("Returned"), _("Comments submitted or certified")),
        Column("returned_on_time", _("Returned on time"), _("Submitted by the due date")),
        Column("certified", _("Certified"), _("Certified by the commune committee")),
        Column("with_sitting", _("With sitting"), _("Backed by a recorded sitting")),
        Column("near_identical", _("Near-identical"), _("Flagged as near-identical"), alarm=True),
        Column("returned_rate", _("Returned %"), _("Returned / asked"), rate=True),
        Column("notices", _("Notices"), _("Change notices of the year")),
        Column("acknowledged", _("Acknowledged"), _("Notices acknowledged")),
        Column("acknowledged_rate", _("Acknowledged %"), _("Acknowledged / notices"), rate=True),
    ]
}
_COMMON_TAIL = (
    "attendance_rate",
    "requested",
    "returned",
    "returned_on_time",
    "certified",
    "with_sitting",
    "near_identical",
    "returned_rate",
    "notices",
    "acknowledged",
    "acknowledged_rate",
)
SIDE_COLUMNS = {
    Side.WORKPLACE: _columns(
        "working",
        "referred",
        "received",
        "assigned",
        "presented",
        "on_time",
        "overdue",
        "presented_rate",
        *_COMMON_TAIL,
    ),
    Side.RESIDENCE: _columns(
        "referred",
        "received",
        "assigned",
        "presented",
        "on_time",
        "overdue",
        Column("presented_rate", _("Presented %"), _("Presented / referred"), rate=True),
        "cells",
        "cells_ok",
        "cells_rate",
        *_COMMON_TAIL,
    ),
}
MAIN_RATE = "presented_rate"


@dataclass
class Row:
    """One child organisation (or, with ``organisation`` None, the parent's own direct rows)."""

    label: str
    side: str
    figures: Figures
    organisation: Organisation | None = None
    direct: bool = False
    values: dict = field(default_factory=dict)

    def __post_init__(self):
        self.values = {f.name: getattr(self.figures, f.name) for f in fields(self.figures)}
        self.values.update(rates(self.figures, self.side))

    @property
    def main_band(self) -> str:
        return band(self.values[MAIN_RATE])

    def cells(self) -> list[dict]:
        return [
            {
                "column": column,
                "value": self.values[column.key],
                "band": band(self.values[column.key]) if column.rate else "",
                "alarm": column.alarm and bool(self.values[column.key]),
            }
            for column in SIDE_COLUMNS[self.side]
        ]


@dataclass
class Table:
    side: str
    rows: list[Row]
    total: Row

    @property
    def columns(self) -> list[Column]:
        return SIDE_COLUMNS[self.side]


@dataclass
class Dashboard:
    organisation: Organisation
    year: int
    tables: list[Table]
    # The figures of the whole subtree, per side present.
    totals: dict[str, Figures]
    # When the figures were counted; stale: a change has overtaken them and they are being
    # counted again in the background (cached.py).
    as_of: datetime | None = None
    stale: bool = False


def natural(label: str) -> tuple:
    """A sort key that puts "Tổ dân phố 2" before "Tổ dân phố 10"."""
    return tuple(
        # isdecimal, not isdigit: "²" is a digit that int() refuses.
        (0, int(part), "") if part.isdecimal() else (1, 0, part)
        for part in re.split(r"(\d+)", label.casefold())
        if part
    )


def sort_rows(rows: list[Row], key: str | None) -> tuple[list[Row], str]:
    """Rows sorted by ``key`` ("-key" descending); rates worst first by default, blanks last."""
    key = key or MAIN_RATE
    name = key.removeprefix("-")
    if name == "name":
        ordered = sorted(rows, key=lambda r: natural(r.label), reverse=key.startswith("-"))
        return ordered, key
    if name not in COLUMNS:
        return sort_rows(rows, None)
    descending = key.startswith("-")
    present = [r for r in rows if r.values.get(name) is not None]
    blank = [r for r in rows if r.values.get(name) is None]
    present.sort(key=lambda r: (r.values[name], natural(r.label)), reverse=descending)
    return present + blank, key


def next_sorts(current: str) -> dict[str, str]:
    """For each column, the ?sort= its heading links to: worst first, then the reverse."""
    links = {}
    for key, column in COLUMNS.items():
        first = f"-{key}" if column.alarm else key
        second = key if column.alarm else f"-{key}"
        links[key] = second if current == first else first
    links["name"] = "-name" if current == "name" else "name"
    return links
