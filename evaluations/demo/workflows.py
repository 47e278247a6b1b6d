"""The demo's workflow data: referrals, change notices, meetings, a comment campaign, grades.

``load_workflows()`` runs after ``evaluations.demo.tree.load()`` and acts as the demo logins
would, each step through the real service with the login whose job it is: coquan issues the
referrals, records two changes, opens the campaign and grades; phuong receives, assigns,
acknowledges and certifies; chibo records presentations, meetings, attendance, a sitting,
comments and a non-participation report; dangvien announces an absence. So every row has its
audit entry and every rule of the services holds.

Dates. The services stamp their rows with the real clock and refuse some dates relative to
today: a presentation, a sitting or an attendance record cannot be in the future, a campaign
cannot be for a future year and its deadline cannot be past. So, unlike the members (whose
dates count from ``evaluations.demo.plan.REFERENCE_DATE``), the workflow dates count from
``timezone.localdate()`` on the day the demo is loaded, and work on any day of any year:

- the comment campaign is for today's year, due after the configured number of days;
- the confirmed meeting is the Sunday about eight weeks back, but never before 1 January, so it
  counts in this year's campaign (on 1 January it is today); the scheduled one is two weeks on;
- the comment sitting was yesterday (today on 1 January);
- members present themselves today (a presentation cannot precede the letter, issued today);
- one referral to another commune is overdue: no service dates a letter back, so its issue and
  due dates are moved back by a queryset update with its own audit entry. Not in the first six
  weeks of a year, when the earlier date would fall in the year before the letter's number.

Members are taken in name order and nothing is random, so the same demo loaded on the same day
gives the same rows. ``load_workflows()`` does nothing when coquan's organisation has issued any
referral already (a second run, or someone used the site).
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from evaluations import selectors as evaluation_selectors
from evaluations import services as evaluation_services
from evaluations.demo import workflow_data as data
from evaluations.demo.plan import COQUAN_ORGANISATION
from evaluations.models import Campaign, CommentRequest, Criterion, Grade, SheetForm
from members.models import Member, Organisation, Role
from partyreg.audit import audit_record
from residence import selectors as residence_selectors
from residence import services as residence_services
from residence.meetings import services as meeting_services
from residence.meetings.models import Attendance, Meeting, NonParticipationReport
from residence.models import ChangeNotice, Referral

A = Attendance.Status

# How many of the referrals addressed to phuong's commune stay at each earlier step, so phuong
# and chibo have work waiting; fewer when the commune has few referrals (another --seed).
LEFT_ISSUED = 3
LEFT_RECEIVED = 2
LEFT_ASSIGNED = 2
MEETING_TIME = time(19, 30)
# Criterion 3 (attending the cell's meetings) follows the member's mark at the held meeting.
ATTENDANCE_LEVEL = {A.PRESENT: 0, A.EXCUSED: 1, A.UNEXCUSED: 2}


class WorkflowsUnavailable(Exception):
    """The demo logins or their roles are missing, so nobody can act."""


@dataclass
class WorkflowResult:
    referrals: dict
    notices: int
    notices_open: int
    meetings: int
    reports: int
    requests: dict
    graded: int


@dataclass
class _Cast:
    coquan: object
    phuong: object
    chibo: object
    dangvien: object | None
    workplace: Organisation
    commune: Organisation
    cell: Organisation
    own_member: Member | None


def _cast() -> _Cast:
    users = {
        u.username: u
        for u in get_user_model().objects.filter(
            username__in=["coquan", "phuong", "chibo", "dangvien"]
        )
    }
    roles = {
        r.user.username: r.organisation
        for r in Role.objects.filter(
            user__in=users.values(), kind__in=Role.ACTING_KINDS
        ).select_related("user", "organisation")
    }
    workplace, commune, cell = (roles.get(name) for name in ("coquan", "phuong", "chibo"))
    if (
        workplace is None
        or workplace.name != COQUAN_ORGANISATION
        or commune is None
        or commune.kind != Organisation.Kind.COMMUNE
        or cell is None
        or cell.parent_id != commune.pk
    ):
        raise WorkflowsUnavailable(
            "The demo logins coquan, phuong and chibo must hold their demo roles; load the demo "
            "into an empty database."
        )
    dangvien = users.get("dangvien")
    own_member = Member.objects.filter(user=dangvien).first() if dangvien else None
    return _Cast(
        coquan=users["coquan"],
        phuong=users["phuong"],
        chibo=users["chibo"],
        dangvien=dangvien,
        workplace=workplace,
        commune=commune,
        cell=cell,
        own_member=own_member,
    )


def _workplace_referrals(workplace: Organisation):
    return Referral.objects.filter(issuing_org__path__startswith=workplace.path)


def workflows_loaded() -> bool:
    workplace = Organisation.objects.filter(
        name=COQUAN_ORGANISATION, kind=Organisation.Kind.GRASSROOTS
    ).first()
    return workplace is not None and _workplace_referrals(workplace).exists()


# --- Dates ----------------------------------------------------------------------------------


def _past_meeting_day(today: date) -> date:
    """The Sunday about eight weeks back, in this year (today on 1 January)."""
    day = today - timedelta(days=56)
    day -= timedelta(days=(day.weekday() + 1) % 7)
    return max(day, date(today.year, 1, 1))


def _sitting_day(today: date) -> date:
    return max(today - timedelta(days=1), date(today.year, 1, 1))


# --- Loading --------------------------------------------------------------------------------


@transaction.atomic
def load_workflows() -> WorkflowResult | None:
    """Writes the demo's workflow rows through the services; None when they are there already."""
    if workflows_loaded():
        return None
    cast = _cast()
    today = timezone.localdate()
    placed = _referrals(cast, today)
    _changes(cast, today, placed)
    marks = _meetings(cast, today)
    _campaign(cast, today, marks)
    return workflow_counts(cast.workplace, cast.cell)


