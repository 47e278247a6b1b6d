import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from members.models import Member
from residence import services
from tests.members.factories import MemberFactory

pytestmark = pytest.mark.django_db


def pdf_text(content: bytes) -> list[str]:
    reader = PdfReader(io.BytesIO(content))
    return [" ".join(page.extract_text().split()) for page in reader.pages]


def test_letter_prints_with_diacritics_intact(login, world):
    referral = services.referral_issue(actor=world.secretary, member=world.member)
    services.referral_receive(actor=world.commune_officer, referral=referral)
    services.referral_assign(
        actor=world.commune_officer, referral=referral, residence_cell=world.residence_cell
    )
    response = login(world.secretary).get(reverse("residence:referral_letter", args=[referral.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    (text,) = pdf_text(response.content)
    for expected in (
        "ĐẢNG BỘ SỞ TÀI CHÍNH",
        "ĐẢNG CỘNG SẢN VIỆT NAM",
        "Số 1-GGT/ĐU",
        "GIẤY GIỚI THIỆU",
        "Kính gửi: Đảng ủy phường Xuân Hương",
        "Quy định số 213-QĐ/TW ngày 02/01/2020 của Bộ Chính trị",
        "Nguyễn Văn An",
        "17/05/1985",
        "Chi bộ Phòng Ngân sách",
        "12 Trần Phú, phường Xuân Hương",
        "T/M ĐẢNG ỦY",
        "BÍ THƯ",
        "ĐẢNG ỦY (CHI ỦY) NƠI CƯ TRÚ",
        "Chi bộ Tổ dân phố 5",
        "Đà Lạt, ngày",
    ):
        assert expected in text, expected
    assert "miễn sinh hoạt" not in text


def test_batch_prints_every_letter_one_per_page_and_marks_exempt(login, world):
    MemberFactory(
        full_name="Trần Thị Học",
        gender=Member.Gender.FEMALE,
        workplace_org=world.cell,
        residence_commune=world.other_commune,
        category=Member.Category.EXEMPT_ACTIVITY,
        category_reason="Học tập tập trung",
    )
    result = services.referral_issue_many(
        actor=world.secretary, members=list(Member.objects.filter(workplace_org=world.cell))
    )
    response = login(world.secretary).get(
        reverse("residence:referral_letters"), {"batch": str(result.batch)}
    )
    assert response.status_code == 200
    pages = pdf_text(response.content)
    assert len(pages) == 2
    exempt_page = next(p for p in pages if "Trần Thị Học" in p)
    assert "miễn sinh hoạt ở nơi cư trú" in exempt_page
    assert "Giới tính: Nữ" in exempt_page
    assert "Kính gửi: Đảng ủy phường Lâm Viên" in exempt_page


def test_letters_of_another_organisation_are_not_printed(login, world):
    referral = services.referral_issue(actor=world.secretary, member=world.member)
    client = login(world.other_secretary)
    assert client.get(reverse("residence:referral_letter", args=[referral.pk])).status_code == 404
    response = client.post(reverse("residence:referral_letters"), {"ids": [referral.pk]})
    assert response.status_code == 302  # nothing of theirs ticked: back with a message


def test_ticked_letters_print_in_one_file(login, world):
    second = MemberFactory(workplace_org=world.cell, residence_commune=world.commune)
    ids = [
        services.referral_issue(actor=world.secretary, member=m).pk for m in (world.member, second)
    ]
    response = login(world.commune_officer).post(
        reverse("residence:referral_letters"), {"ids": ids}
    )
    assert response.status_code == 200
    pages = pdf_text(response.content)
    assert len(pages) == 2
    assert "Số 1-GGT/ĐU" in pages[0] and "Số 2-GGT/ĐU" in pages[1]
