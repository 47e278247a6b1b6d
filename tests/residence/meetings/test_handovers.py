"""Meetings tell their invitees at once, with a calendar file that follows each move; absences
tell the cell's secretary, non-participation reports the member's workplace committee."""

import datetime
import email as email_parser
from datetime import UTC

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from icalendar import Calendar

from residence.meetings import handovers, services
from residence.meetings.models import Attendance, Meeting
from tests.members.factories import UserFactory
from tests.partyreg.handover_helpers import told, told_users

from .setup import assign, cell_member, schedule

pytestmark = pytest.mark.django_db
# 19:30 in Đà Lạt is 12:30 UTC.
NOW = datetime.datetime(2026, 11, 20, 9, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=7)))
DAY = datetime.date(2026, 11, 27)


@pytest.fixture(autouse=True)
def _english_site(settings):
    """Hand-overs are written in the site's language; these tests read the English source."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(NOW, tick=False):
        yield


def _members(world):
    """The world's member (login dangvien) and two more, one with a login, one without."""
    assign(world, world.member)
    with_login = cell_member(world, "Trần Văn Bảy", user=UserFactory(username="bay"))
    without = cell_member(world, "Lê Thị Tám")
    return world.member, with_login, without


def _calendar(notification) -> Calendar:
    assert notification.attachment_type.startswith("text/calendar")
    return Calendar.from_ical(notification.attachment)


def _event(calendar: Calendar):
    (event,) = calendar.walk("VEVENT")
    return event


def test_a_scheduled_meeting_invites_each_invitee_with_a_calendar_file(
    world, django_capture_on_commit_callbacks
):
    _members(world)
    with django_capture_on_commit_callbacks(execute=True):
        meeting = schedule(world, held_on=DAY)
    assert told_users(handovers.SCHEDULED) == ["bay", "dangvien"]
    (invitation,) = told(world.member_user, handovers.SCHEDULED)
    assert invitation.subject == "Invitation: Chi bộ Tổ dân phố 5, 27/11/2026 at 19:30"
    assert "Nhà văn hóa tổ dân phố 5" in invitation.body
    assert "Lấy ý kiến đảng viên" in invitation.body
    assert invitation.url == "/residence/meetings/mine/"

    calendar = _calendar(invitation)
    assert calendar["METHOD"] == "REQUEST"
    event = _event(calendar)
    assert str(event["UID"]) == f"meeting-{meeting.pk}@127.0.0.1"
    assert event["SEQUENCE"] == 0
    assert event.decoded("DTSTART") == datetime.datetime(2026, 11, 27, 12, 30, tzinfo=UTC)
    assert event.decoded("DTEND") == datetime.datetime(2026, 11, 27, 14, 30, tzinfo=UTC)
    assert str(event["LOCATION"]) == "Nhà văn hóa tổ dân phố 5"
    assert "Chi bộ Tổ dân phố 5" in str(event["SUMMARY"])
    assert str(event["ATTENDEE"]) == f"mailto:{world.member_user.email}"
    assert str(event["ORGANIZER"]).startswith("mailto:")

    sent = next(m for m in mail.outbox if m.to == [world.member_user.email])
    parsed = email_parser.message_from_bytes(sent.message().as_bytes())
    part = next(p for p in parsed.walk() if p.get_content_type() == "text/calendar")
    assert part.get_param("method") == "REQUEST"
    assert part.get_filename() == "sinh-hoat-2026-11-27.ics"
    attached = Calendar.from_ical(part.get_payload(decode=True))
    assert str(_event(attached)["UID"]) == str(event["UID"])
    assert len(mail.outbox) == 2


def test_the_calendar_file_escapes_text_and_reads_back_in_vietnamese(world, settings):
    settings.LANGUAGE_CODE = "vi"
    _members(world)
    meeting = services.meeting_schedule(
        actor=world.residence_secretary,
        residence_cell=world.residence_cell,
        held_on=DAY,
        starts_at=datetime.time(7, 0),
        place="Nhà ông Tư; số 3, hẻm 12",
        agenda="Bàn việc; góp ý, kiến nghị",
    )
    (invitation,) = told(world.member_user, handovers.SCHEDULED)
    assert "Nhà ông Tư\\; số 3\\, hẻm 12" in invitation.attachment
    event = _event(_calendar(invitation))
    assert str(event["LOCATION"]) == "Nhà ông Tư; số 3, hẻm 12"
    assert str(event["SUMMARY"]).startswith("Sinh hoạt với đảng viên đang công tác")
    assert event.decoded("DTSTART") == datetime.datetime(2026, 11, 27, 0, 0, tzinfo=UTC)
    assert meeting.sequence == 0


