"""The figures of every row of a dashboard, a fixed number of queries whatever the rows."""

import functools
from datetime import date, datetime

from django.db.models import Count, F, FilteredRelation, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, ExtractMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.models import PATH_SEGMENT_WIDTH, Member, Organisation
from members.ordering import by_name
from residence.meetings.models import Attendance, Meeting
from residence.meetings.selectors import meetings_required
from residence.models import ChangeNotice, Referral

from ..models import CommentRequest
from . import cached
from .figures import MAIN_RATE, Dashboard, Figures, Row, Table, sort_rows
from .scope import sides_of

Side = Organisation.Side

SEGMENT = PATH_SEGMENT_WIDTH + 1

R = Referral.State
C = CommentRequest.State
AWAITING = list(Referral.AWAITING_STATES)
RECEIVED_STATES = [R.RECEIVED, R.ASSIGNED, R.REPORTED]
ASSIGNED_STATES = [R.ASSIGNED, R.REPORTED]
RETURNED_STATES = [C.SUBMITTED, C.CERTIFIED]


def year_bounds(year: int) -> tuple[datetime, datetime]:
    return (
        timezone.make_aware(datetime(year, 1, 1)),
        timezone.make_aware(datetime(year + 1, 1, 1)),
    )


def _counted_meetings_q(prefix: str, year: int) -> Q:
    return Q(
        **{
            f"{prefix}held_on__gte": date(year, 1, 1),
            f"{prefix}held_on__lt": date(year + 1, 1, 1),
            f"{prefix}state": Meeting.State.CONFIRMED,
            f"{prefix}kind": Meeting.Kind.REGULAR,
        }
    )


class Groups:
    """Counts grouped by organisation id in SQL, folded here into the child rows.

    Each query groups its rows by the organisation they belong to (a member's workplace, a
    referral's cell or commune): no join to the organisation table, no string work per row.
    One query reads the subtree's ids and paths; an organisation's row is the child whose path
    prefixes its own (``path[:length]``), or the parent's own path for rows at the parent.
    """

    def __init__(self, organisation: Organisation):
        self.length = len(organisation.path) + SEGMENT
        self.subtree = Organisation.objects.filter(path__startswith=organisation.path).values("id")
        self.prefix_of = {
            pk: path[: self.length]
            for pk, path in Organisation.objects.filter(
                path__startswith=organisation.path
            ).values_list("id", "path")
        }

    def count(self, queryset, key, **aggregates) -> dict[str, Figures]:
        """``{child path prefix: Figures}`` from one query grouped by the organisation ``key``."""
        groups: dict[str, Figures] = {}
        rows = queryset.values(_org=key).annotate(**aggregates).order_by()
        for row in rows:
            prefix = self.prefix_of.get(row.pop("_org"))
            if prefix is not None:
                groups.setdefault(prefix, Figures()).add(row)
        return groups


def _referral_aggregates(prefix: str = "") -> dict:
    today = timezone.localdate()
    return {
        "referred": Count(f"{prefix}id"),
        "received": Count(f"{prefix}id", filter=Q(**{f"{prefix}state__in": RECEIVED_STATES})),
        "assigned": Count(f"{prefix}id", filter=Q(**{f"{prefix}state__in": ASSIGNED_STATES})),
        "presented": Count(f"{prefix}id", filter=Q(**{f"{prefix}state": R.REPORTED})),
        "on_time": Count(
            f"{prefix}id",
            filter=Q(
                **{f"{prefix}state": R.REPORTED, f"{prefix}presented_on__lte": F(f"{prefix}due_on")}
            ),
        ),
        "overdue": Count(
            f"{prefix}id",
            filter=Q(**{f"{prefix}state__in": AWAITING, f"{prefix}due_on__lt": today}),
        ),
    }


def _comment_aggregates() -> dict:
    returned = Q(state__in=RETURNED_STATES)
    return {
        "requested": Count("id"),
        "returned": Count("id", filter=returned),
        "returned_on_time": Count("id", filter=returned & Q(submitted_at__date__lte=F("due_on"))),
        "certified": Count("id", filter=Q(state=C.CERTIFIED)),
        "with_sitting": Count(
            "id",
            filter=returned
            & Q(
                sitting__residence_cell_id=F("residence_cell_id"),
                sitting__year=F("campaign__year"),
                sitting__held_on__lte=F("submitted_at__date"),
            ),
        ),
        "near_identical": Count("id", filter=returned & Q(similar_to__isnull=False)),
    }


def _attendance_aggregates() -> dict:
    return {
        "invited": Count("id"),
        "present": Count("id", filter=Q(status=Attendance.Status.PRESENT)),
    }


def _notice_aggregates() -> dict:
    return {
        "notices": Count("id"),
        "acknowledged": Count("id", filter=Q(acknowledged_at__isnull=False)),
    }


def live_referral(year: int) -> FilteredRelation:
    return FilteredRelation(
        "referrals", condition=Q(referrals__year__lte=year) & ~Q(referrals__state=R.CLOSED)
    )


