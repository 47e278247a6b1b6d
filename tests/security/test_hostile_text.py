"""HTML and script typed into the free texts of the workflows: shown as text, never as markup.

The URL walk (test_url_walk.py) covers names of members and organisations; this module puts a
hostile value, distinct per field, into the texts the workflows write through their services:
a criterion's comment and the other comments, a comment's reason for return, a sitting's place
and participants, a campaign's title, a meeting's place, agenda and cancel reason, an absence
announced and recorded, a correction's reason, a referral's closing note, a change notice, a
non-participation report (on its page and its printed notice) and its acknowledgement, a
notification and the audit notes on a member's history.

Every page that shows a value must show it escaped (``&lt;script&gt;…``: the test fails if the
value is missing as well as if it is raw) and carry no markup of it (pages.py). Every PDF that
prints a value must print it literally, as pdftotext reads it back; so must the plain-text part
of a notification's email, while its HTML part escapes it.
"""

import datetime
import shutil
import subprocess
import unicodedata

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from evaluations import services as campaign_services
from evaluations.models import Campaign
from partyreg.notifications.delivery import Message, notify, render_email
from residence import services as referral_services
from residence.meetings import services as meeting_services
from residence.meetings.models import Attendance
from residence.models import ChangeNotice, Referral
from tests.evaluations.campaign_helpers import answers_for, placed_member
from tests.members.factories import MemberFactory
from tests.residence.meetings.setup import assign

from .pages import compact, page_problems

A = Attendance.Status


def hostile(tag: str, text: str) -> str:
    """Script, a handler, quotes and an ampersand, then Vietnamese; ``tag`` names the field.

    No hyphen in ``tag``: pdftotext drops one that ends a printed line.
    """
    return f'<script>alert("{tag}")</script><img src=x onerror=alert(2)>"\'& {text}'


H = {
    "criterion": hostile("criterion", "Gương mẫu, đoàn kết với bà con"),
    "other": hostile("other", "Nhận xét khác của tổ"),
    "return_reason": hostile("return_reason", "Nhận xét chung chung, làm lại"),
    "sitting_place": hostile("sitting_place", "Nhà văn hóa tổ 5"),
    "cell_attendees": hostile("cell_attendees", "Đặng Văn Ộ — Bí thư"),
    "front_attendees": hostile("front_attendees", "Phạm Văn Lực — Trưởng ban"),
    "title": hostile("title", "Nhận xét năm"),
    "place": hostile("place", "Hội trường khu phố"),
    "agenda": hostile("agenda", "Thông báo tình hình địa phương"),
    "absence": hostile("absence", "Đi công tác Huế"),
    "announced": hostile("announced", "Về quê chăm mẹ ốm"),
    "why": hostile("why", "Đồng chí Hoa đưa giấy xác nhận"),
    "corrected": hostile("corrected", "Nằm viện"),
    "cancel": hostile("cancel", "Mưa bão"),
    "close_note": hostile("close_note", "Chuyển sinh hoạt về Hà Nội"),
    "details": hostile("details", "Kỷ luật khiển trách"),
    "report": hostile("report", "Không tham gia sinh hoạt ba kỳ"),
    "action": hostile("action", "Chi bộ đã nhắc nhở"),
    "subject": hostile("subject", "Nhắc việc"),
    "body": hostile("body", "Hạn nộp nhận xét sắp đến"),
    "name": hostile("name", "Lê Thị Hoa"),
    "address": hostile("address", "12 Trần Phú"),
}


