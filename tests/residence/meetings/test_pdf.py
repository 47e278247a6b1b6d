import datetime
import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from members.models import Organisation
from residence.meetings.models import Attendance
from residence.meetings.pdf import header_for, issuer_name
from tests.members.factories import OrganisationFactory
from tests.residence.meetings.setup import assign, cell_member, held_and_confirmed, record, schedule

pytestmark = pytest.mark.django_db
A = Attendance.Status


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def test_attendance_list_prints_in_the_party_layout(login, world):
    Organisation.objects.filter(pk=world.commune.pk).update(place_name="Đà Lạt")
    Organisation.objects.filter(pk=world.residence_cell.pk).update(place_name="")
    assign(world, world.member)
    hoa = cell_member(world, "Trần Thị Hoa")
    duc = cell_member(world, "Lê Văn Đức")
    meeting = held_and_confirmed(
        world,
        {world.member: A.PRESENT, hoa: (A.EXCUSED, "Đi công tác Huế"), duc: A.UNEXCUSED},
        held_on=datetime.date.today(),
    )
    response = login(world.residence_secretary).get(
        reverse("residence:meeting_pdf", args=[meeting.pk])
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    for expected in (
        "ĐẢNG ỦY PHƯỜNG XUÂN HƯƠNG",
        "CHI BỘ TỔ DÂN PHỐ 5",
        "ĐẢNG CỘNG SẢN VIỆT NAM",
        "Đà Lạt, ngày",
        "DANH SÁCH ĐẢNG VIÊN ĐANG CÔNG TÁC DỰ SINH HOẠT",
        "Nhà văn hóa tổ dân phố 5",
        "Nguyễn Văn An",
        "Trần Thị Hoa",
        "Lê Văn Đức",
        "Chi bộ Phòng Ngân sách",
        "Có mặt",
        "Vắng có lý do",
        "Đi công tác Huế",
        "Vắng không lý do",
        "có mặt: 1; vắng có lý do: 1; vắng không lý do: 1",
        "T/M CHI ỦY",
        "BÍ THƯ",
    ):
        assert expected in text, expected
    assert "Bản nháp" not in text


def test_unconfirmed_list_prints_as_a_draft(login, world):
    assign(world, world.member)
    meeting = schedule(world)
    record(world, meeting, {world.member: A.PRESENT})
    text = pdf_text(
        login(world.commune_officer)
        .get(reverse("residence:meeting_pdf", args=[meeting.pk]))
        .content
    )
    assert "Bản nháp" in text and "Nguyễn Văn An" in text


def test_header_takes_the_commune_and_the_nearest_place(world):
    Organisation.objects.filter(pk=world.commune.pk).update(place_name="")
    Organisation.objects.filter(pk=world.province.pk).update(place_name="Lâm Đồng")
    cell = Organisation.objects.get(pk=world.residence_cell.pk)
    assert header_for(cell) == {
        "superior_name": "ĐẢNG ỦY PHƯỜNG XUÂN HƯƠNG",
        "issuer_name": "CHI BỘ TỔ DÂN PHỐ 5",
        "place": "Lâm Đồng",
    }
    bare = OrganisationFactory(name="Khu phố Hòa Bình", kind="residence_cell", parent=world.commune)
    assert issuer_name(bare) == "CHI BỘ KHU PHỐ HÒA BÌNH"