def test_moving_a_meeting_tells_every_invitee_once_with_a_newer_invitation(world):
    _members(world)
    meeting = schedule(world, held_on=DAY)
    moved = services.meeting_move(
        actor=world.residence_secretary,
        meeting=meeting,
        held_on=DAY + datetime.timedelta(days=1),
        starts_at=datetime.time(8, 0),
        place="Hội trường phường",
    )
    assert moved.sequence == 1
    assert told_users(handovers.MOVED) == ["bay", "dangvien"]
    (notice,) = told(world.member_user, handovers.MOVED)
    assert notice.subject == "Meeting moved: Chi bộ Tổ dân phố 5, now on 28/11/2026 at 08:00"
    assert "27/11/2026 at 19:30, at Nhà văn hóa tổ dân phố 5" in notice.body
    event = _event(_calendar(notice))
    assert event["SEQUENCE"] == 1
    assert event.decoded("DTSTART") == datetime.datetime(2026, 11, 28, 1, 0, tzinfo=UTC)
    assert str(event["UID"]) == f"meeting-{meeting.pk}@127.0.0.1"

    # Told again of the same move (a retried request): nobody hears twice.
    handovers.meeting_moved(actor=None, meeting=moved, before=meeting)
    assert told_users(handovers.MOVED) == ["bay", "dangvien"]
    # Moved once more: a new version, told again.
    services.meeting_move(
        actor=world.residence_secretary,
        meeting=moved,
        held_on=DAY,
        starts_at=datetime.time(8, 0),
        place="Hội trường phường",
    )
    assert told_users(handovers.MOVED) == ["bay", "bay", "dangvien", "dangvien"]


def test_a_move_is_refused_when_nothing_changes_or_the_day_is_past(world):
    meeting = schedule(world, held_on=DAY)
    with pytest.raises(ValidationError, match="already set"):
        services.meeting_move(
            actor=world.residence_secretary,
            meeting=meeting,
            held_on=DAY,
            starts_at=datetime.time(19, 30),
            place="Nhà văn hóa tổ dân phố 5",
        )
    with pytest.raises(ValidationError) as refused:
        services.meeting_move(
            actor=world.residence_secretary,
            meeting=meeting,
            held_on=datetime.date(2026, 11, 1),
            starts_at=datetime.time(19, 30),
            place="Nhà văn hóa",
        )
    assert "held_on" in refused.value.error_dict
    assert Meeting.objects.get(pk=meeting.pk).sequence == 0


def test_cancelling_sends_the_cancellation_to_the_calendar(world):
    _members(world)
    meeting = schedule(world, held_on=DAY)
    services.meeting_cancel(actor=world.residence_secretary, meeting=meeting, reason="Mưa bão")
    assert told_users(handovers.CANCELLED) == ["bay", "dangvien"]
    (notice,) = told(world.member_user, handovers.CANCELLED)
    assert notice.subject == "Meeting cancelled: Chi bộ Tổ dân phố 5, 27/11/2026"
    assert "Mưa bão" in notice.body
    assert notice.attachment_type == "text/calendar; method=CANCEL"
    calendar = _calendar(notice)
    assert calendar["METHOD"] == "CANCEL"
    event = _event(calendar)
    assert (event["STATUS"], event["SEQUENCE"]) == ("CANCELLED", 1)


def test_a_past_meeting_cancelled_tells_nobody(world):
    _members(world)
    meeting = schedule(world, held_on=datetime.date(2026, 11, 19))
    services.meeting_cancel(actor=world.residence_secretary, meeting=meeting, reason="Nhầm")
    assert told_users(handovers.CANCELLED) == []


def test_members_invited_later_get_their_invitation_and_the_others_nothing_more(world):
    _members(world)
    meeting = schedule(world, held_on=DAY)
    cell_member(world, "Phan Văn Chín", user=UserFactory(username="chin"))
    services.meeting_invite_new(actor=world.residence_secretary, meeting=meeting)
    assert told_users(handovers.SCHEDULED) == ["bay", "chin", "dangvien"]


def test_an_announced_absence_tells_the_cell_secretary(world):
    _members(world)
    meeting = schedule(world, held_on=DAY)
    attendance = Attendance.objects.get(meeting=meeting, member=world.member)
    services.attendance_announce_absence(
        actor=world.member_user, attendance=attendance, reason="Đi công tác"
    )
    assert told_users(handovers.ABSENCE) == ["chibo"]
    (notice,) = told(world.residence_secretary, handovers.ABSENCE)
    assert notice.subject == "Nguyễn Văn An will be absent on 27/11/2026"
    assert "Đi công tác" in notice.body
    assert notice.url == f"/residence/meetings/{meeting.pk}/"
    # Taken back and announced again: a new announcement, told again.
    services.attendance_withdraw_absence(actor=world.member_user, attendance=attendance)
    with time_machine.travel(NOW + datetime.timedelta(hours=1), tick=False):
        services.attendance_announce_absence(
            actor=world.member_user, attendance=attendance, reason="Ốm"
        )
    assert told_users(handovers.ABSENCE) == ["chibo", "chibo"]