@pytest.fixture
def hostile_world(world):
    """``world`` with every free text of the workflows set to a hostile value."""
    w = world
    today = timezone.localdate()

    # Comments: a draft and a certified comment, both written at a hostile sitting.
    drafted = placed_member(w, "Trần Văn Nháp")
    certified = placed_member(w, "Phạm Thị Duyên")
    w.campaign = campaign_services.campaign_open(
        actor=w.secretary, organisation=w.agency, due_on=today + datetime.timedelta(days=20)
    ).campaign
    # The service writes the title from the year and the organisation's name; a hostile name
    # (or an edit in the admin) puts markup in it.
    Campaign.objects.filter(pk=w.campaign.pk).update(title=H["title"])
    w.sitting = campaign_services.sitting_record(
        actor=w.residence_secretary,
        residence_cell=w.residence_cell,
        held_on=today,
        cell_committee_attendees=H["cell_attendees"],
        front_committee_attendees=H["front_attendees"],
        place=H["sitting_place"],
    )
    w.draft = w.campaign.requests.get(member=drafted)
    campaign_services.comment_save_draft(
        actor=w.residence_secretary,
        request=w.draft,
        answers=answers_for(w.draft, comment=H["criterion"]),
        other_comments=H["other"],
        sitting=w.sitting,
    )
    w.certified = w.campaign.requests.get(member=certified)
    # Submitted, returned with a hostile reason, submitted again as it was: still nearly the
    # same as the draft, it is certified as compared with it.
    for _round in range(2):
        w.certified = campaign_services.comment_submit(
            actor=w.residence_secretary,
            request=w.certified,
            answers=answers_for(w.certified, level=0, comment=H["criterion"]),
            other_comments=H["other"],
            sitting=w.sitting,
        )
        if not _round:
            campaign_services.comment_return(
                actor=w.commune_officer, request=w.certified, reason=H["return_reason"]
            )
    w.certified = campaign_services.comment_certify(
        actor=w.commune_officer, request=w.certified, compared_with=w.certified.similar_to_id
    )

    # Meetings: one held and corrected, one to come with an announced absence, one cancelled.
    assign(w, w.member)
    w.hoa = placed_member(w, "Trần Thị Hoa")

    def schedule(held_on):
        return meeting_services.meeting_schedule(
            actor=w.residence_secretary,
            residence_cell=w.residence_cell,
            held_on=held_on,
            starts_at=datetime.time(19, 30),
            place=H["place"],
            agenda=H["agenda"],
        )

    w.meeting = schedule(today - datetime.timedelta(days=7))
    meeting_services.attendance_record(
        actor=w.residence_secretary,
        meeting=w.meeting,
        marks={
            **{row.member_id: (A.PRESENT, "") for row in w.meeting.attendances.all()},
            w.member.pk: (A.EXCUSED, H["absence"]),
            w.hoa.pk: (A.UNEXCUSED, ""),
        },
    )
    w.meeting = meeting_services.meeting_confirm(actor=w.residence_secretary, meeting=w.meeting)
    meeting_services.attendance_correct(
        actor=w.residence_secretary,
        attendance=Attendance.objects.get(meeting=w.meeting, member=w.hoa),
        status=A.EXCUSED,
        reason=H["corrected"],
        why=H["why"],
    )
    w.upcoming = schedule(today + datetime.timedelta(days=7))
    meeting_services.attendance_announce_absence(
        actor=w.member_user,
        attendance=Attendance.objects.get(meeting=w.upcoming, member=w.member),
        reason=H["announced"],
    )
    # Marking opens on the meeting's day: today's meeting carries the announced absence too.
    w.today_meeting = schedule(today)
    meeting_services.attendance_announce_absence(
        actor=w.member_user,
        attendance=Attendance.objects.get(meeting=w.today_meeting, member=w.member),
        reason=H["announced"],
    )
    w.cancelled = meeting_services.meeting_cancel(
        actor=w.residence_secretary,
        meeting=schedule(today + datetime.timedelta(days=14)),
        reason=H["cancel"],
    )
    w.report = meeting_services.nonparticipation_report(
        actor=w.residence_secretary,
        member=w.hoa,
        residence_cell=w.residence_cell,
        text=H["report"],
    )
    meeting_services.nonparticipation_acknowledge(
        actor=w.secretary, report=w.report, action_taken=H["action"]
    )

    # Referrals: one closed with a note, one letter for a member with a hostile name, a notice.
    closing = MemberFactory(
        full_name="Lê Văn Chuyển", workplace_org=w.cell, residence_commune=w.commune
    )
    w.closed = assign(w, closing)
    w.closed = referral_services.referral_close(
        actor=w.secretary,
        referral=w.closed,
        reason=Referral.CloseReason.values[0],
        note=H["close_note"],
    )
    w.closing = closing
    lettered = MemberFactory(
        full_name=H["name"],
        residence_address=H["address"],
        workplace_org=w.cell,
        residence_commune=w.commune,
    )
    w.lettered = referral_services.referral_issue(actor=w.secretary, member=lettered)
    w.notice = referral_services.change_record(
        actor=w.secretary,
        member=w.hoa,
        kind=ChangeNotice.Kind.DISCIPLINED,
        effective_on=today,
        details=H["details"],
    )

    # A notification (the reminder rules write names and titles into theirs).
    w.notification = notify(
        Message(
            rule="test",
            target="hostile",
            period="1",
            recipient_id=w.secretary.pk,
            subject=H["subject"],
            body=H["body"],
            url=reverse("notification_list"),
        )
    )
    return w


