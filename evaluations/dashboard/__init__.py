"""The compliance dashboard: the year's figures of Regulation 213 for everything under one
organisation, one row per child organisation, down to the member.

Every figure of every row comes from a fixed number of queries whatever the number of rows:
each query groups its rows by the child whose path prefixes theirs (``Substr(path, 1, n)``
with ``n`` the parent's path length plus one segment), one query per family of figures.

**Workplace side** (supervising, grassroots, cell): figures about the working members whose
workplace organisation lies in the child's subtree.

- *working*: members with a live status (active, disciplined) whose category is not "exempt
  from introduction";
- *referred*: working members with a referral that is not closed and was issued in the year
  or before (``Referral.year <= year``);
- *received*: of those, referrals received by the commune (received, assigned or presented);
- *assigned*: of those, referrals assigned to a residence cell (assigned or presented);
- *presented*: of those, members who presented themselves to the cell (state "reported");
- *presented on time*: presented with ``presented_on <= due_on``;
- *overdue*: still waiting to present (issued, received, assigned) with ``due_on`` before
  today — the referral figures are as of today, whatever the year shown;
- *attendance rate*: present / invited, over the confirmed regular meetings held in the year,
  counting the invitations of the members of the subtree;
- *comments requested*: comment requests of the year's campaigns (withdrawn ones left out)
  whose workplace organisation lies in the subtree; *returned*: submitted or certified;
  *returned on time*: returned with the submission date on or before ``due_on``;
  *certified*: certified by the commune; *backed by a sitting*: returned with a sitting of the
  comment's own cell, of the campaign year, held on or before the day of submission;
  *near-identical*: returned comments flagged as nearly the same as another of their cell;
- *change notices*: notices recorded in the year by a workplace organisation of the subtree;
  *acknowledged*: those the residence side acknowledged.

**Residence side** (commune, residence cell): figures about the referrals addressed to the
child, placed by their residence cell when assigned, else by their commune.

- *referred* (addressed), *received*, *assigned*, *presented*, *on time*, *overdue*: as above,
  over the referrals addressed to a commune of the subtree;
- *cells*: active residence cells of the subtree; *cells meeting the minimum*: those with at
  least ``PARTYREG["MEETINGS_PER_YEAR"]`` confirmed regular meetings in the year;
- *attendance rate*: present / invited over the confirmed regular meetings of the subtree's
  cells in the year;
- comments: requests whose residence cell lies in the subtree, same figures as above;
- change notices: notices of the year addressed to a commune of the subtree.

A supervising committee above both sides (the province) shows both tables. The rates:
*presented* = presented / working (workplace) or presented / referred (residence) — the main
compliance rate, worst first by default; *cells* = cells meeting the minimum / cells;
*attendance*; *returned* = returned / requested; *acknowledged* = acknowledged / notices.
"""

from .figures import (
    COLUMNS,
    MAIN_RATE,
    SIDE_COLUMNS,
    Column,
    Dashboard,
    Figures,
    Row,
    Table,
    band,
    next_sorts,
    rates,
    ratio,
    sort_rows,
)
from .member_level import MEMBER_COLUMNS, MemberRow, member_rows
from .queries import (
    attendance_by_month,
    chart_side,
    dashboard,
    dashboard_refresh,
    dashboards_warm,
    progress_stages,
    residence_figures,
    working_members,
    workplace_figures,
    worst_of,
)
from .scope import (
    breadcrumbs,
    can_view_dashboard,
    dashboard_organisation,
    dashboard_roots,
    default_year,
    is_leaf,
    sides_of,
)

__all__ = [
    "COLUMNS",
    "MAIN_RATE",
    "MEMBER_COLUMNS",
    "SIDE_COLUMNS",
    "Column",
    "Dashboard",
    "Figures",
    "MemberRow",
    "Row",
    "Table",
    "attendance_by_month",
    "band",
    "breadcrumbs",
    "can_view_dashboard",
    "chart_side",
    "dashboard",
    "dashboard_organisation",
    "dashboard_refresh",
    "dashboard_roots",
    "dashboards_warm",
    "default_year",
    "is_leaf",
    "member_rows",
    "next_sorts",
    "progress_stages",
    "ratio",
    "rates",
    "residence_figures",
    "sides_of",
    "sort_rows",
    "workplace_figures",
    "working_members",
    "worst_of",
]
