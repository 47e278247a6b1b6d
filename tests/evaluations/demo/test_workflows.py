"""The demo's workflow data (evaluations.demo.workflows): every workflow in a state worth showing.

The bloc demo and its workflows take about 5 s to load on SQLite, so they are loaded once for
the module, inside a transaction rolled back at its end, on a fixed day (22 November 2026);
each test runs in a savepoint of its own. The counts asserted exactly follow from the default
seed; the others only say "some".
"""

from datetime import date, datetime
from io import StringIO
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import translation

from evaluations import selectors as evaluation_selectors
from evaluations.demo import workflows as workflow_demo
from evaluations.demo.plan import COQUAN_ORGANISATION
from evaluations.models import Campaign, CommentRequest, CriterionAnswer, Grade, Sitting
from members.areas import names_area
from members.models import Member, Organisation, Role
from partyreg.models import AuditEntry
from residence import selectors as residence_selectors
from residence.meetings import selectors as meeting_selectors
from residence.meetings.models import Attendance, Meeting, NonParticipationReport
from residence.models import ChangeNotice, Referral

TODAY = date(2026, 11, 22)
S = Referral.State
A = Attendance.Status
R = CommentRequest.State


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    moment = datetime(2026, 11, 22, 9, 30, tzinfo=ZoneInfo(settings.TIME_ZONE))
    with (
        time_machine.travel(moment, tick=True),
        translation.override("en"),
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        out = StringIO()
        call_command("load_demo", stdout=out)
        users = {u.username: u for u in get_user_model().objects.all()}
        role_org = {
            r.user.username: r.organisation
            for r in Role.objects.select_related("user", "organisation")
        }
        yield SimpleNamespace(
            output=out.getvalue(),
            users=users,
            workplace=role_org["coquan"],
            commune=role_org["phuong"],
            cell=role_org["chibo"],
            own=users["dangvien"].member,
        )
        transaction.set_rollback(True)


def _referrals(demo):
    return Referral.objects.filter(issuing_org__path__startswith=demo.workplace.path)


def _states(queryset) -> dict:
    return residence_selectors.referral_counts(queryset)


def test_referrals_stand_at_every_step(demo, db):
    assert demo.workplace.name == COQUAN_ORGANISATION
    referrals = _referrals(demo)
    members = Member.objects.filter(workplace_org__path__startswith=demo.workplace.path)
    # One letter per member, and one more for the member who moved house.
    assert referrals.count() == members.count() + 1
    here = _states(referrals.filter(commune=demo.commune))
    assert here[S.ISSUED] == 3 and here[S.RECEIVED] == 2
    assert here[S.ASSIGNED] > 0 and here[S.REPORTED] > 0 and here[S.CLOSED] == 1
    in_cell = _states(referrals.filter(residence_cell=demo.cell))
    assert in_cell[S.REPORTED] > in_cell[S.ASSIGNED] > 0
    assert in_cell[S.REPORTED] + in_cell[S.ASSIGNED] > here[S.ASSIGNED] + here[S.REPORTED] / 2
    assert (
        referrals.filter(commune=demo.commune, state=S.ASSIGNED)
        .exclude(residence_cell=demo.cell)
        .exists()
    )
    elsewhere = referrals.exclude(commune=demo.commune)
    assert _states(elsewhere)[S.ISSUED] == elsewhere.count() > 10
    [overdue] = referrals.filter(residence_selectors.overdue_q())
    assert overdue.commune != demo.commune and overdue.state == S.ISSUED
    assert overdue.due_on < TODAY and overdue.issued_at.date() < overdue.due_on
    assert AuditEntry.objects.filter(action="demo.backdate", target_id=str(overdue.pk)).exists()
    # Written by the services, as the logins: one audit entry per step.
    assert AuditEntry.objects.filter(action="referral.issue").count() == referrals.count()
    assert set(referrals.values_list("issued_by__username", flat=True)) == {"coquan"}
    assert set(
        referrals.filter(state__in=[S.ASSIGNED, S.REPORTED]).values_list(
            "assigned_by__username", flat=True
        )
    ) == {"phuong"}
    assert set(
        referrals.filter(state=S.REPORTED).values_list("reported_by__username", flat=True)
    ) == {"chibo"}


def test_every_member_assigned_to_a_cell_lives_in_one_of_its_areas(demo, db):
    placed = (
        Referral.objects.filter(state__in=[S.ASSIGNED, S.REPORTED])
        .select_related("member", "residence_cell")
        .prefetch_related("residence_cell__areas")
    )
    cells = {r.residence_cell for r in placed}
    assert len(placed) >= 10 and len(cells) > 1
    for referral in placed:
        areas = [a.name for a in referral.residence_cell.areas.all()]
        address = referral.member.residence_address
        assert any(names_area(address, area) for area in areas), (address, areas)
    # The printed sheets name the cell the referral chose.
    requests = CommentRequest.objects.filter(residence_cell__isnull=False).select_related(
        "member", "residence_cell"
    )
    for request in requests.prefetch_related("residence_cell__areas"):
        areas = [a.name for a in request.residence_cell.areas.all()]
        assert any(names_area(request.member.residence_address, a) for a in areas)


def test_dangvien_went_through_every_step(demo, db):
    [referral] = Referral.objects.filter(member=demo.own)
    assert referral.state == S.REPORTED and referral.residence_cell == demo.cell
    assert referral.presented_on == TODAY


def test_a_confirmed_meeting_and_one_to_come(demo, db):
    past, upcoming = Meeting.objects.filter(residence_cell=demo.cell).order_by("held_on")
    assert past.state == Meeting.State.CONFIRMED and past.held_on == date(2026, 9, 27)
    marks = meeting_selectors.count_marks(past.attendances.all())
    assert marks[A.EXCUSED] == 2 and marks[A.UNEXCUSED] == 1
    assert marks[A.PRESENT] == past.attendances.count() - 3 > 3
    assert all(a.reason for a in past.attendances.filter(status=A.EXCUSED))
    assert past.attendances.get(member=demo.own).status == A.PRESENT
    assert AuditEntry.objects.filter(action="meeting.confirm", target_id=str(past.pk)).exists()

    assert upcoming.state == Meeting.State.SCHEDULED and upcoming.held_on > TODAY
    own = upcoming.attendances.get(member=demo.own)
    assert own.status == A.WILL_BE_ABSENT and own.absence_notice
    others = upcoming.attendances.exclude(member=demo.own)
    assert others.exists() and set(others.values_list("status", flat=True)) == {A.INVITED}


def test_change_notices_and_the_nonparticipation_report(demo, db):
    moved = ChangeNotice.objects.get(kind=ChangeNotice.Kind.MOVED)
    assert moved.commune == demo.commune and moved.acknowledged_by == demo.users["phuong"]
    assert moved.old_referral.state == S.CLOSED
    assert moved.old_referral.close_reason == Referral.CloseReason.MOVED
    assert moved.new_referral.state == S.ISSUED and moved.new_referral.commune != demo.commune
    assert moved.member.residence_commune == moved.new_referral.commune

    disciplined = ChangeNotice.objects.get(kind=ChangeNotice.Kind.DISCIPLINED)
    assert disciplined.acknowledged_at is None
    assert disciplined.commune == demo.commune and disciplined.residence_cell == demo.cell
    assert disciplined.member.status == Member.Status.DISCIPLINED
    assert ChangeNotice.objects.count() == 2

    [report] = NonParticipationReport.objects.all()
    assert report.acknowledged_at is None and report.meetings_missed == 1
    assert report.residence_cell == demo.cell
    assert report.workplace_org.is_within(demo.workplace)
    past = Meeting.objects.get(state=Meeting.State.CONFIRMED)
    assert past.attendances.get(member=report.member).status == A.UNEXCUSED


def test_the_years_campaign(demo, db):
    [campaign] = Campaign.objects.all()
    assert campaign.organisation == demo.workplace and campaign.year == TODAY.year
    assert campaign.opened_by == demo.users["coquan"]
    requests = CommentRequest.objects.filter(campaign=campaign)
    cell_requests = requests.filter(residence_cell=demo.cell)
    counts = evaluation_selectors.request_counts(cell_requests)
    done = counts[R.SUBMITTED] + counts[R.CERTIFIED]
    assert counts[R.REQUESTED] > 0 and 0.4 <= done / counts["total"] <= 0.6
    assert counts[R.CERTIFIED] >= 2 and counts[R.SUBMITTED] >= 2
    assert requests.exclude(residence_cell=demo.cell).filter(state=R.REQUESTED).exists()

    # The two formulaic comments flag each other; nothing else is flagged.
    flagged = list(requests.filter(similar_to__isnull=False))
    assert len(flagged) == 2 and {r.similar_to_id for r in flagged} == {r.pk for r in flagged}
    assert all(r.state == R.SUBMITTED and r.similarity >= 0.9 for r in flagged)
    certified = requests.filter(state=R.CERTIFIED)
    assert set(certified.values_list("certified_by__username", flat=True)) == {"phuong"}
    texts = {r.other_comments for r in requests.filter(state__in=[R.SUBMITTED, R.CERTIFIED])}
    assert len(texts) == done

    [sitting] = Sitting.objects.filter(residence_cell=demo.cell)
    assert sitting.year == TODAY.year and sitting.held_on <= TODAY
    assert len(sitting.cell_committee_attendees.splitlines()) >= 2
    assert len(sitting.front_committee_attendees.splitlines()) >= 2
    submitted = cell_requests.filter(state__in=[R.SUBMITTED, R.CERTIFIED])
    assert all(r.sitting == sitting and r.meetings_invited == 1 for r in submitted)
    # A draft kept for later, and comments on a disciplined member are left to do.
    assert CriterionAnswer.objects.filter(request__state=R.REQUESTED).exists()
    assert not submitted.filter(member__status=Member.Status.DISCIPLINED).exists()

    grades = list(Grade.objects.filter(year=TODAY.year).select_related("request"))
    assert len(grades) == 2
    for grade in grades:
        assert grade.request.state == R.CERTIFIED and grade.recorded_by == demo.users["coquan"]
        assert Grade.level_for(grade.points) == grade.level


def test_each_login_has_something_in_its_lists(demo, db):
    users, year = demo.users, TODAY.year
    coquan, phuong, chibo, dangvien = (users[n] for n in ("coquan", "phuong", "chibo", "dangvien"))
    W, RES = Organisation.Side.WORKPLACE, Organisation.Side.RESIDENCE
    campaign = Campaign.objects.get()

    assert residence_selectors.referral_list(coquan, W).count() == _referrals(demo).count()
    assert residence_selectors.notice_list(coquan, W).count() == 2
    assert meeting_selectors.report_list(coquan, W).filter(acknowledged_at__isnull=True).exists()
    assert list(evaluation_selectors.campaign_list(coquan)) == [campaign]
    assert (
        evaluation_selectors.workplace_requests(coquan, campaign)
        .filter(grade_level__isnull=False)
        .count()
        == 2
    )

    phuong_referrals = residence_selectors.referral_list(phuong, RES)
    assert phuong_referrals.filter(state=S.ISSUED).exists()
    assert phuong_referrals.filter(state=S.RECEIVED).exists()
    notices = residence_selectors.notice_list(phuong, RES)
    assert notices.filter(acknowledged_at__isnull=True).exists()
    residence = evaluation_selectors.residence_requests(phuong, year)
    assert residence.filter(state=R.SUBMITTED).exists()

    chibo_referrals = residence_selectors.referral_list(chibo, RES)
    assert chibo_referrals.filter(state=S.ASSIGNED, residence_cell=demo.cell).exists()
    assert meeting_selectors.meeting_list(demo.cell).count() == 2
    assert meeting_selectors.report_list(chibo, RES).count() == 1
    assert evaluation_selectors.residence_requests(chibo, year).filter(state=R.REQUESTED).exists()

    assert residence_selectors.referrals_visible_to(dangvien).count() == 1
    assert meeting_selectors.own_invitations(dangvien).count() == 2


@pytest.mark.parametrize(
    ("username", "url_name", "kwargs", "expected"),
    [
        ("coquan", "residence:referral_list", {"side": "workplace"}, "moved"),
        ("coquan", "residence:report_list", {"side": "workplace"}, "unexcused"),
        ("phuong", "residence:referral_list", {"side": "residence"}, "issued"),
        ("phuong", "residence:notice_list", {"side": "residence"}, "disciplined"),
        ("chibo", "residence:meeting_list", {}, "27/09/2026"),
        ("chibo", "evaluations:inbox", {}, "requested"),
        ("dangvien", "residence:my_meetings", {}, "absence"),
    ],
)
def test_each_login_sees_the_demo_in_its_pages(
    demo, db, login, username, url_name, kwargs, expected
):
    user = demo.users[username]
    if url_name == "residence:meeting_list":
        kwargs = {"cell_pk": demo.cell.pk}
    response = login(user).get(reverse(url_name, kwargs=kwargs))
    assert response.status_code == 200
    text = response.content.decode()
    referrals = _referrals(demo)
    names = {
        "moved": ChangeNotice.objects.get(kind=ChangeNotice.Kind.MOVED).member.full_name,
        "unexcused": NonParticipationReport.objects.get().member.full_name,
        "issued": referrals.filter(commune=demo.commune, state=S.ISSUED).first().member.full_name,
        "disciplined": ChangeNotice.objects.get(
            kind=ChangeNotice.Kind.DISCIPLINED
        ).member.full_name,
        "27/09/2026": "27/09/2026",
        "requested": CommentRequest.objects.filter(residence_cell=demo.cell, state=R.REQUESTED)
        .first()
        .member.full_name,
        "absence": workflow_demo.data.ANNOUNCED_ABSENCE,
    }
    assert names[expected] in text


def test_the_command_says_what_it_loaded(demo, db):
    out = demo.output
    assert out.index("dangvien") < out.index("Loaded the workflows as of 22/11/2026")
    assert f"referrals: {_referrals(demo).count()} (" in out
    assert "change notices: 2 (1 not yet acknowledged)" in out
    assert "residence meetings: 2; non-participation reports: 1" in out
    total = CommentRequest.objects.count()
    assert f"comment requests: {total} (" in out and "near-identical 2, graded 2)" in out


def _rows():
    return tuple(
        model.objects.count()
        for model in (
            Organisation,
            Member,
            Referral,
            ChangeNotice,
            Meeting,
            Attendance,
            NonParticipationReport,
            Campaign,
            CommentRequest,
            CriterionAnswer,
            Sitting,
            Grade,
            AuditEntry,
        )
    )


def test_second_run_adds_nothing(demo, db):
    before = _rows()
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert "already loaded" in out.getvalue()
    assert workflow_demo.load_workflows() is None
    assert _rows() == before


def test_province_size_and_without_workflows_skip_them(db, monkeypatch):
    from evaluations.management.commands import load_demo

    def refuse():
        raise AssertionError("no workflows for this size")

    monkeypatch.setattr(load_demo.Command, "_load_members", lambda self, size, seed: True)
    monkeypatch.setattr(load_demo, "load_workflows", refuse)
    out = StringIO()
    call_command("load_demo", size="province", stdout=out)
    assert "Province size: no workflow data" in out.getvalue()
    out = StringIO()
    call_command("load_demo", "--without-workflows", stdout=out)
    assert out.getvalue() == ""