def _working():
    """Working members: a live status, not exempt from introduction."""
    return Member.objects.filter(status__in=Member.LIVE_STATUSES).exclude(
        category=Member.Category.EXEMPT_INTRODUCTION
    )


def working_members(organisation: Organisation):
    return _working().filter(workplace_org__path__startswith=organisation.path)


def workplace_figures(groups: Groups, year: int) -> dict[str, Figures]:
    """The workplace side's figures per child path prefix; four queries."""
    start, end = year_bounds(year)
    subtree = groups.subtree
    found: dict[str, Figures] = {}
    for counted in (
        groups.count(
            _working().filter(workplace_org_id__in=subtree).annotate(live=live_referral(year)),
            F("workplace_org_id"),
            working=Count("id"),
            **_referral_aggregates("live__"),
        ),
        groups.count(
            Attendance.objects.filter(
                _counted_meetings_q("meeting__", year), member__workplace_org_id__in=subtree
            ),
            F("member__workplace_org_id"),
            **_attendance_aggregates(),
        ),
        groups.count(
            CommentRequest.objects.filter(
                campaign__year=year, workplace_org_id__in=subtree
            ).exclude(state=C.WITHDRAWN),
            F("workplace_org_id"),
            **_comment_aggregates(),
        ),
        groups.count(
            ChangeNotice.objects.filter(
                workplace_org_id__in=subtree, created_at__gte=start, created_at__lt=end
            ),
            F("workplace_org_id"),
            **_notice_aggregates(),
        ),
    ):
        _merge(found, counted)
    return found


# A referral or notice counts at its residence cell once assigned, else at its commune.
RESIDENCE_ORG = Coalesce("residence_cell_id", "commune_id")


def residence_figures(groups: Groups, year: int) -> dict[str, Figures]:
    """The residence side's figures per child path prefix; five queries."""
    start, end = year_bounds(year)
    subtree = groups.subtree
    held = (
        Meeting.objects.filter(_counted_meetings_q("", year), residence_cell=OuterRef("pk"))
        .order_by()
        .values("residence_cell")
        .annotate(n=Count("id"))
        .values("n")
    )
    found: dict[str, Figures] = {}
    for counted in (
        groups.count(
            Referral.objects.filter(commune_id__in=subtree, year__lte=year).exclude(state=R.CLOSED),
            RESIDENCE_ORG,
            **_referral_aggregates(),
        ),
        groups.count(
            Organisation.objects.filter(
                id__in=subtree, kind=Organisation.Kind.RESIDENCE_CELL, is_active=True
            ).annotate(held=Coalesce(Subquery(held), 0)),
            F("id"),
            cells=Count("id"),
            cells_ok=Count("id", filter=Q(held__gte=meetings_required())),
        ),
        groups.count(
            Attendance.objects.filter(
                _counted_meetings_q("meeting__", year), meeting__residence_cell_id__in=subtree
            ),
            F("meeting__residence_cell_id"),
            **_attendance_aggregates(),
        ),
        groups.count(
            CommentRequest.objects.filter(
                campaign__year=year, residence_cell_id__in=subtree
            ).exclude(state=C.WITHDRAWN),
            F("residence_cell_id"),
            **_comment_aggregates(),
        ),
        groups.count(
            ChangeNotice.objects.filter(
                commune_id__in=subtree, created_at__gte=start, created_at__lt=end
            ),
            RESIDENCE_ORG,
            **_notice_aggregates(),
        ),
    ):
        _merge(found, counted)
    return found


def _merge(into: dict[str, Figures], counted: dict[str, Figures]) -> None:
    for prefix, figures in counted.items():
        if prefix in into:
            into[prefix] += figures
        else:
            into[prefix] = figures


def _side_of_child(child: Organisation) -> str:
    return Side.RESIDENCE if child.kind in Organisation.RESIDENCE_KINDS else Side.WORKPLACE


