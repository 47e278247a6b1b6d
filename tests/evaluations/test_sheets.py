"""The printed comment sheet: content, layout across pages, caching by content hash, the
verification code and the verify view."""

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from evaluations import sheets
from evaluations.models import CommentRequest, PrintedSheet, SheetForm
from evaluations.tasks import render_sheet_task
from tests.evaluations.factories import CommentRequestFactory
from tests.members.factories import UserFactory

pytestmark = pytest.mark.django_db

LONG_COMMENT = (
    "Đồng chí luôn gương mẫu, nhiệt tình tham gia các hoạt động của khu phố, vận động gia đình "
    "chấp hành tốt quy định của địa phương; tích cực đóng góp ý kiến trong các cuộc họp. "
) * 12


def pdf_pages(content: bytes) -> list[str]:
    reader = PdfReader(io.BytesIO(content))
    return [" ".join(page.extract_text().split()) for page in reader.pages]


def certified(world, **kwargs) -> CommentRequest:
    kwargs.setdefault("submitted_by", world.residence_secretary)
    kwargs.setdefault("certified_by", world.commune_officer)
    return CommentRequestFactory(member=world.member, residence_cell=world.residence_cell, **kwargs)


def render(request: CommentRequest) -> tuple[PrintedSheet, bool]:
    return sheets.sheet_ensure(sheets.sheet_queryset().get(pk=request.pk))


def test_sheet_prints_member_attendance_comment_and_code(world):
    world.residence_secretary.first_name, world.residence_secretary.last_name = "Ộ", "Đặng Văn"
    world.residence_secretary.save()
    request = certified(
        world,
        meetings_invited=4,
        meetings_present=2,
        meetings_excused=1,
        meetings_unexcused=1,
        answers__levels=[0, 1, 2, 0, 1, 2],
        answers__comments=["Gương mẫu, được bà con tin yêu; ủng hộ quỹ khuyến học."] + [""] * 5,
        other_comments="Đề nghị biểu dương trước chi bộ.",
    )
    sheet, rendered = render(request)
    assert rendered
    request.refresh_from_db()
    text = " ".join(pdf_pages(sheet.pdf.read()))
    for expected in (
        "ĐẢNG ỦY PHƯỜNG XUÂN HƯƠNG",
        "CHI BỘ TỔ DÂN PHỐ 5",
        "ĐẢNG CỘNG SẢN VIỆT NAM",
        "PHIẾU NHẬN XÉT",
        "đảng viên đang công tác thường xuyên giữ mối liên hệ",
        "Chi ủy sau khi họp với ban công tác mặt trận thôn, bản, khu dân cư, tổ dân phố thống "
        "nhất nhận xét về đảng viên Nguyễn Văn An như sau:",
        "Nguyễn Văn An",
        "17/05/1985",
        "Sinh hoạt tại: Chi bộ Phòng Ngân sách, Đảng bộ Sở Tài chính",
        "12 Trần Phú, phường Xuân Hương",
        "Gương mẫu, được bà con tin yêu; ủng hộ quỹ khuyến học.",
        "X Nêu gương tốt",
        "X Không tham gia",
        "Số buổi sinh hoạt được mời: 4; số buổi có mặt: 2; số buổi vắng có lý do: 1; số buổi "
        "vắng không có lý do: 1.",
        "ngày 10 tháng 11 năm 2026 tại Nhà văn hóa tổ dân phố",
        "Phạm Văn Lực — Trưởng ban công tác Mặt trận",
        "Nhận xét khác: Đề nghị biểu dương trước chi bộ.",
        "XÁC NHẬN CỦA ĐẢNG ỦY XÃ, PHƯỜNG, ĐẶC KHU",
        "T/M ĐẢNG ỦY",
        "T/M CHI ỦY (CHI BỘ)",
        "BÍ THƯ",
        "Đà Lạt, ngày 20 tháng 11 năm 2026",
        "Đà Lạt, ngày 12 tháng 11 năm 2026",
        "Đặng Văn Ộ",
        f"Mã xác minh: {request.verification_code}",
        f"/evaluations/verify/{request.verification_code}/",
    ):
        assert expected in text, expected


def test_exempt_sheet_prints_its_three_criteria(world):
    request = certified(world, form=SheetForm.EXEMPT, reason=CommentRequest.Reason.AWARD)
    text = " ".join(pdf_pages(render(request)[0].pdf.read()))
    assert "Thực hiện tốt" in text
    assert "Nhận xét để:" in text  # a comment requested for a procedure says which
    assert "Gương mẫu đi đầu" not in text  # criterion 2 of the normal sheet
    assert text.count("Nhận xét: Đồng chí thực hiện tốt nội dung") == 3


def test_long_comment_flows_onto_more_pages_with_the_signatures_on_the_last(world):
    request = certified(world, answers__comments=[LONG_COMMENT] * 6, other_comments=LONG_COMMENT)
    sheet, _ = render(request)
    pages = pdf_pages(sheet.pdf.read())
    assert len(pages) >= 2
    assert sheet.pages == len(pages)
    *before, last = pages
    assert "T/M CHI ỦY (CHI BỘ)" in last and "XÁC NHẬN CỦA ĐẢNG ỦY XÃ" in last
    assert not any("T/M CHI ỦY (CHI BỘ)" in page for page in before)
    # The criteria table's header repeats on every page it runs over.
    table_pages = [page for page in pages if "Nhận xét: Đồng chí luôn gương mẫu" in page]
    assert len(table_pages) >= 2
    assert all("TT Nội dung nhận xét Mức độ" in page for page in table_pages)
    # Every page carries the verification code in its margin.
    request.refresh_from_db()
    assert all(f"Mã xác minh: {request.verification_code}" in page for page in pages)


