import datetime
import io
import zipfile

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from members import services
from members.models import Member, MemberImport, Organisation
from members.spreadsheets import COLUMNS, ImportHasErrors
from members.spreadsheets import services as import_services
from partyreg.models import AuditEntry
from tests.members.factories import MemberFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

HEADERS = [c.header for c in COLUMNS]
IMPORT_URL = reverse("members:member_import")
EXPORT_URL = reverse("members:member_export")


@pytest.fixture(autouse=True)
def _english(settings):
    # The messages are asserted in their English source wording, whatever the translations say.
    settings.LANGUAGE_CODE = "en"


def row(**values):
    """A full row for HEADERS, from field names; unspecified cells stay blank."""
    return [values.get(c.field) for c in COLUMNS]


def xlsx_bytes(rows, headers=HEADERS) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for values in rows:
        sheet.append(values)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(client, content: bytes, name="danh-sach.xlsx"):
    return client.post(IMPORT_URL, {"file": SimpleUploadedFile(name, content)})


def new_row(world, **overrides):
    values = {
        "full_name": "Trần Thị Cúc",
        "gender": "Nữ",
        "date_of_birth": datetime.datetime(1990, 6, 5),
        "card_number": "79123456",
        "admitted_on": "12/03/2015",
        "full_member_on": "12/03/2016",
        "workplace_org": world.cell.name,
        "phone": "0912345678",
        "residence_commune": "dang uy phuong xuan huong",
        "status": "Đang sinh hoạt",
        "category": "Giới thiệu, tham gia sinh hoạt nơi cư trú",
    }
    values.update(overrides)
    return row(**values)


def existing_row(member: Member, **overrides):
    values = {
        "full_name": member.full_name,
        "gender": member.gender,
        "date_of_birth": member.date_of_birth.strftime("%d/%m/%Y"),
        "card_number": member.card_number,
        "admitted_on": member.admitted_on,
        "full_member_on": member.full_member_on,
        "workplace_org": member.workplace_org.name,
        "residence_address": member.residence_address,
        "residence_commune": member.residence_commune.name if member.residence_commune else None,
    }
    values.update(overrides)
    return row(**values)


def assert_refused(response, code: str, fragment: str):
    assert response.status_code == 200
    errors = response.context["form"].errors.as_data()["file"]
    assert [e.code for e in errors] == [code]
    assert fragment in " ".join(m for e in errors for m in e.messages)
    assert MemberImport.objects.count() == 0


# --- Preview, confirm, audit ----------------------------------------------------------------


def test_preview_then_confirm_creates_updates_and_audits(login, world):
    client = login(world.secretary)
    content = xlsx_bytes([new_row(world), existing_row(world.member, phone="0987000111")])
    members_before = Member.objects.count()

    response = upload(client, content)
    member_import = MemberImport.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("members:member_import_preview", args=[member_import.pk])
    assert member_import.status == MemberImport.Status.PREVIEWED
    assert member_import.summary["counts"] == {"new": 1, "updated": 1, "unchanged": 0, "errors": 0}
    assert Member.objects.count() == members_before  # a preview writes no member

    page = client.get(response.url)
    body = page.content.decode()
    assert "Trần Thị Cúc" in body and "0987000111" in body and 'value="confirm"' in body
    assert page.context["can_apply"]

    response = client.post(response.url, {"action": "confirm"})
    assert response.status_code == 302 and response.url == reverse("members:member_list")
    created = Member.objects.get(card_number="79123456")
    assert created.gender == Member.Gender.FEMALE
    assert created.date_of_birth == datetime.date(1990, 6, 5)
    assert created.admitted_on == datetime.date(2015, 3, 12)
    assert created.workplace_org == world.cell
    assert created.residence_commune == world.commune
    world.member.refresh_from_db()
    assert world.member.phone == "0987000111"
    assert AuditEntry.objects.filter(
        action="member.create", target_id=str(created.pk), actor=world.secretary
    ).exists()
    update = AuditEntry.objects.get(action="member.update", target_id=str(world.member.pk))
    assert update.actor == world.secretary
    assert update.changes["phone"] == ["", "0987000111"]
    assert "danh-sach.xlsx" in update.note
    member_import.refresh_from_db()
    assert member_import.status == MemberImport.Status.APPLIED
    assert member_import.applied_at is not None
    assert AuditEntry.objects.filter(
        action="member_import.apply", target_id=str(member_import.pk)
    ).exists()

    # A second confirmation (a double click) changes nothing more.
    entries = AuditEntry.objects.count()
    client.post(
        reverse("members:member_import_preview", args=[member_import.pk]), {"action": "confirm"}
    )
    assert AuditEntry.objects.count() == entries


