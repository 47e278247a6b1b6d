"""Who may act on residence meetings, attendance and non-participation reports."""

from members.models import Member, Organisation, Role
from members.scoping import in_scope

from .models import Attendance, Meeting, NonParticipationReport


def can_manage_meetings(user, cell: Organisation) -> bool:
    """The cell's secretary or officer, or a committee above it (the commune)."""
    return (
        user.is_authenticated
        and cell.kind == Organisation.Kind.RESIDENCE_CELL
        and in_scope(user, cell, Role.ACTING_KINDS)
    )


def can_manage_meeting(user, meeting: Meeting) -> bool:
    return can_manage_meetings(user, meeting.residence_cell)


def can_announce_absence(user, attendance: Attendance) -> bool:
    """Only the invited member themself."""
    return user.is_authenticated and attendance.member.user_id == user.pk


def can_report_nonparticipation(user, cell: Organisation) -> bool:
    return can_manage_meetings(user, cell)


def can_acknowledge_report(user, report: NonParticipationReport) -> bool:
    """The member's workplace committee (the organisation reported to, or above it)."""
    return user.is_authenticated and in_scope(user, report.workplace_org, Role.ACTING_KINDS)


def can_view_attendance_of(user, member: Member, cells=()) -> bool:
    """The member, their workplace side, and the residence cells they are invited by."""
    if not user.is_authenticated:
        return False
    return (
        member.user_id == user.pk
        or in_scope(user, member.workplace_org)
        or any(in_scope(user, cell) for cell in cells)
    )