def _ordered(referrals, own_member: Member | None) -> list[Referral]:
    """Referrals by the member's name, dangvien's first so it goes through every step."""
    own_id = own_member.pk if own_member else None
    return sorted(referrals, key=lambda r: (r.member_id != own_id, r.member.search_name, r.pk))


def _referrals(cast: _Cast, today: date) -> dict:
    members = Member.objects.filter(
        workplace_org__path__startswith=cast.workplace.path, residence_commune__isnull=False
    ).order_by("search_name", "id")
    issued = residence_services.referral_issue_many(actor=cast.coquan, members=members).issued

    here = _ordered([r for r in issued if r.commune_id == cast.commune.pk], cast.own_member)
    waiting = min(LEFT_ISSUED, len(here) // 6)
    received = residence_services.referral_receive_many(
        actor=cast.phuong, referrals=here[: len(here) - waiting]
    )
    unassigned = min(LEFT_RECEIVED, len(received) // 6)
    to_assign = received[: len(received) - unassigned]

    # Each member goes to the cell the address proposes, as phuong confirms it on the page; the
    # plan gave most of them addresses in chibo's cell.
    cells = residence_selectors.assignable_cells(cast.phuong, cast.commune)
    by_cell: dict[int, list[Referral]] = {cast.cell.pk: []}
    for referral in to_assign:
        proposal = residence_selectors.proposal_for(referral, cells)
        if proposal is not None:
            by_cell.setdefault(proposal.cell.pk, []).append(referral)
    cell_of = {c.pk: c for c in cells}
    assigned = {}
    for cell_pk, referrals in by_cell.items():
        assigned[cell_pk] = residence_services.referral_assign_many(
            actor=cast.phuong, referrals=referrals, residence_cell=cell_of[cell_pk]
        )
    in_cell = assigned[cast.cell.pk]
    left = min(LEFT_ASSIGNED, len(in_cell) // 5)
    for referral in in_cell[: len(in_cell) - left]:
        residence_services.referral_report(actor=cast.chibo, referral=referral, presented_on=today)

    elsewhere = [r for r in issued if r.commune_id != cast.commune.pk]
    if elsewhere:
        _date_back(elsewhere[0], today)
    return {
        "in_cell": in_cell[: len(in_cell) - left],
        "other_cells": [r for pk, rs in assigned.items() if pk != cast.cell.pk for r in rs],
    }


def _date_back(referral: Referral, today: date) -> None:
    """Makes one letter overdue: issued earlier this year, its deadline passed."""
    days = settings.PARTYREG["REFERRAL_REPORT_DAYS"]
    issued_on = today - timedelta(days=days + 12)
    if issued_on.year != today.year:
        return
    due_on = issued_on + timedelta(days=days)
    issued_at = timezone.make_aware(datetime.combine(issued_on, time(9, 0)))
    Referral.objects.filter(pk=referral.pk).update(issued_at=issued_at, due_on=due_on)
    audit_record(
        actor=None,
        action="demo.backdate",
        target=referral,
        subject=referral.member,
        changes={"due_on": [referral.due_on, due_on]},
        note="Demo data: letter dated back so that one referral shows as overdue.",
    )


def _changes(cast: _Cast, today: date, placed: dict) -> None:
    """A member who moved house to another commune, and one who was disciplined."""
    mover = next(iter(placed["other_cells"]), None)
    destination = (
        Organisation.objects.filter(
            parent=cast.commune.parent, kind=Organisation.Kind.COMMUNE, is_active=True
        )
        .exclude(pk=cast.commune.pk)
        .order_by("code", "pk")
        .first()
    )
    new_cell = (
        Organisation.objects.filter(parent=destination, kind=Organisation.Kind.RESIDENCE_CELL)
        .order_by("code", "pk")
        .first()
        if destination
        else None
    )
    if mover is not None and new_cell is not None:
        notice = residence_services.change_record(
            actor=cast.coquan,
            member=mover.member,
            kind=ChangeNotice.Kind.MOVED,
            effective_on=today - timedelta(days=12),
            details=data.MOVE_DETAILS,
            residence_commune=destination,
            residence_address=f"Số 27, {new_cell.areas.order_by('pk').first()}",
        )
        residence_services.change_notice_acknowledge(actor=cast.phuong, notice=notice)

    own_id = cast.own_member.pk if cast.own_member else None
    disciplined = next((r for r in placed["in_cell"] if r.member_id != own_id), None)
    if disciplined is not None:
        residence_services.change_record(
            actor=cast.coquan,
            member=disciplined.member,
            kind=ChangeNotice.Kind.DISCIPLINED,
            effective_on=today - timedelta(days=20),
            details=data.DISCIPLINE_DETAILS.format(workplace=cast.workplace.name),
        )


def _meetings(cast: _Cast, today: date) -> dict[int, str]:
    """One meeting held and confirmed, one to come; returns the marks {member id: status}."""
    place = f"Nhà văn hóa {cast.cell.name.removeprefix('Chi bộ ')}"
    held_on = _past_meeting_day(today)
    past = meeting_services.meeting_schedule(
        actor=cast.chibo,
        residence_cell=cast.cell,
        held_on=held_on,
        starts_at=MEETING_TIME,
        place=place,
        agenda=data.PAST_MEETING_AGENDA,
    )
    rows = list(
        Attendance.objects.filter(meeting=past)
        .select_related("member")
        .order_by("member__search_name", "member_id")
    )
    own_id = cast.own_member.pk if cast.own_member else None
    others = [row for row in rows if row.member_id != own_id]
    absent = others[-3:] if len(others) >= 5 else others[-1:]
    marks = {row.member_id: (A.PRESENT, "") for row in rows}
    for row, reason in zip(absent[:-1], data.EXCUSES, strict=False):
        marks[row.member_id] = (A.EXCUSED, reason)
    if absent:
        marks[absent[-1].member_id] = (A.UNEXCUSED, "")
    if rows:
        meeting_services.attendance_record(actor=cast.chibo, meeting=past, marks=marks)
        meeting_services.meeting_confirm(actor=cast.chibo, meeting=past)
    if absent:
        member = absent[-1].member
        meeting_services.nonparticipation_report(
            actor=cast.chibo,
            member=member,
            residence_cell=cast.cell,
            text=data.NONPARTICIPATION.format(name=member.full_name, day=held_on),
        )

    upcoming = meeting_services.meeting_schedule(
        actor=cast.chibo,
        residence_cell=cast.cell,
        held_on=today + timedelta(days=14),
        starts_at=MEETING_TIME,
        place=place,
        agenda=data.NEXT_MEETING_AGENDA,
    )
    invitation = Attendance.objects.filter(meeting=upcoming, member_id=own_id).first()
    if invitation is not None and cast.dangvien is not None:
        meeting_services.attendance_announce_absence(
            actor=cast.dangvien, attendance=invitation, reason=data.ANNOUNCED_ABSENCE
        )
    return {member_id: status for member_id, (status, _reason) in marks.items()}


def _answers(criteria: dict[int, int], answers: dict, attendance: str | None) -> dict:
    """{criterion id: (level, text)} from {position: (level, text)}; criterion 3 from the mark."""
    by_position = dict(answers)
    if 3 in criteria and 3 not in by_position:
        by_position[3] = (ATTENDANCE_LEVEL.get(attendance, 1), "")
    return {criteria[pos]: value for pos, value in by_position.items() if pos in criteria}


def _campaign(cast: _Cast, today: date, marks: dict[int, str]) -> None:
    """The year's campaign: half of chibo's comments submitted, some certified, two graded."""
    opened = evaluation_services.campaign_open(
        actor=cast.coquan, organisation=cast.workplace, year=today.year
    )
    # A disciplined member's comment is left to do: the demo commends the first ones written.
    requests = sorted(
        (r for r in opened.requests if r.residence_cell_id == cast.cell.pk),
        key=lambda r: (r.member.status != Member.Status.ACTIVE, r.member.search_name, r.pk),
    )
    if not requests:
        return
    criteria = dict(
        Criterion.objects.filter(campaign=opened.campaign, form=SheetForm.NORMAL).values_list(
            "position", "pk"
        )
    )
    sitting = evaluation_services.sitting_record(
        actor=cast.chibo,
        residence_cell=cast.cell,
        held_on=_sitting_day(today),
        cell_committee_attendees="\n".join(
            [data.SECRETARY.format(name=cast.chibo.get_full_name()), *data.CELL_COMMITTEE]
        ),
        front_committee_attendees="\n".join(data.FRONT_COMMITTEE),
        place=f"Nhà văn hóa {cast.cell.name.removeprefix('Chi bộ ')}",
        note=data.SITTING_NOTE.format(year=today.year),
    )
    to_submit = max(2, len(requests) // 2)
    distinct, alike = requests[: to_submit - 2], requests[to_submit - 2 : to_submit]
    grades = {}
    for i, request in enumerate(distinct):
        comment = data.COMMENTS[i % len(data.COMMENTS)]
        evaluation_services.comment_submit(
            actor=cast.chibo,
            request=request,
            answers=_answers(criteria, comment["answers"], marks.get(request.member_id)),
            other_comments=comment["other"],
            sitting=sitting,
        )
        grades[request.pk] = comment["grade"]
    for request, text in zip(alike, data.FORMULAIC, strict=False):
        evaluation_services.comment_submit(
            actor=cast.chibo,
            request=request,
            answers=_answers(
                criteria,
                data.FORMULAIC_LEVELS,
                marks.get(request.member_id),
            ),
            other_comments=text,
            sitting=sitting,
        )
    if to_submit < len(requests):
        evaluation_services.comment_save_draft(
            actor=cast.chibo,
            request=requests[to_submit],
            answers=_answers(criteria, data.DRAFT, None),
            sitting=sitting,
        )
    certified = evaluation_services.comment_certify_many(actor=cast.phuong, requests=distinct)
    for request in certified.certified[:2]:
        level, points = grades[request.pk]
        evaluation_services.grade_record(
            actor=cast.coquan, request=request, level=level, points=points
        )


# --- What was loaded ------------------------------------------------------------------------


def workflow_counts(workplace: Organisation, cell: Organisation) -> WorkflowResult:
    referrals = residence_selectors.referral_counts(_workplace_referrals(workplace))
    notices = ChangeNotice.objects.filter(workplace_org__path__startswith=workplace.path)
    campaign = Campaign.objects.filter(organisation=workplace).order_by("-year").first()
    requests = evaluation_selectors.request_counts(
        CommentRequest.objects.filter(campaign=campaign).exclude(
            state=CommentRequest.State.WITHDRAWN
        )
    )
    return WorkflowResult(
        referrals=referrals,
        notices=notices.count(),
        notices_open=notices.filter(acknowledged_at__isnull=True).count(),
        meetings=Meeting.objects.filter(residence_cell=cell).count(),
        reports=NonParticipationReport.objects.filter(residence_cell=cell).count(),
        requests=requests,
        graded=Grade.objects.filter(request__campaign=campaign).count(),
    )