def test_choice_and_date_cells_accept_values_labels_and_excel_dates(login, world):
    client = login(world.secretary)
    rows = [
        new_row(world, card_number="1001", gender="nu", status="ACTIVE", category=None),
        new_row(
            world,
            card_number="1002",
            gender="Male",
            admitted_on=datetime.datetime(2015, 3, 12),
            category="mien gioi thieu",
            category_reason="Nhiệm vụ bí mật",
            category_since="2024-01-02",
        ),
        new_row(world, card_number=1003.0, gender="female", workplace_org=world.cell.name.upper()),
    ]
    upload(client, xlsx_bytes(rows))
    member_import = MemberImport.objects.get()
    assert member_import.summary["errors"] == []
    import_services.member_import_apply(actor=world.secretary, member_import=member_import)
    by_card = {
        m.card_number: m for m in Member.objects.filter(card_number__in=["1001", "1002", "1003"])
    }
    assert by_card["1001"].gender == "female" and by_card["1001"].category == "normal"
    assert by_card["1002"].gender == "male"
    assert by_card["1002"].category == Member.Category.EXEMPT_INTRODUCTION
    assert by_card["1002"].category_since == datetime.date(2024, 1, 2)
    assert by_card["1003"].workplace_org == world.cell


def test_file_with_one_bad_row_writes_nothing_and_says_what_to_fix(login, world):
    client = login(world.secretary)
    content = xlsx_bytes(
        [
            new_row(world),
            new_row(world, card_number="79123457", date_of_birth="31/02/1990"),
            new_row(world, card_number="79123458", workplace_org=world.other_cell.name),
            new_row(world, card_number="79123459", gender="không rõ", email="not-an-email"),
            new_row(world, card_number="79123456"),
        ]
    )
    members_before = Member.objects.count()
    response = upload(client, content)
    member_import = MemberImport.objects.get()
    errors = {(e["row"], e["column"]): e["message"] for e in member_import.summary["errors"]}
    assert "dd/mm/yyyy" in errors[(3, "Ngày sinh")]
    assert "within your reach" in errors[(4, "Chi bộ nơi công tác")]
    assert "Nam" in errors[(5, "Giới tính")] and "Nữ" in errors[(5, "Giới tính")]
    assert (5, "Email") in errors
    assert "already in row 2" in errors[(6, "Số thẻ đảng viên")]
    assert member_import.summary["counts"]["errors"] == 4

    page = client.get(response.url)
    body = page.content.decode()
    assert not page.context["can_apply"]
    assert "table-danger" in body and "31/02/1990" in body and 'value="confirm"' not in body

    with pytest.raises(ImportHasErrors):
        import_services.member_import_apply(actor=world.secretary, member_import=member_import)
    client.post(response.url, {"action": "confirm"})
    assert Member.objects.count() == members_before
    assert not AuditEntry.objects.filter(action="member.create", actor=world.secretary).exists()
    member_import.refresh_from_db()
    assert member_import.status == MemberImport.Status.PREVIEWED


