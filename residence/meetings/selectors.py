"""Reads of residence meetings and attendance, scoped to what the user may see.

``attendance_facts`` and ``cell_meeting_counts`` are the public reads other apps call (the
annual comment prints a member's facts): each is one query whatever the number of ids.
"""

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404

from members.models import Member, Organisation
from members.ordering import in_tree_order
from members.scoping import is_site_admin, scope_q
from members.selectors import members_visible_to

from ..models import Referral
from .models import Attendance, Meeting, NonParticipationReport

Side = Organisation.Side

# Referral states in which a member belongs to the cell they were assigned to.
LIVE_ASSIGNED_STATES = (Referral.State.ASSIGNED, Referral.State.REPORTED)

A = Attendance.Status


@dataclass(frozen=True)
class AttendanceFacts:
    """A member's record over the confirmed regular meetings of one year."""

    invited: int = 0
    present: int = 0
    excused: int = 0
    unexcused: int = 0


def meetings_required() -> int:
    return settings.PARTYREG["MEETINGS_PER_YEAR"]


def _year_q(prefix: str, year: int) -> Q:
    # A range rather than __year so the (cell, date) index serves it.
    return Q(
        **{f"{prefix}held_on__gte": date(year, 1, 1), f"{prefix}held_on__lt": date(year + 1, 1, 1)}
    )


def _counted_q(prefix: str, year: int) -> Q:
    """Meetings that count: confirmed meetings of the regular kind held in ``year``."""
    return _year_q(prefix, year) & Q(
        **{f"{prefix}state": Meeting.State.CONFIRMED, f"{prefix}kind": Meeting.Kind.REGULAR}
    )


def attendance_facts(
    *, member_ids, year: int, until: date | None = None
) -> dict[int, AttendanceFacts]:
    """Invited / present / excused / unexcused per member, from the final marks; one query.

    ``until``: only meetings held on or before that day (what a dated document could know).
    """
    ids = set(member_ids)
    facts = dict.fromkeys(ids, AttendanceFacts())
    if not ids:
        return facts
    counted = _counted_q("meeting__", year)
    if until is not None:
        counted &= Q(meeting__held_on__lte=until)
    rows = (
        Attendance.objects.filter(counted, member_id__in=ids)
        .values("member_id")
        .annotate(
            invited=Count("id"),
            present=Count("id", filter=Q(status=A.PRESENT)),
            excused=Count("id", filter=Q(status=A.EXCUSED)),
            unexcused=Count("id", filter=Q(status=A.UNEXCUSED)),
        )
        .order_by()
    )
    for row in rows:
        member_id = row.pop("member_id")
        facts[member_id] = AttendanceFacts(**row)
    return facts


def cell_meeting_counts(*, cell_ids, year: int) -> dict[int, int]:
    """Confirmed regular meetings held by each cell in ``year``; one query."""
    ids = set(cell_ids)
    counts = dict.fromkeys(ids, 0)
    if not ids:
        return counts
    rows = (
        Meeting.objects.filter(_counted_q("", year), residence_cell_id__in=ids)
        .values("residence_cell_id")
        .annotate(held=Count("id"))
        .order_by()
    )
    for row in rows:
        counts[row["residence_cell_id"]] = row["held"]
    return counts


# --- Cells and meetings -------------------------------------------------------------------------


def cells_visible_to(user):
    """Active residence cells in the user's scope, each with the meetings held this year."""
    return Organisation.objects.filter(
        scope_q(user), kind=Organisation.Kind.RESIDENCE_CELL, is_active=True
    ).order_by("path")


def cells_with_counts(user, year: int) -> list[Organisation]:
    """The cells with their meetings of the year, each commune's cells by name (2 before 10);
    all of them, for a list drawn a page at a time (a province has a few thousand)."""
    cells = (
        cells_visible_to(user)
        .select_related("parent")
        .annotate(
            held=Count("meetings", filter=_counted_q("meetings__", year)),
            open=Count(
                "meetings",
                filter=_year_q("meetings__", year) & Q(meetings__state__in=Meeting.OPEN_STATES),
            ),
        )
    )
    return in_tree_order(cells)


def cell_get(user, pk: int) -> Organisation:
    return get_object_or_404(cells_visible_to(user).select_related("parent"), pk=pk)


def meeting_list(cell: Organisation, year: int | None = None):
    """The cell's meetings with their counts per mark, newest first; one query."""
    qs = Meeting.objects.filter(residence_cell=cell)
    if year is not None:
        qs = qs.filter(_year_q("", year))
    return qs.annotate(
        invited=Count("attendances"),
        present=Count("attendances", filter=Q(attendances__status=A.PRESENT)),
        excused=Count("attendances", filter=Q(attendances__status=A.EXCUSED)),
        unexcused=Count("attendances", filter=Q(attendances__status=A.UNEXCUSED)),
    ).order_by("-held_on", "-starts_at", "-id")


def meeting_years(cell: Organisation) -> list[int]:
    return sorted(
        {d.year for d in Meeting.objects.filter(residence_cell=cell).dates("held_on", "year")},
        reverse=True,
    )


