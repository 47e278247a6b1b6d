"""Which residence cell a member lives in, read from their address and the areas (tổ dân phố,
khu phố, thôn) the commune says each of its cells covers."""

import re
from collections.abc import Iterable
from dataclasses import dataclass

from partyreg.text import fold

from .models import Organisation, ResidenceArea


@dataclass(frozen=True)
class Proposal:
    cell: Organisation
    area: ResidenceArea


def names_area(address: str, area_name: str) -> bool:
    """The address names the area as a whole: accents and case aside, and never a part of a
    longer word or number ("Tổ dân phố 4" is not in "tổ dân phố 14", nor in "tổ dân phố 4A")."""
    area = fold(area_name)
    if not area:
        return False
    return re.search(rf"(?<!\w){re.escape(area)}(?!\w)", fold(address)) is not None


def cell_proposal(address: str, cells: Iterable[Organisation]) -> Proposal | None:
    """The cell one of whose areas the address names (``cells`` with their ``areas``
    prefetched). The longest name named wins ("Thôn Tân An" over "An"); None when no area is
    named, or when two cells' areas are named equally well and only a person can choose."""
    best: list[Proposal] = []
    for cell in cells:
        for area in cell.areas.all():
            if not names_area(address, area.search_name):
                continue
            if not best or len(area.search_name) > len(best[0].area.search_name):
                best = [Proposal(cell, area)]
            elif len(area.search_name) == len(best[0].area.search_name):
                best.append(Proposal(cell, area))
    if len({p.cell.pk for p in best}) != 1:
        return None
    return best[0]
