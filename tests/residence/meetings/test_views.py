import datetime

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from residence.meetings import services
from residence.meetings.models import (
    Attendance,
    AttendanceCorrection,
    Meeting,
    NonParticipationReport,
)
from tests.residence.meetings.setup import assign, cell_member, held_and_confirmed, record, schedule

pytestmark = pytest.mark.django_db
A = Attendance.Status


@pytest.fixture(autouse=True)
def _english(settings):
    # The assertions read the English msgids; some are already translated to Vietnamese.
    settings.LANGUAGE_CODE = "en"


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def members(world):
    assign(world, world.member)
    return [world.member, cell_member(world, "Trần Thị Hoa"), cell_member(world, "Lê Văn Đức")]


@pytest.fixture
def meeting(world, members):
    return schedule(world)


def _url(name, world, meeting, report=None):
    row = Attendance.objects.filter(meeting=meeting).first()
    args = {
        "meeting_index": [],
        "meeting_list": [world.residence_cell.pk],
        "meeting_create": [world.residence_cell.pk],
        "meeting_detail": [meeting.pk],
        "attendance_mark": [meeting.pk],
        "meeting_cancel": [meeting.pk],
        "meeting_pdf": [meeting.pk],
        "attendance_correct": [row.pk],
        "my_meetings": [],
        "workplace_attendance": [],
        "member_attendance": [world.member.pk],
        "report_create": [world.member.pk],
        "report_list": ["residence"],
        "report_acknowledge": [report.pk if report else 0],
    }[name]
    return reverse(f"residence:{name}", args=args)


ALL_GET = [
    "meeting_index",
    "meeting_list",
    "meeting_create",
    "meeting_detail",
    "attendance_mark",
    "meeting_cancel",
    "meeting_pdf",
    "attendance_correct",
    "my_meetings",
    "workplace_attendance",
    "member_attendance",
    "report_create",
    "report_list",
]


@pytest.mark.parametrize("name", ALL_GET)
def test_anonymous_is_sent_to_login(client, world, meeting, name):
    response = client.get(_url(name, world, meeting))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize(
    "name",
    [
        "meeting_list",
        "meeting_create",
        "meeting_detail",
        "attendance_mark",
        "meeting_cancel",
        "meeting_pdf",
        "attendance_correct",
        "member_attendance",
        "report_create",
    ],
)
def test_other_organisation_gets_404(login, world, meeting, name):
    client = login(world.other_secretary)
    assert client.get(_url(name, world, meeting)).status_code == 404


def test_other_organisation_cannot_post(login, world, meeting, members):
    client = login(world.other_secretary)
    for name in ("meeting_confirm", "meeting_invite", "attendance_mark"):
        url = reverse(f"residence:{name}", args=[meeting.pk])
        assert client.post(url, {f"status-{members[0].pk}": A.PRESENT}).status_code == 404
    assert Meeting.objects.get(pk=meeting.pk).state == Meeting.State.SCHEDULED


def test_workplace_side_reads_but_cannot_mark(login, world, meeting):
    client = login(world.secretary)
    assert client.get(_url("meeting_detail", world, meeting)).status_code == 404
    assert client.get(_url("member_attendance", world, meeting)).status_code == 200
    assert client.get(_url("workplace_attendance", world, meeting)).status_code == 200


@pytest.mark.parametrize(
    "name",
    [
        "meeting_list",
        "meeting_create",
        "meeting_detail",
        "attendance_mark",
        "meeting_cancel",
        "meeting_pdf",
        "member_attendance",
        "report_create",
        "report_list",
        "meeting_index",
    ],
)
def test_residence_secretary_succeeds(login, world, meeting, name):
    response = login(world.residence_secretary).get(_url(name, world, meeting))
    assert response.status_code == 200 or (name == "meeting_index" and response.status_code == 302)


def test_index_of_a_one_cell_secretary_goes_to_the_cell(login, world, meeting):
    response = login(world.residence_secretary).get(reverse("residence:meeting_index"))
    assert response.url == reverse("residence:meeting_list", args=[world.residence_cell.pk])