def test_update_of_a_member_outside_ones_reach_is_an_error(login, world):
    client = login(world.secretary)
    other = world.other_member
    upload(
        client,
        xlsx_bytes(
            [existing_row(other, workplace_org=other.workplace_org.name, phone="0900000000")]
        ),
    )
    errors = MemberImport.objects.get().summary["errors"]
    assert [(e["row"], e["column"]) for e in errors] == [(2, "Số thẻ đảng viên")]
    assert "outside your reach" in errors[0]["message"]


def test_a_card_outside_ones_reach_confirms_nothing_of_the_other_columns(login, world):
    """Issue 15, finding 1: a sheet with another organisation's card and a guessed status,
    residence or workplace, one column at a time, must get the same answer whatever the guess:
    "unchanged", an error on the guessed column or a workplace accepted because it is the
    member's own would each confirm it."""
    client = login(world.secretary)
    other = world.other_member
    guesses = {
        "the true values": {},
        "a right status": {"status": "Đang sinh hoạt"},
        "a wrong status": {"status": "Bị khai trừ"},
        "a right residence": {"residence_commune": world.other_commune.name},
        "a wrong residence": {"residence_commune": world.commune.name},
        "the right workplace": {"workplace_org": world.other_cell.name},
        "a workplace in reach": {"workplace_org": world.cell.name},
        "an unknown workplace": {"workplace_org": "Chi bộ Không Có"},
        "a right birth date": {"date_of_birth": other.date_of_birth.strftime("%d/%m/%Y")},
        "an impossible date": {"date_of_birth": "31/02/1990"},
        "a new phone": {"phone": "0900000000"},
    }
    answers = {}
    for guess, values in guesses.items():
        upload(client, xlsx_bytes([existing_row(other, **values)]))
        summary = MemberImport.objects.latest("pk").summary
        answers[guess] = (summary["counts"], summary["rows"], summary["errors"])
    refused = (
        {"new": 0, "updated": 0, "unchanged": 0, "errors": 1},
        [],
        [
            {
                "row": 2,
                "column": "Số thẻ đảng viên",
                "message": f"The member with card number {other.card_number} belongs to an "
                "organisation outside your reach; check the number, or leave this member out "
                "of the file.",
            }
        ],
    )
    assert {guess: answer for guess, answer in answers.items() if answer != refused} == {}


def test_a_card_outside_ones_reach_twice_is_refused_alike_in_both_rows(login, world):
    client = login(world.secretary)
    other = world.other_member
    upload(client, xlsx_bytes([existing_row(other), existing_row(other, status="Bị khai trừ")]))
    errors = MemberImport.objects.get().summary["errors"]
    assert [(e["row"], e["column"]) for e in errors] == [
        (2, "Số thẻ đảng viên"),
        (3, "Số thẻ đảng viên"),
    ]
    assert errors[0]["message"] == errors[1]["message"]


def test_import_cannot_change_residence_or_status_of_an_existing_member(login, world):
    # Those go through "Record a change", which tells the residence side; an import must not
    # slip past it.
    client = login(world.secretary)
    upload(
        client,
        xlsx_bytes(
            [
                existing_row(
                    world.member, residence_commune=world.other_commune.name, status="expelled"
                )
            ]
        ),
    )
    errors = MemberImport.objects.get().summary["errors"]
    assert sorted(e["column"] for e in errors) == ["Tình trạng", "Xã/phường nơi cư trú"]
    assert all("Record a change" in e["message"] for e in errors)
    world.member.refresh_from_db()
    assert world.member.residence_commune == world.commune