def _page_of(pages: list[str], text: str) -> int:
    return next(i for i, page in enumerate(pages) if text in page)


def test_a_long_comment_runs_on_across_the_page_break(world):
    filler = LONG_COMMENT[:600]
    long_ones = [f"Mở đầu {k}. {filler} Kết thúc {k}." for k in range(1, 7)]
    sheet, _ = render(certified(world, answers__comments=long_ones))
    pages = pdf_pages(sheet.pdf.read())
    # No whole row pushed to the next page behind a blank half page: a comment runs on.
    assert any(
        _page_of(pages, f"Mở đầu {k}.") != _page_of(pages, f"Kết thúc {k}.") for k in range(1, 7)
    )


def test_a_short_comment_stays_whole_on_one_page(world):
    filler = LONG_COMMENT[:250]
    short_ones = [f"Mở đầu {k}. {filler} Kết thúc {k}." for k in range(1, 7)]
    sheet, _ = render(certified(world, answers__comments=short_ones))
    pages = pdf_pages(sheet.pdf.read())
    assert len(pages) >= 2
    assert all(
        _page_of(pages, f"Mở đầu {k}.") == _page_of(pages, f"Kết thúc {k}.") for k in range(1, 7)
    )


def test_unchanged_sheet_is_not_rendered_again_and_a_changed_comment_is(
    world, django_capture_on_commit_callbacks
):
    request = certified(world)
    first, rendered = render(request)
    assert rendered
    name, digest = first.pdf.name, first.content_hash

    again, rendered = render(request)
    assert not rendered
    assert (again.pdf.name, again.content_hash) == (name, digest)

    answer = request.answers.get(criterion__position=1)
    answer.comment = "Đồng chí đã khắc phục hạn chế năm trước."
    answer.save()
    with django_capture_on_commit_callbacks(execute=True):
        changed, rendered = render(request)
    assert rendered
    assert changed.content_hash != digest and changed.pdf.name != name
    assert "Đồng chí đã khắc phục hạn chế năm trước." in " ".join(pdf_pages(changed.pdf.read()))
    assert PrintedSheet.objects.filter(request=request).count() == 1
    assert not first.pdf.storage.exists(name)  # the outdated file is removed


def test_render_task_twice_renders_once_and_skips_uncertified(world):
    request = certified(world)
    assert render_sheet_task.apply(args=[request.pk]).get() is True
    assert render_sheet_task.apply(args=[request.pk]).get() is False
    draft = CommentRequestFactory(
        residence_cell=world.residence_cell, state=CommentRequest.State.SUBMITTED
    )
    assert render_sheet_task.apply(args=[draft.pk]).get() is False
    assert not PrintedSheet.objects.filter(request=draft).exists()


def test_queue_sheet_render_renders_in_the_background(world, django_capture_on_commit_callbacks):
    request = certified(world)
    with django_capture_on_commit_callbacks(execute=True):
        sheets.queue_sheet_render(request.pk)
    assert PrintedSheet.objects.filter(request=request).exists()


def test_verification_code_is_unambiguous_unique_and_stable(world):
    first = certified(world)
    second = CommentRequestFactory(residence_cell=world.residence_cell)
    render(first), render(second)
    first.refresh_from_db(), second.refresh_from_db()
    code = first.verification_code
    assert 8 <= len(code) <= 10 and set(code) <= set(sheets.CODE_ALPHABET)
    assert not set(code) & set("01OIL")
    assert second.verification_code != code
    answer = first.answers.first()
    answer.comment = "Khác trước."
    answer.save()
    render(first)
    first.refresh_from_db()
    assert first.verification_code == code


def test_verify_view_opens_the_record_for_authorised_users_only(client, login, world):
    request = certified(world)
    render(request)
    request.refresh_from_db()
    url = reverse("evaluations:sheet_verify", args=[request.verification_code])

    anonymous = client.get(url)
    assert anonymous.status_code == 302 and reverse("login") in anonymous["Location"]

    for user in (world.secretary, world.commune_officer, world.residence_secretary):
        response = login(user).get(url)
        assert response.status_code == 302, user
        assert response["Location"] == reverse("evaluations:request_detail", args=[request.pk])

    assert login(world.other_secretary).get(url).status_code == 404
    assert (
        login(world.secretary).get(url.replace(request.verification_code, "ZZZZZZZZZZ")).status_code
        == 404
    )


def test_sheet_pdf_view(client, login, world):
    request = certified(world)
    url = reverse("evaluations:sheet_pdf", args=[request.pk])
    assert client.get(url).status_code == 302
    response = login(world.secretary).get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "Nguyễn Văn An" in " ".join(pdf_pages(b"".join(response.streaming_content)))
    assert login(UserFactory()).get(url).status_code == 404
    assert login(world.other_secretary).get(url).status_code == 404