def pages(w) -> list[tuple[str, object, str, list[str]]]:
    """(what, user, URL, the values the page must show)."""
    ev, res = "evaluations", "residence"
    return [
        (
            "comment form",
            w.residence_secretary,
            reverse(f"{ev}:comment_edit", args=[w.draft.pk]),
            ["criterion", "other"],
        ),
        (
            "drafted comment",
            w.secretary,
            reverse(f"{ev}:request_detail", args=[w.draft.pk]),
            ["criterion", "other", "sitting_place", "cell_attendees", "front_attendees", "title"],
        ),
        (
            "certified comment",
            w.commune_officer,
            reverse(f"{ev}:request_detail", args=[w.certified.pk]),
            [
                "criterion",
                "other",
                "sitting_place",
                "cell_attendees",
                "front_attendees",
                "return_reason",
            ],
        ),
        (
            "request inbox",
            w.residence_secretary,
            reverse(f"{ev}:inbox") + f"?cell={w.residence_cell.pk}&year={w.campaign.year}",
            ["sitting_place", "cell_attendees", "front_attendees"],
        ),
        (
            "campaign detail",
            w.secretary,
            reverse(f"{ev}:campaign_detail", args=[w.campaign.pk]),
            ["title"],
        ),
        ("campaign list", w.secretary, reverse(f"{ev}:campaign_list"), ["title"]),
        (
            "meeting detail",
            w.residence_secretary,
            reverse(f"{res}:meeting_detail", args=[w.meeting.pk]),
            ["place", "agenda", "absence", "corrected", "why"],
        ),
        (
            "cancelled meeting",
            w.residence_secretary,
            reverse(f"{res}:meeting_detail", args=[w.cancelled.pk]),
            ["cancel"],
        ),
        (
            "attendance marking",
            w.residence_secretary,
            reverse(f"{res}:attendance_mark", args=[w.today_meeting.pk]),
            ["announced"],
        ),
        (
            "member's meetings",
            w.member_user,
            reverse(f"{res}:my_meetings"),
            ["agenda", "announced"],
        ),
        (
            "member's attendance record",
            w.secretary,
            reverse(f"{res}:member_attendance", args=[w.hoa.pk]),
            ["corrected", "report", "action"],
        ),
        (
            "non-participation reports",
            w.secretary,
            reverse(f"{res}:report_list", args=["workplace"]),
            ["report", "action"],
        ),
        (
            "closed referral",
            w.secretary,
            reverse(f"{res}:referral_detail", args=[w.closed.pk]),
            ["close_note"],
        ),
        (
            "change notices",
            w.commune_officer,
            reverse(f"{res}:notice_list", args=["residence"]),
            ["details"],
        ),
        ("notifications", w.secretary, reverse("notification_list"), ["subject", "body"]),
        (
            "member history (correction)",
            w.secretary,
            reverse("members:member_detail", args=[w.hoa.pk]),
            ["why", "details"],
        ),
        (
            "member history (closing)",
            w.secretary,
            reverse("members:member_detail", args=[w.closing.pk]),
            ["close_note"],
        ),
    ]


def test_pages_show_hostile_text_escaped(hostile_world, login, settings):
    settings.LANGUAGE_CODE = "en"
    w = hostile_world
    problems = []
    for what, user, url, keys in pages(w):
        response = login(user).get(url)
        if response.status_code != 200:
            problems.append(f"{what}: {response.status_code} for {user.username}")
            continue
        html = response.content.decode()
        problems.extend(f"{what}: {p}" for p in page_problems(response, html))
        for key in keys:
            value = H[key]
            raw = value.split("</script>")[0]
            if raw in html:
                problems.append(f"{what}: the {key} carried as markup")
            if escape(value) not in html:
                problems.append(f"{what}: the {key} not shown escaped")
    assert not problems, "\n".join(problems)


def pdftotext(content: bytes, tmp_path) -> str:
    if not shutil.which("pdftotext"):
        pytest.fail("pdftotext is missing: apt install poppler-utils")
    path = tmp_path / "read.pdf"
    path.write_bytes(content)
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return unicodedata.normalize("NFC", text)


def pdfs(w) -> list[tuple[str, object, str, list[str]]]:
    return [
        (
            "comment sheet",
            w.secretary,
            reverse("evaluations:sheet_pdf", args=[w.certified.pk]),
            ["criterion", "other", "sitting_place", "cell_attendees", "front_attendees"],
        ),
        (
            "attendance list",
            w.residence_secretary,
            reverse("residence:meeting_pdf", args=[w.meeting.pk]),
            ["place", "agenda", "absence", "corrected"],
        ),
        (
            "referral letter",
            w.secretary,
            reverse("residence:referral_letter", args=[w.lettered.pk]),
            ["name", "address"],
        ),
        (
            "notice of non-participation",
            w.residence_secretary,
            reverse("residence:report_pdf", args=[w.report.pk]),
            ["report"],
        ),
    ]


def test_pdfs_print_hostile_text_as_typed(hostile_world, login, tmp_path):
    w = hostile_world
    problems = []
    for what, user, url, keys in pdfs(w):
        response = login(user).get(url)
        if response.status_code != 200 or response["Content-Type"] != "application/pdf":
            problems.append(f"{what}: {response.status_code} {response['Content-Type']}")
            continue
        content = b"".join(response.streaming_content) if response.streaming else response.content
        text = compact(pdftotext(content, tmp_path))
        for key in keys:
            if compact(H[key]) not in text:
                problems.append(f"{what}: the {key} not printed as typed")
    assert not problems, "\n".join(problems)


def test_notification_email_escapes_html_and_keeps_text_literal(hostile_world):
    """The HTML part escapes the subject and body; the plain-text part carries them as typed."""
    text, html = render_email(hostile_world.notification)
    for key in ("subject", "body"):
        assert H[key] in text
        assert escape(H[key]) in html
    assert "<script>" not in html and "<img src=x" not in html