def test_index_shows_held_against_required(login, world, members, settings):
    settings.PARTYREG = {**settings.PARTYREG, "MEETINGS_PER_YEAR": 3}
    held_and_confirmed(world, dict.fromkeys(members, A.PRESENT))
    index = reverse("residence:meeting_index") + "?year=" + str(timezone.localdate().year)
    page = login(world.commune_officer).get(index).content.decode()
    assert "held 1 of 3" in page
    cell_page = login(world.commune_officer).get(
        reverse("residence:meeting_list", args=[world.residence_cell.pk])
    )
    assert "Held 1 of 3 required" in cell_page.content.decode()


def test_member_without_roles_goes_to_own_invitations(login, world, meeting):
    client = login(world.member_user)
    response = client.get(reverse("residence:meeting_index"))
    assert response.url == reverse("residence:my_meetings")
    page = client.get(response.url).content.decode()
    assert "Nhà văn hóa tổ dân phố 5" in page
    assert client.get(_url("meeting_detail", world, meeting)).status_code == 404
    assert client.get(_url("attendance_mark", world, meeting)).status_code == 404


def test_schedule_through_the_form(login, world, members):
    client = login(world.residence_secretary)
    response = client.post(
        reverse("residence:meeting_create", args=[world.residence_cell.pk]),
        {
            "kind": "regular",
            "held_on": timezone.localdate().isoformat(),
            "starts_at": "19:30",
            "place": "Nhà văn hóa",
            "agenda": "Sinh hoạt giữa năm",
        },
    )
    meeting = Meeting.objects.get()
    assert response.url == reverse("residence:meeting_detail", args=[meeting.pk])
    assert "3 members invited" in messages_of(response)[0]


def test_schedule_form_shows_what_to_fix(login, world, members):
    client = login(world.residence_secretary)
    response = client.post(
        reverse("residence:meeting_create", args=[world.residence_cell.pk]),
        {"kind": "regular", "held_on": "", "starts_at": "19:30", "place": "", "agenda": "x"},
    )
    assert response.status_code == 200
    assert not Meeting.objects.exists()
    assert response.context["form"].errors.keys() == {"held_on", "place"}


def test_marking_page_works_as_a_plain_form(login, world, meeting, members):
    client = login(world.residence_secretary)
    url = reverse("residence:attendance_mark", args=[meeting.pk])
    page = client.get(url).content.decode()
    for label in ("Present", "Absent with reason", "Absent without reason", "Mark all present"):
        assert label in page
    an, hoa, duc = members
    response = client.post(
        url,
        {
            "save": "1",
            f"was-{an.pk}": "invited",
            f"status-{an.pk}": "present",
            f"was-{hoa.pk}": "invited",
            f"status-{hoa.pk}": "excused",
            f"reason-{hoa.pk}": "Đi công tác",
            f"was-{duc.pk}": "invited",
        },
    )
    assert response.url == reverse("residence:meeting_detail", args=[meeting.pk])
    statuses = dict(Attendance.objects.filter(meeting=meeting).values_list("member_id", "status"))
    assert statuses == {an.pk: A.PRESENT, hoa.pk: A.EXCUSED, duc.pk: A.INVITED}


def test_mark_all_present_fills_only_the_unmarked(login, world, meeting, members):
    an, hoa, duc = members
    record(world, meeting, {hoa: A.UNEXCUSED})
    client = login(world.residence_secretary)
    url = reverse("residence:attendance_mark", args=[meeting.pk])
    response = client.post(
        url,
        {
            "all_present": "1",
            f"was-{an.pk}": "invited",
            f"was-{hoa.pk}": "unexcused",
            f"status-{hoa.pk}": "unexcused",
            f"was-{duc.pk}": "invited",
        },
    )
    assert response.url == url
    statuses = dict(Attendance.objects.filter(meeting=meeting).values_list("member_id", "status"))
    assert statuses == {an.pk: A.PRESENT, hoa.pk: A.UNEXCUSED, duc.pk: A.PRESENT}


