"""The printed comment sheet: content, layout across pages, caching by content hash, the
verification code and the verify view."""

import io

import pikepdf
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from evaluations.models import CommentRequest, PrintedSheet, SheetForm
from evaluations.printing import sheets
from evaluations.printing.tasks import render_sheet_task
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
    assert render_sheet_task.apply(args=[[request.pk]]).get() == 1
    assert render_sheet_task.apply(args=[[request.pk]]).get() == 0
    draft = CommentRequestFactory(
        residence_cell=world.residence_cell, state=CommentRequest.State.SUBMITTED
    )
    assert render_sheet_task.apply(args=[[draft.pk, request.pk]]).get() == 0
    assert not PrintedSheet.objects.filter(request=draft).exists()
    # A single id, as tasks queued before batches carried.
    assert render_sheet_task.apply(args=[request.pk]).get() == 0


def test_render_task_renders_a_batch_in_one_read(world):
    requests = [CommentRequestFactory(residence_cell=world.residence_cell) for _ in range(3)]
    ids = [r.pk for r in requests]
    with CaptureQueriesContext(connection) as queries:
        assert render_sheet_task.apply(args=[ids]).get() == 3
    # The sheets' contents are read once for the batch (two queries), not once a sheet.
    answers = [q for q in queries if 'FROM "evaluations_criterionanswer"' in q["sql"]]
    assert len(answers) == 1
    assert PrintedSheet.objects.filter(request_id__in=ids).count() == 3


def test_queue_sheet_render_sends_batches(world, monkeypatch):
    sent = []
    monkeypatch.setattr(
        render_sheet_task, "apply_async", lambda args, **options: sent.append((args, options))
    )
    sheets.queue_sheet_render(range(1, sheets.RENDER_BATCH * 2 + 2))
    assert [len(args[0]) for args, _options in sent] == [sheets.RENDER_BATCH] * 2 + [1]
    assert {options["queue"] for _args, options in sent} == {"printing"}


def test_queue_sheet_render_renders_in_the_background(world, django_capture_on_commit_callbacks):
    request = certified(world)
    with django_capture_on_commit_callbacks(execute=True):
        sheets.queue_sheet_render([request.pk])
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


def _page_streams(content: bytes) -> list[bytes]:
    with pikepdf.open(io.BytesIO(content)) as document:
        return [
            b"".join(part.read_bytes() for part in page.obj.Contents.wrap_in_array())
            for page in document.pages
        ]


def test_lines_laid_out_once_print_exactly_as_laid_out_afresh(world, monkeypatch):
    """partyreg.pdf keeps the lines WeasyPrint lays out; a sheet drawn from kept lines is the
    same, operator for operator, as one laid out afresh (justified lines, page breaks)."""
    import weasyprint.layout.inline as inline
    import weasyprint.layout.preferred as preferred
    from weasyprint.text import line_break

    from partyreg import pdf

    calls = []

    def counted(*args, **kwargs):
        calls.append(args[0])
        return line_break.split_first_line(*args, **kwargs)

    def use(split):
        monkeypatch.setattr(inline, "split_first_line", split)
        monkeypatch.setattr(preferred, "split_first_line", split)

    request = sheets.sheet_queryset().get(
        pk=certified(world, answers__comments=[LONG_COMMENT[:400]] * 6).pk
    )
    sheets.ensure_verification_code(request)
    context = sheets.sheet_context(sheets.sheet_inputs(request))

    def draw() -> bytes:
        return pdf.render_pdf(sheets.SHEET_TEMPLATE, context, stylesheets=sheets.SHEET_STYLESHEETS)

    pdf.shared_resources()  # installs the cache first, so that the patches below stand
    use(counted)
    afresh = draw()
    laid_out = len(calls)
    use(pdf.cached_split_first_line(counted))
    # Lines kept by the sheets rendered before this test are forgotten.
    pdf.shared_resources().font_config.__dict__.pop("_partyreg_lines", None)
    calls.clear()
    first = draw()
    # Nothing kept from before: only the lines repeated within the sheet are not laid out again.
    assert 0 < len(calls) < laid_out
    calls.clear()
    second = draw()
    assert len(calls) == 0  # every line kept from the first
    assert len(_page_streams(afresh)) >= 2
    assert _page_streams(first) == _page_streams(afresh)
    assert _page_streams(second) == _page_streams(afresh)
    assert pdf_pages(second) == pdf_pages(afresh)


def test_line_cache_is_installed_for_this_weasyprint():
    import weasyprint.layout.inline as inline

    from partyreg import pdf

    pdf.shared_resources()
    assert pdf.install_line_cache() is True
    assert getattr(inline.split_first_line, "partyreg_cached", False)


def test_sheet_links_to_the_configured_site_address(world, settings):
    """The verification link and QR code carry PARTYREG_SITE_URL, never the development address."""
    settings.PARTYREG = {**settings.PARTYREG, "SITE_URL": "https://partyreg.example.vn/"}
    request = certified(world)
    sheet, _rendered = render(request)
    request.refresh_from_db()
    expected = f"https://partyreg.example.vn/evaluations/verify/{request.verification_code}/"
    text = " ".join(pdf_pages(sheet.pdf.read())).replace("\n", "")
    assert expected in text
    assert "127.0.0.1" not in text
    inputs = sheets.sheet_inputs(request)
    assert inputs["verify_url"] == expected
    assert sheets.sheet_context(inputs)["qr_code"] == sheets.qr_data_uri(expected)