def dashboard(organisation: Organisation, year: int, *, live: bool = False) -> Dashboard:
    """Every row of the organisation's dashboard: two queries when its figures are in the
    cache (the stamp, the children), twelve at most otherwise, whatever the rows.

    After a change, a slow organisation's previous figures may be served, marked stale
    (cached.py); ``live`` counts them now, for the documents that must be exact."""
    version = cached.stamp()
    subtree = functools.cache(lambda: Groups(organisation))
    children = by_name(organisation.children.order_by("pk"))
    by_path = {child.path: child for child in children}
    tables, totals, counts = [], {}, []
    compute = {
        Side.WORKPLACE: workplace_figures,
        Side.RESIDENCE: residence_figures,
    }
    for side in sides_of(organisation):
        counted = cached.remembered(
            side,
            organisation,
            year,
            lambda side=side: compute[side](subtree(), year),
            version=version,
            live=live,
        )
        counts.append(counted)
        groups = counted.value
        total = Figures()
        for figures in groups.values():
            total += figures
        totals[side] = total
        rows = []
        for child in children:
            figures = groups.get(child.path, Figures())
            # A supervising child shows on the side it has figures for (or where it belongs).
            belongs = _side_of_child(child) == side
            if not child.is_active and figures.is_empty():
                continue
            if child.kind == Organisation.Kind.SUPERVISING and side == Side.RESIDENCE:
                belongs = not figures.is_empty()
            elif child.kind == Organisation.Kind.SUPERVISING and side == Side.WORKPLACE:
                belongs = True
            if belongs or not figures.is_empty():
                rows.append(Row(label=child.name, side=side, figures=figures, organisation=child))
        direct = Figures()
        for prefix, figures in groups.items():
            if prefix not in by_path:
                direct += figures
        if not direct.is_empty():
            rows.append(
                Row(
                    label=str(_("Directly at %(org)s") % {"org": organisation.name}),
                    side=side,
                    figures=direct,
                    direct=True,
                )
            )
        if rows or side == sides_of(organisation)[0]:
            total_row = Row(label=str(_("Total")), side=side, figures=total)
            tables.append(Table(side=side, rows=rows, total=total_row))
    return Dashboard(
        organisation=organisation,
        year=year,
        tables=tables,
        totals=totals,
        # The oldest of the sides: what the page may claim for all its figures.
        as_of=min(c.as_of for c in counts),
        stale=any(c.stale for c in counts),
    )


def progress_stages(figures: Figures, side: str) -> list[tuple[str, int, int]]:
    """(label, count, base) for each step of the year, for the campaign progress chart."""
    base = figures.working if side == Side.WORKPLACE else figures.referred
    stages = []
    if side == Side.WORKPLACE:
        stages.append((str(_("Working members")), figures.working))
    stages += [
        (str(_("Referred")), figures.referred),
        (str(_("Received")), figures.received),
        (str(_("Assigned to a cell")), figures.assigned),
        (str(_("Presented")), figures.presented),
        (str(_("Comment asked")), figures.requested),
        (str(_("Comment returned")), figures.returned),
        (str(_("Certified")), figures.certified),
    ]
    return [(label, count, base) for label, count in stages]


def attendance_by_month(
    organisation: Organisation, year: int, side: str, *, live: bool = False
) -> list[tuple]:
    """(month, invited, present) for the 12 months of the year; two queries, one if cached."""
    subtree = Organisation.objects.filter(path__startswith=organisation.path).values("id")
    if side == Side.RESIDENCE:
        scope = Q(meeting__residence_cell_id__in=subtree)
    else:
        scope = Q(member__workplace_org_id__in=subtree)

    def count() -> dict[int, dict]:
        return {
            row["month"]: row
            for row in Attendance.objects.filter(scope, _counted_meetings_q("meeting__", year))
            .annotate(month=ExtractMonth("meeting__held_on"))
            .values("month")
            .annotate(**_attendance_aggregates())
            .order_by()
        }

    rows = cached.remembered(
        f"months-{side}", organisation, year, count, version=cached.stamp(), live=live
    ).value
    return [
        (m, rows.get(m, {}).get("invited", 0), rows.get(m, {}).get("present", 0))
        for m in range(1, 13)
    ]


def chart_side(organisation: Organisation) -> str:
    """Residence organisations chart their cells' meetings; the others, their members'."""
    return Side.RESIDENCE if organisation.kind in Organisation.RESIDENCE_KINDS else Side.WORKPLACE


def worst_of(board: Dashboard, limit: int = 3) -> list[Row]:
    """The rows with the lowest main rate, for the home page of supervising staff."""
    rows = [r for t in board.tables for r in t.rows if r.organisation is not None]
    ordered, _key = sort_rows(rows, MAIN_RATE)
    return [r for r in ordered if r.values[MAIN_RATE] is not None][:limit]


def dashboard_refresh(organisation_id: int, year: int) -> bool:
    """Counts the organisation's dashboard (its tables and its months chart) afresh and keeps
    it, unless what is kept is already current; for the background refresh and the beat
    warm-up. True when it counted."""
    try:
        organisation = Organisation.objects.filter(pk=organisation_id, is_active=True).first()
        if organisation is None:
            return False
        version = cached.stamp()
        side = chart_side(organisation)
        names = [*sides_of(organisation), f"months-{side}"]
        if all(cached.is_current(n, organisation, year, version=version) for n in names):
            return False
        dashboard(organisation, year, live=True)
        attendance_by_month(organisation, year, side, live=True)
        return True
    finally:
        cached.refresh_done(organisation_id, year)


def dashboards_warm(year: int | None = None) -> list[int]:
    """Counts the dashboards of the top supervising organisations whose kept figures are out
    of date (beat, every ten minutes): their viewers, the first of the day or the first after
    the cache was emptied included, see figures counted moments ago rather than wait for them
    to be counted. The ids counted."""
    year = year or timezone.localdate().year
    roots = Organisation.objects.filter(
        parent__isnull=True, is_active=True, kind=Organisation.Kind.SUPERVISING
    ).order_by("pk")
    return [pk for pk in roots.values_list("pk", flat=True) if dashboard_refresh(pk, year)]