def test_stale_page_does_not_overwrite_a_colleagues_marks(login, world, meeting, members):
    """Two secretaries opened the page when all were unmarked; each marks different rows."""
    an, hoa, duc = members
    url = reverse("residence:attendance_mark", args=[meeting.pk])
    shown = {f"was-{m.pk}": "invited" for m in members}
    login(world.residence_secretary).post(url, {**shown, f"status-{an.pk}": "unexcused"})
    login(world.commune_officer).post(url, {**shown, f"status-{hoa.pk}": "present"})
    statuses = dict(Attendance.objects.filter(meeting=meeting).values_list("member_id", "status"))
    assert statuses == {an.pk: A.UNEXCUSED, hoa.pk: A.PRESENT, duc.pk: A.INVITED}


def test_excused_without_reason_is_refused_with_the_name(login, world, meeting, members):
    client = login(world.residence_secretary)
    url = reverse("residence:attendance_mark", args=[meeting.pk])
    response = client.post(url, {f"status-{members[1].pk}": "excused"}, follow=True)
    assert "Give the reason Trần Thị Hoa was absent" in response.content.decode()
    assert set(Attendance.objects.values_list("status", flat=True)) == {A.INVITED}


def test_confirm_then_the_list_is_locked(login, world, meeting, members):
    record(world, meeting, dict.fromkeys(members, A.PRESENT))
    client = login(world.residence_secretary)
    response = client.post(reverse("residence:meeting_confirm", args=[meeting.pk]))
    assert "locked" in messages_of(response)[0]
    detail = client.get(reverse("residence:meeting_detail", args=[meeting.pk])).content.decode()
    assert 'id="locked-note"' in detail
    response = client.get(reverse("residence:attendance_mark", args=[meeting.pk]))
    assert response.url == reverse("residence:meeting_detail", args=[meeting.pk])


def test_correction_through_the_form(login, world, members):
    meeting = held_and_confirmed(world, dict.fromkeys(members, A.PRESENT))
    row = Attendance.objects.get(meeting=meeting, member=members[2])
    client = login(world.residence_secretary)
    url = reverse("residence:attendance_correct", args=[row.pk])
    response = client.post(url, {"status": "unexcused", "reason": "", "why": ""})
    assert response.status_code == 200 and "why" in response.context["form"].errors
    response = client.post(url, {"status": "unexcused", "why": "Ghi nhầm người"})
    assert response.url == reverse("residence:meeting_detail", args=[meeting.pk])
    assert AttendanceCorrection.objects.get().why == "Ghi nhầm người"
    detail = client.get(response.url).content.decode()
    assert "Ghi nhầm người" in detail


def test_member_announces_absence_from_own_page(login, world, members):
    meeting = schedule(world, held_on=timezone.localdate() + datetime.timedelta(days=3))
    row = Attendance.objects.get(meeting=meeting, member=world.member)
    other_row = Attendance.objects.get(meeting=meeting, member=members[1])
    client = login(world.member_user)
    url = reverse("residence:absence_announce", args=[row.pk])
    client.post(url, {"reason": "Đi học"})
    assert Attendance.objects.get(pk=row.pk).status == A.WILL_BE_ABSENT
    other = reverse("residence:absence_announce", args=[other_row.pk])
    assert client.post(other, {"reason": "x"}).status_code == 404
    assert Attendance.objects.get(pk=other_row.pk).status == A.INVITED


def test_report_and_acknowledge_through_the_views(login, world, members):
    held_and_confirmed(
        world, {members[0]: A.UNEXCUSED, members[1]: A.PRESENT, members[2]: A.PRESENT}
    )
    client = login(world.residence_secretary)
    response = client.post(
        reverse("residence:report_create", args=[world.member.pk]),
        {"residence_cell": world.residence_cell.pk, "text": "Không tham gia sinh hoạt"},
    )
    assert response.status_code == 302
    report = NonParticipationReport.objects.get()
    assert report.meetings_missed == 1

    assert (
        login(world.other_secretary)
        .get(reverse("residence:report_acknowledge", args=[report.pk]))
        .status_code
        == 404
    )
    assert (
        login(world.residence_secretary)
        .get(reverse("residence:report_acknowledge", args=[report.pk]))
        .status_code
        == 404
    )
    client = login(world.secretary)
    listing = client.get(reverse("residence:report_list", args=["workplace"])).content.decode()
    assert "Không tham gia sinh hoạt" in listing
    client.post(
        reverse("residence:report_acknowledge", args=[report.pk]), {"action_taken": "Đã nhắc nhở"}
    )
    report.refresh_from_db()
    assert report.acknowledged_by == world.secretary