def test_confirm_revalidates_the_stored_file(login, world):
    client = login(world.secretary)
    response = upload(client, xlsx_bytes([new_row(world)]))
    member_import = MemberImport.objects.get()
    # Between preview and confirmation the cell is merged away (dissolved).
    target = OrganisationFactory(
        name="Chi bộ mới", kind=Organisation.Kind.CELL, parent=world.agency
    )
    services.organisation_merge(actor=world.admin, source=world.cell, target=target)
    page = client.post(response.url, {"action": "confirm"})
    assert page.status_code == 200
    assert page.context["errors"][0]["column"] == "Chi bộ nơi công tác"
    assert not Member.objects.filter(card_number="79123456").exists()
    member_import.refresh_from_db()
    assert member_import.status == MemberImport.Status.PREVIEWED


def test_apply_refuses_an_import_not_waiting(world):
    member_import = import_services.member_import_create(
        actor=world.secretary,
        upload=SimpleUploadedFile("a.xlsx", xlsx_bytes([new_row(world)])),
    )
    import_services.member_import_discard(actor=world.secretary, member_import=member_import)
    with pytest.raises(ValidationError, match="discarded"):
        import_services.member_import_apply(actor=world.secretary, member_import=member_import)
    assert not Member.objects.filter(card_number="79123456").exists()


def test_discard_button_discards(login, world):
    client = login(world.secretary)
    response = upload(client, xlsx_bytes([new_row(world)]))
    member_import = MemberImport.objects.get()
    client.post(response.url, {"action": "discard"})
    member_import.refresh_from_db()
    assert member_import.status == MemberImport.Status.DISCARDED
    assert not Member.objects.filter(card_number="79123456").exists()


# --- Files refused as a whole ---------------------------------------------------------------