def meeting_get(user, pk: int) -> Meeting:
    """The meeting, or 404 to anyone whose roles do not reach its cell."""
    return get_object_or_404(
        Meeting.objects.filter(scope_q(user, "residence_cell")).select_related(
            "residence_cell", "residence_cell__parent", "created_by", "confirmed_by"
        ),
        pk=pk,
    )


def meeting_attendances(meeting: Meeting, *, with_corrections: bool = False) -> list[Attendance]:
    qs = (
        Attendance.objects.filter(meeting=meeting)
        .select_related("member", "member__workplace_org", "recorded_by")
        .order_by("member__search_name", "member_id")
    )
    if with_corrections:
        qs = qs.prefetch_related("corrections__created_by")
    return list(qs)


def count_marks(rows) -> dict[str, int]:
    """How many rows carry each mark, every mark present (zero when none)."""
    counts = dict.fromkeys(Attendance.Status.values, 0)
    for row in rows:
        counts[row.status] += 1
    return counts


def eligible_referrals(cell: Organisation):
    """Live referrals tying a member to the cell, for members who take part (not exempt)."""
    return (
        Referral.objects.filter(
            residence_cell=cell,
            state__in=LIVE_ASSIGNED_STATES,
            exempt_activity=False,
            member__status__in=Member.LIVE_STATUSES,
            member__category=Member.Category.NORMAL,
        )
        .select_related("member")
        .order_by("member__search_name", "member_id")
    )


def uninvited_referrals(meeting: Meeting):
    """Members who became eligible after the meeting was scheduled."""
    return eligible_referrals(meeting.residence_cell).exclude(
        member__in=Attendance.objects.filter(meeting=meeting).values("member_id")
    )


def attendance_get(user, pk: int) -> Attendance:
    """An attendance row of a meeting in the user's scope, or 404."""
    return get_object_or_404(
        Attendance.objects.filter(scope_q(user, "meeting__residence_cell")).select_related(
            "member", "meeting", "meeting__residence_cell"
        ),
        pk=pk,
    )


# --- A member's own invitations and record ------------------------------------------------------


def own_invitations(user):
    """The logged-in member's invitations, newest first."""
    return (
        Attendance.objects.filter(member__user=user, member__user__isnull=False)
        .exclude(meeting__state=Meeting.State.CANCELLED)
        .select_related("meeting", "meeting__residence_cell", "member")
        .order_by("-meeting__held_on", "-meeting__starts_at", "-id")
    )


def own_attendance_get(user, pk: int) -> Attendance:
    return get_object_or_404(own_invitations(user), pk=pk)


def member_for_attendance(user, pk: int) -> Member:
    """A member the user may see, or a member invited by a cell the user reaches; else 404."""
    if is_site_admin(user):
        qs = Member.objects.all()
    else:
        in_cells = Attendance.objects.filter(scope_q(user, "meeting__residence_cell")).values(
            "member_id"
        )
        assigned = Referral.objects.filter(
            scope_q(user, "residence_cell"), state__in=LIVE_ASSIGNED_STATES
        ).values("member_id")
        qs = Member.objects.filter(
            Q(pk__in=members_visible_to(user).values("pk"))
            | Q(pk__in=in_cells)
            | Q(pk__in=assigned)
        )
    return get_object_or_404(qs.select_related("workplace_org"), pk=pk)


def member_year_attendance(member: Member, year: int) -> list[Attendance]:
    """Every invitation of the member in ``year`` (all kinds, cancelled meetings left out)."""
    return list(
        Attendance.objects.filter(_year_q("meeting__", year), member=member)
        .exclude(meeting__state=Meeting.State.CANCELLED)
        .select_related("meeting", "meeting__residence_cell")
        .order_by("-meeting__held_on", "-meeting__starts_at")
    )


def workplace_referrals(user):
    """Live assigned referrals of the members of the user's workplace subtrees, by name."""
    return (
        Referral.objects.filter(scope_q(user, "issuing_org"), state__in=LIVE_ASSIGNED_STATES)
        .select_related("member", "residence_cell", "issuing_org")
        .order_by("member__search_name", "member_id")
    )


def member_cells(member: Member) -> list[Organisation]:
    """The cells the member is tied to: by a live referral, or by an invitation."""
    return in_tree_order(
        Organisation.objects.filter(
            Q(
                assigned_referrals__member=member,
                assigned_referrals__state__in=LIVE_ASSIGNED_STATES,
            )
            | Q(meetings__attendances__member=member),
            kind=Organisation.Kind.RESIDENCE_CELL,
        ).distinct()
    )


# --- Non-participation reports -----------------------------------------------------------------


def _report_side_q(user, side: str) -> Q:
    if side == Side.WORKPLACE:
        return scope_q(user, "workplace_org")
    return scope_q(user, "residence_cell")


def report_list(user, side: str):
    return (
        NonParticipationReport.objects.filter(_report_side_q(user, side))
        .select_related(
            "member", "residence_cell", "workplace_org", "created_by", "acknowledged_by"
        )
        .order_by("-created_at", "-id")
    )


def report_get(user, pk: int) -> NonParticipationReport:
    q = _report_side_q(user, Side.WORKPLACE) | _report_side_q(user, Side.RESIDENCE)
    return get_object_or_404(
        NonParticipationReport.objects.filter(q).select_related(
            "member__residence_commune", "residence_cell", "workplace_org__parent", "created_by"
        ),
        pk=pk,
    )