# --- Query counts that do not grow with the rows ----------------------------------------------


def _grow(world, n):
    for i in range(n):
        cell_member(world, f"Đảng viên số {i}")


@pytest.mark.parametrize(
    "name, who",
    [
        ("meeting_list", "residence_secretary"),
        ("meeting_detail", "residence_secretary"),
        ("attendance_mark", "residence_secretary"),
        ("meeting_index", "commune_officer"),
        ("workplace_attendance", "secretary"),
        ("my_meetings", "member_user"),
    ],
)
def test_list_pages_keep_their_query_count_when_rows_grow_tenfold(
    login, world, members, name, who, django_assert_num_queries
):
    from tests.members.factories import OrganisationFactory

    OrganisationFactory(name="Chi bộ Tổ dân phố 7", kind="residence_cell", parent=world.commune)
    held_and_confirmed(world, dict.fromkeys(members, A.PRESENT))
    meeting = schedule(world)
    client = login(getattr(world, who))
    url = _url(name, world, meeting)
    expected = PINNED[name]
    with django_assert_num_queries(expected):
        assert client.get(url).status_code == 200
    _grow(world, 27)
    services.meeting_invite_new(actor=world.residence_secretary, meeting=meeting)
    held_and_confirmed(world, {m.member: A.PRESENT for m in _all_invitees()})
    assert Attendance.objects.filter(meeting=meeting).count() == 30
    with django_assert_num_queries(expected):
        assert client.get(url).status_code == 200


def _all_invitees():
    from residence.models import Referral

    return Referral.objects.filter(state="assigned").select_related("member")


# Queries per page: session, user, roles, then the page's own reads. Every page reads the roles,
# even one a member without any sees: the two-factor policy is asked on every request.
PINNED = {
    "meeting_list": 12,
    "meeting_detail": 10,
    "attendance_mark": 8,
    # The cells are read whole and put in name order (2 before 10): no separate count.
    "meeting_index": 8,
    "workplace_attendance": 9,
    # A member without a committee role: the menu reads their (empty) roles once.
    "my_meetings": 7,
}


def test_marking_opens_on_the_meetings_day(login, world, members):
    """Before the day the page says when marking opens and offers nothing to press or save."""
    ahead = schedule(world, held_on=timezone.localdate() + datetime.timedelta(days=5))
    client = login(world.residence_secretary)
    url = reverse("residence:attendance_mark", args=[ahead.pk])
    page = client.get(url).content.decode()
    assert 'id="marking-not-open"' in page
    assert "Attendance can be recorded from the day of the meeting" in page
    for control in ('class="btn-check"', "Mark all present", "Save attendance", "<form"):
        assert control not in page.split('id="marking-not-open"')[1], control
    an = members[0]
    response = client.post(
        url, {"save": "1", f"was-{an.pk}": "invited", f"status-{an.pk}": "present"}
    )
    assert response.status_code == 200 and messages_of(response) == []
    assert set(Attendance.objects.filter(meeting=ahead).values_list("status", flat=True)) == {
        A.INVITED
    }


def test_confirming_asks_once_what_locking_means(login, world, meeting, members):
    record(world, meeting, dict.fromkeys(members, A.PRESENT))
    page = (
        login(world.residence_secretary)
        .get(reverse("residence:meeting_detail", args=[meeting.pk]))
        .content.decode()
    )
    (form,) = [f for f in page.split("<form")[1:] if "meeting_confirm" in f or "/confirm/" in f]
    assert 'data-confirm="Confirm and lock this attendance list?' in form
    assert "correction with its reason" in form


def test_todays_meeting_moves_to_past_once_attendance_is_recorded(login, world, meeting, members):
    client = login(world.member_user)
    url = reverse("residence:my_meetings")
    upcoming, past = client.get(url).context["upcoming"], client.get(url).context["past"]
    assert [a.meeting for a in upcoming] == [meeting] and past == []
    record(world, meeting, {world.member: A.PRESENT})
    response = client.get(url)
    assert response.context["upcoming"] == []
    assert [a.meeting for a in response.context["past"]] == [meeting]
