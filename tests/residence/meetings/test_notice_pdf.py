"""The notice of non-participation printed in the Party layout: from the residence cell or the
commune committee to the member's workplace committee, for both sides and nobody else."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from members.models import Organisation
from residence.meetings import services
from residence.meetings.models import Attendance, NonParticipationReport
from tests.members.factories import RoleFactory, UserFactory
from tests.residence.meetings.setup import assign, held_and_confirmed

from .test_pdf import pdf_text

pytestmark = pytest.mark.django_db
A = Attendance.Status
TEXT = "Đồng chí không dự 2 buổi sinh hoạt, không báo lý do; không tham gia tổng vệ sinh ngõ 12."


@pytest.fixture(autouse=True)
def _november():
    # Every meeting of the fixture falls in the same year as the report.
    with time_machine.travel("2026-11-20 09:00 +07:00", tick=False):
        yield


@pytest.fixture
def report(world):
    """A report by the cell's secretary after two meetings; one more meeting comes after it."""
    today = timezone.localdate()
    Organisation.objects.filter(pk=world.commune.pk).update(place_name="Đà Lạt")
    world.residence_secretary.first_name, world.residence_secretary.last_name = "Đặng Văn Ộ", ""
    world.residence_secretary.save()
    assign(world, world.member)
    held_and_confirmed(world, {world.member: A.PRESENT}, held_on=today - datetime.timedelta(20))
    held_and_confirmed(world, {world.member: A.UNEXCUSED}, held_on=today - datetime.timedelta(10))
    held_and_confirmed(world, {world.member: A.UNEXCUSED}, held_on=today)
    row = services.nonparticipation_report(
        actor=world.residence_secretary,
        member=world.member,
        residence_cell=world.residence_cell,
        text=TEXT,
    )
    # Sent five days ago: the meeting held today is not yet on the notice.
    NonParticipationReport.objects.filter(pk=row.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=5)
    )
    return row


def _url(report):
    return reverse("residence:report_pdf", args=[report.pk])


def test_the_cell_prints_the_notice_in_the_party_layout(login, world, report):
    response = login(world.residence_secretary).get(_url(report))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert f"thong-bao-khong-tham-gia-{report.pk}.pdf" in response["Content-Disposition"]
    text = pdf_text(response.content)
    for expected in (
        "ĐẢNG ỦY PHƯỜNG XUÂN HƯƠNG",
        "CHI BỘ TỔ DÂN PHỐ 5",
        "-TB/CB",
        "ĐẢNG CỘNG SẢN VIỆT NAM",
        "Đà Lạt, ngày",
        "THÔNG BÁO",
        "Về việc đảng viên đang công tác không tham gia sinh hoạt ở nơi cư trú",
        "Kính gửi:",
        "- Đảng bộ Sở Tài chính;",
        "- Chi bộ Phòng Ngân sách.",
        "Quy định số 213-QĐ/TW",
        "Chi bộ Tổ dân phố 5 thông báo về đảng viên đang công tác",
        "Nguyễn Văn An",
        "17/05/1985",
        "12 Trần Phú, phường Xuân Hương",
        "theo sổ theo dõi sinh hoạt của Chi bộ Tổ dân phố 5",
        "được mời dự 2 buổi sinh hoạt với đảng viên đang công tác: có mặt 1 buổi, vắng có lý do "
        "0 buổi, vắng không lý do 1 buổi.",
        TEXT,
        "Đề nghị Chi bộ Phòng Ngân sách xem xét",
        "T/M CHI ỦY",
        "BÍ THƯ",
        "Đặng Văn Ộ",
        "Đảng ủy xã, phường (để báo cáo);",
    ):
        assert expected in text, expected
    assert "T/M ĐẢNG ỦY" not in text


def test_a_notice_from_the_commune_is_signed_for_the_commune_committee(login, world):
    assign(world, world.member)
    Organisation.objects.filter(pk=world.commune.pk).update(
        superior_name="Đảng bộ thành phố Đà Lạt"
    )
    world.commune_officer.first_name, world.commune_officer.last_name = "Hoàng Thị Lụa", ""
    world.commune_officer.save()
    RoleFactory(user=world.commune_officer, organisation=world.commune)
    row = services.nonparticipation_report(
        actor=world.commune_officer,
        member=world.member,
        residence_cell=world.residence_cell,
        text=TEXT,
    )
    text = pdf_text(login(world.secretary).get(_url(row)).content)
    for expected in (
        "ĐẢNG BỘ THÀNH PHỐ ĐÀ LẠT",
        "ĐẢNG ỦY PHƯỜNG XUÂN HƯƠNG",
        "-TB/ĐU",
        "Đảng ủy phường Xuân Hương thông báo",
        "được mời dự 0 buổi",
        "T/M ĐẢNG ỦY",
        "Hoàng Thị Lụa",
        "Chi bộ Tổ dân phố 5 (để biết);",
    ):
        assert expected in text, expected
    assert "T/M CHI ỦY" not in text and "CHI BỘ TỔ DÂN PHỐ 5" not in text


def test_both_sides_open_it_and_nobody_else(client, login, world, report):
    url = _url(report)
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and anonymous.url.startswith(reverse("login"))
    for user in (
        world.residence_secretary,
        world.commune_officer,
        world.secretary,
        world.bloc_staff,
    ):
        assert login(user).get(url).status_code == 200, user
    outsider = UserFactory(username="chibo9")
    RoleFactory(user=outsider, organisation=world.other_residence_cell)
    for user in (world.other_secretary, outsider, world.member_user):
        assert login(user).get(url).status_code == 404, user
    assert login(world.secretary).post(url).status_code == 405


def test_the_report_pages_link_to_the_notice(login, world, report):
    url = _url(report)
    sent = login(world.residence_secretary).get(
        reverse("residence:report_list", args=["residence"])
    )
    assert url in sent.content.decode()
    received = login(world.secretary)
    assert (
        url in received.get(reverse("residence:report_list", args=["workplace"])).content.decode()
    )
    page = received.get(reverse("residence:report_acknowledge", args=[report.pk]))
    assert url in page.content.decode()