def test_a_nonparticipation_report_tells_the_workplace_committee(world):
    _members(world)
    report = services.nonparticipation_report(
        actor=world.residence_secretary,
        member=world.member,
        residence_cell=world.residence_cell,
        text="Vắng ba buổi sinh hoạt liền không lý do",
    )
    assert told_users(handovers.NONPARTICIPATION) == ["coquan"]
    (notice,) = told(world.secretary, handovers.NONPARTICIPATION)
    assert notice.subject == "Non-participation report: Nguyễn Văn An"
    assert "Vắng ba buổi" in notice.body
    assert notice.url == f"/residence/meetings/reports/{report.pk}/acknowledge/"


def _queries(function) -> int:
    with CaptureQueriesContext(connection) as captured:
        function()
    return len(captured)


def test_inviting_many_costs_the_same_queries_as_inviting_a_few(world):
    for i in range(3):
        cell_member(world, f"Võ Văn {i}", user=UserFactory(username=f"vv{i}"))
    small = schedule(world, held_on=DAY)
    for i in range(3, 30):
        cell_member(world, f"Võ Văn {i}", user=UserFactory(username=f"vv{i}"))
    large = schedule(world, held_on=DAY)

    def tell(meeting):
        return lambda: handovers.meeting_invited(actor=None, meeting=meeting)

    assert _queries(tell(small)) == _queries(tell(large)) <= 4
    assert told_users(handovers.SCHEDULED).count("vv29") == 1


# --- The calendar link of the member's page ------------------------------------------------


def test_the_member_adds_the_meeting_to_their_calendar_from_their_page(world, login):
    _members(world)
    meeting = schedule(world, held_on=DAY)
    attendance = Attendance.objects.get(meeting=meeting, member=world.member)
    client = login(world.member_user)
    page = client.get("/residence/meetings/mine/").content.decode()
    url = f"/residence/meetings/mine/{attendance.pk}/calendar.ics"
    assert f'href="{url}"' in page
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert 'filename="sinh-hoat-2026-11-27.ics"' in response["Content-Disposition"]
    (notification,) = told(world.member_user, handovers.SCHEDULED)
    served, mailed = _event(Calendar.from_ical(response.content)), _event(_calendar(notification))
    for name in ("UID", "SEQUENCE", "DTSTART", "DTEND", "LOCATION", "SUMMARY", "ATTENDEE"):
        assert served[name] == mailed[name], name


def test_the_calendar_link_is_the_members_own(world, login, client):
    _members(world)
    meeting = schedule(world, held_on=DAY)
    attendance = Attendance.objects.get(meeting=meeting, member=world.member)
    url = f"/residence/meetings/mine/{attendance.pk}/calendar.ics"
    assert client.get(url).url.startswith("/accounts/login/")
    assert login(UserFactory(username="bay")).get(url).status_code == 404
    assert login(world.residence_secretary).get(url).status_code == 404


def test_the_secretary_moves_a_meeting_from_its_page(world, login):
    _members(world)
    meeting = schedule(world, held_on=DAY)
    client = login(world.residence_secretary)
    assert (
        f"/residence/meetings/{meeting.pk}/move/"
        in client.get(f"/residence/meetings/{meeting.pk}/").content.decode()
    )
    assert client.get(f"/residence/meetings/{meeting.pk}/move/").status_code == 200
    response = client.post(
        f"/residence/meetings/{meeting.pk}/move/",
        {"held_on": "2026-11-28", "starts_at": "08:00", "place": "Hội trường phường"},
    )
    assert response.status_code == 302
    assert Meeting.objects.get(pk=meeting.pk).held_on == datetime.date(2026, 11, 28)
    unchanged = client.post(
        f"/residence/meetings/{meeting.pk}/move/",
        {"held_on": "2026-11-28", "starts_at": "08:00", "place": "Hội trường phường"},
    )
    assert unchanged.status_code == 200 and unchanged.context["form"].errors


def test_only_the_cells_people_may_move_its_meeting(world, login, client):
    meeting = schedule(world, held_on=DAY)
    url = f"/residence/meetings/{meeting.pk}/move/"
    assert client.get(url).url.startswith("/accounts/login/")
    assert login(world.other_secretary).get(url).status_code == 404
    assert login(world.member_user).post(url, {"held_on": "2026-11-28"}).status_code == 404
    assert Meeting.objects.get(pk=meeting.pk).sequence == 0