def test_corrupt_file_is_refused(login, world):
    client = login(world.secretary)
    good = xlsx_bytes([new_row(world)])
    assert_refused(upload(client, good[: len(good) // 2]), "damaged", "Open it in Excel")
    # A sound zip directory over a broken sheet: the damage shows only when parsing.
    broken = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as source, zipfile.ZipFile(broken, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename.startswith("xl/worksheets/"):
                data = data[: len(data) // 2]
            target.writestr(info, data)
    assert_refused(upload(client, broken.getvalue()), "damaged", "Open it in Excel")


@pytest.mark.parametrize(
    ("name", "content", "code", "fragment"),
    [
        ("danh-sach.xlsx", "Họ và tên,Giới tính\nAn,Nam\n".encode(), "not_xlsx", "save it"),
        ("danh-sach.csv", b"card;name\n1;An\n", "not_xlsx", "not an Excel .xlsx"),
        ("ghi-chu.txt", b"just some notes", "not_xlsx", "not an Excel .xlsx"),
        ("cu.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "xls", "97–2003 (.xls)"),
    ],
)
def test_not_xlsx_is_refused(login, world, name, content, code, fragment):
    assert_refused(upload(login(world.secretary), content, name), code, fragment)


def test_a_zip_that_is_not_a_workbook_is_refused(login, world):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    assert_refused(upload(login(world.secretary), buffer.getvalue()), "not_xlsx", "template")


def test_too_large_file_is_refused(login, world, settings):
    settings.PARTYREG = {**settings.PARTYREG, "IMPORT_MAX_BYTES": 2000}
    content = xlsx_bytes([new_row(world, card_number=str(n)) for n in range(100)])
    assert len(content) > 2000
    assert_refused(upload(login(world.secretary), content), "too_large", "Split the list")


def _with_sheet_replaced(content: bytes, sheet_data: bytes) -> bytes:
    bomb = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(content)) as source,
        zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = sheet_data
            target.writestr(info.filename, data, compress_type=zipfile.ZIP_DEFLATED)
    return bomb.getvalue()


def test_zip_bomb_is_refused_before_parsing(login, world, monkeypatch):
    from members.spreadsheets import reading

    parsed = []
    monkeypatch.setattr(reading.openpyxl, "load_workbook", lambda *a, **k: parsed.append(1))
    sheet = b'<?xml version="1.0"?><worksheet><sheetData>' + b" " * (8 * 1024 * 1024)
    bomb = _with_sheet_replaced(xlsx_bytes([new_row(world)]), sheet)
    assert len(bomb) < 100_000  # eight megabytes packed into a few kilobytes
    assert_refused(upload(login(world.secretary), bomb), "zip_bomb", "8.0 MB")
    assert parsed == []


def test_file_unpacking_past_what_the_row_limit_allows_is_refused(login, world, settings):
    settings.PARTYREG = {**settings.PARTYREG, "IMPORT_MAX_ROWS": 10}
    # Barely compressible filler: a low packing ratio, but far more than ten rows need.
    filler = bytes(range(256)) * 12_000
    bomb = _with_sheet_replaced(xlsx_bytes([new_row(world)]), filler)
    assert_refused(upload(login(world.secretary), bomb), "zip_bomb", "unpacks to")


def test_too_many_rows_is_refused(login, world, settings):
    settings.PARTYREG = {**settings.PARTYREG, "IMPORT_MAX_ROWS": 3}
    content = xlsx_bytes([new_row(world, card_number=str(9000 + n)) for n in range(4)])
    assert_refused(upload(login(world.secretary), content), "too_many_rows", "more than 3 rows")
    content = xlsx_bytes([new_row(world, card_number=str(9000 + n)) for n in range(3)])
    assert upload(login(world.secretary), content).status_code == 302


def test_blank_rows_count_against_the_row_limit_and_reading_stops_there(
    login, world, settings, monkeypatch
):
    """Issue 15, finding 6: a workbook of a million blank rows took 22 s of server time before
    "no member rows". Blank rows (here, the gap before row 5000) count like any other, and
    reading stops at the limit."""
    from members.spreadsheets import reading

    settings.PARTYREG = {**settings.PARTYREG, "IMPORT_MAX_ROWS": 10}
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADERS)
    for column, value in enumerate(new_row(world), start=1):
        sheet.cell(row=5000, column=column, value=value)
    buffer = io.BytesIO()
    workbook.save(buffer)

    rows_read = []
    load_workbook = reading.openpyxl.load_workbook

    def counting(*args, **kwargs):
        book = load_workbook(*args, **kwargs)
        first = book.worksheets[0]
        iter_rows = first.iter_rows

        def counted(*a, **k):
            for values in iter_rows(*a, **k):
                rows_read.append(1)
                yield values

        first.iter_rows = counted
        return book

    monkeypatch.setattr(reading.openpyxl, "load_workbook", counting)
    response = upload(login(world.secretary), buffer.getvalue())
    assert_refused(response, "too_many_rows", "more than 10 rows")
    assert len(rows_read) <= 1 + 10 + 1  # the headers, the limit, and the row past it


def test_blank_rows_within_the_limit_are_skipped(login, world, settings):
    settings.PARTYREG = {**settings.PARTYREG, "IMPORT_MAX_ROWS": 5}
    blank = [None] * len(HEADERS)
    content = xlsx_bytes([blank, new_row(world), blank, blank])
    assert upload(login(world.secretary), content).status_code == 302
    assert MemberImport.objects.get().summary["counts"]["new"] == 1


def test_missing_and_unknown_headers_are_named(login, world):
    headers = [h for h in HEADERS if h != "Ngày sinh"] + ["Ghi chú"]
    response = upload(login(world.secretary), xlsx_bytes([], headers=headers))
    errors = " ".join(response.context["form"].errors["file"])
    assert "“Ngày sinh”" in errors and "“Ghi chú”" in errors
    assert MemberImport.objects.count() == 0


# --- Export ---------------------------------------------------------------------------------


def read_export(response) -> list[dict]:
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(workbook.active.iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS
    return [dict(zip(HEADERS, r, strict=True)) for r in rows[1:]]


def test_export_then_import_round_trips_with_no_change(login, world):
    MemberFactory(
        full_name="=Lê Văn Dũng",
        workplace_org=world.cell,
        residence_commune=world.other_commune,
        phone="0263123456",
        email="dung@example.vn",
        position="Phó trưởng phòng",
        profile_number="LL-15",
        full_member_on=None,
        status=Member.Status.DISCIPLINED,
        category=Member.Category.EXEMPT_ACTIVITY,
        category_reason="Học tập dài hạn",
        category_since=datetime.date(2025, 9, 1),
    )
    coded = OrganisationFactory(
        name="Chi bộ Phòng Ngân sách",
        code="CB-NS2",
        kind=Organisation.Kind.CELL,
        parent=world.agency,
    )
    MemberFactory(full_name="Phạm Thị Hoa", gender=Member.Gender.FEMALE, workplace_org=coded)
    client = login(world.secretary)
    response = client.get(EXPORT_URL)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    content = b"".join(response.streaming_content)
    exported = openpyxl.load_workbook(io.BytesIO(content)).active
    assert exported["A3"].data_type == "s"  # "=Lê Văn Dũng" is text, not a formula
    assert {r[0] for r in exported.iter_rows(min_row=2, values_only=True)} == {
        "Nguyễn Văn An",
        "=Lê Văn Dũng",
        "Phạm Thị Hoa",
    }

    upload(client, content, "export.xlsx")
    summary = MemberImport.objects.get().summary
    assert summary["errors"] == []
    assert summary["counts"] == {"new": 0, "updated": 0, "unchanged": 3, "errors": 0}


def test_export_writes_names_and_the_codes_in_their_own_columns(login, world):
    coded = OrganisationFactory(
        name="Chi bộ Phòng Ngân sách",
        code="CB-NS2",
        kind=Organisation.Kind.CELL,
        parent=world.agency,
    )
    Organisation.objects.filter(pk=world.commune.pk).update(code="P-XH")
    MemberFactory(full_name="Phạm Thị Hoa", workplace_org=coded, residence_commune=world.commune)
    rows = {r["Họ và tên"]: r for r in read_export(login(world.secretary).get(EXPORT_URL))}
    hoa, an = rows["Phạm Thị Hoa"], rows["Nguyễn Văn An"]
    assert hoa["Chi bộ nơi công tác"] == "Chi bộ Phòng Ngân sách"
    assert hoa["Mã chi bộ nơi công tác"] == "CB-NS2"
    assert hoa["Xã/phường nơi cư trú"] == "Đảng ủy phường Xuân Hương"
    assert hoa["Mã xã/phường nơi cư trú"] == "P-XH"
    assert an["Chi bộ nơi công tác"] == "Chi bộ Phòng Ngân sách"
    assert an["Mã chi bộ nơi công tác"] is None  # an organisation without a code


def test_import_reads_an_organisation_by_its_code_first(login, world):
    coded = OrganisationFactory(
        name="Chi bộ Phòng Ngân sách",
        code="CB-NS2",
        kind=Organisation.Kind.CELL,
        parent=world.agency,
    )
    client = login(world.secretary)
    # Two cells share the name: without a code the row cannot say which.
    upload(client, xlsx_bytes([new_row(world)]))
    errors = MemberImport.objects.latest("pk").summary["errors"]
    assert [e["column"] for e in errors] == ["Chi bộ nơi công tác"]
    assert "write the code" in errors[0]["message"]
    # A code nobody has is named.
    upload(client, xlsx_bytes([new_row(world, workplace_org_code="CB-KHONG")]))
    errors = MemberImport.objects.latest("pk").summary["errors"]
    assert [e["column"] for e in errors] == ["Chi bộ nơi công tác"]
    assert "“CB-KHONG”" in errors[0]["message"]
    # With the code, the row reads; the name beside it is for people.
    upload(client, xlsx_bytes([new_row(world, workplace_org_code="cb-ns2")]))
    member_import = MemberImport.objects.latest("pk")
    assert member_import.summary["errors"] == []
    import_services.member_import_apply(actor=world.secretary, member_import=member_import)
    assert Member.objects.get(card_number="79123456").workplace_org == coded


def test_a_file_with_the_code_column_alone_is_read(login, world):
    coded = OrganisationFactory(
        name="Chi bộ Văn phòng", code="CB-VP", kind=Organisation.Kind.CELL, parent=world.agency
    )
    headers = [h for h in HEADERS if h != "Chi bộ nơi công tác"]
    values = dict(zip(HEADERS, new_row(world, workplace_org_code="CB-VP"), strict=True))
    upload(login(world.secretary), xlsx_bytes([[values[h] for h in headers]], headers=headers))
    member_import = MemberImport.objects.get()
    assert member_import.summary["errors"] == []
    import_services.member_import_apply(actor=world.secretary, member_import=member_import)
    assert Member.objects.get(card_number="79123456").workplace_org == coded


def test_export_respects_filters_and_scope(login, world):
    MemberFactory(full_name="Võ Văn Em", workplace_org=world.cell, status=Member.Status.DECEASED)
    client = login(world.secretary)
    names = {r["Họ và tên"] for r in read_export(client.get(EXPORT_URL))}
    assert names == {"Nguyễn Văn An", "Võ Văn Em"}  # the other bloc's member is absent
    rows = read_export(client.get(EXPORT_URL, {"status": "deceased"}))
    assert [r["Họ và tên"] for r in rows] == ["Võ Văn Em"]
    assert rows[0]["Tình trạng"] == "Từ trần"
    rows = read_export(client.get(EXPORT_URL, {"q": "nguyen"}))
    assert [r["Họ và tên"] for r in rows] == ["Nguyễn Văn An"]
    assert rows[0]["Ngày sinh"] == datetime.datetime(1985, 5, 17)
    # Asking for another bloc's organisation does not widen the scope.
    rows = read_export(client.get(EXPORT_URL, {"organisation": world.other_agency.pk}))
    assert "Đặng Thị Bình" not in {r["Họ và tên"] for r in rows}


def test_export_query_count_does_not_grow_with_rows(login, world):
    client = login(world.bloc_staff)
    client.get(EXPORT_URL)  # warm the session
    with CaptureQueriesContext(connection) as few:
        assert len(read_export(client.get(EXPORT_URL))) == 1
    MemberFactory.create_batch(60, workplace_org=world.cell, residence_commune=world.commune)
    with CaptureQueriesContext(connection) as many:
        assert len(read_export(client.get(EXPORT_URL))) == 61
    assert len(many) == len(few)


def test_template_has_the_header_row(login, world):
    response = login(world.secretary).get(reverse("members:member_import_template"))
    assert read_export(response) == []


# --- Permissions ----------------------------------------------------------------------------


def test_other_users_import_is_404(login, world):
    member_import = import_services.member_import_create(
        actor=world.secretary, upload=SimpleUploadedFile("a.xlsx", xlsx_bytes([new_row(world)]))
    )
    url = reverse("members:member_import_preview", args=[member_import.pk])
    client = login(world.bloc_staff)
    assert client.get(url).status_code == 404
    assert client.post(url, {"action": "confirm"}).status_code == 404
    assert not Member.objects.filter(card_number="79123456").exists()


def test_residence_side_cannot_import(login, world):
    client = login(world.residence_secretary)
    assert client.get(IMPORT_URL).status_code == 404
    assert client.get(reverse("members:member_import_template")).status_code == 404
    body = client.get(reverse("members:member_list")).content.decode()
    assert IMPORT_URL not in body and EXPORT_URL in body


def test_member_without_role_cannot_export(login, world):
    assert login(world.member_user).get(EXPORT_URL).status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        IMPORT_URL,
        EXPORT_URL,
        reverse("members:member_import_template"),
        reverse("members:member_import_preview", args=[1]),
    ],
)
def test_anonymous_is_sent_to_login(client, world, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
