"""Lists of cells and organisations read in Vietnamese order, numbers in number order."""

import pytest
from django.urls import reverse

from members.models import Organisation
from members.ordering import in_tree_order
from tests.members.factories import OrganisationFactory

pytestmark = pytest.mark.django_db

K = Organisation.Kind


@pytest.fixture
def cells(world):
    """The commune's cells, created out of order: 5 (the world's), 10, 2, 1."""
    for n in (10, 2, 1):
        OrganisationFactory(
            name=f"Chi bộ Tổ dân phố {n}", kind=K.RESIDENCE_CELL, parent=world.commune
        )
    return [f"Chi bộ Tổ dân phố {n}" for n in (1, 2, 5, 10)]


def test_tree_order_puts_units_under_their_parent_and_siblings_by_name(world, cells):
    OrganisationFactory(name="Đảng ủy phường 1", kind=K.COMMUNE, parent=world.province)
    ordered = in_tree_order(Organisation.objects.order_by("-pk"))
    names = [o.name for o in ordered]
    assert names[0] == "Đảng bộ tỉnh Lâm Đồng"
    # Siblings: "Đảng bộ …" before "Đảng ủy …" (b before u), "phường 1" before "phường Lâm Viên".
    top = [o.name for o in ordered if o.parent_id == world.province.pk]
    assert top == [
        "Đảng bộ Khối các cơ quan tỉnh",
        "Đảng bộ Khối doanh nghiệp",
        "Đảng ủy phường 1",
        "Đảng ủy phường Lâm Viên",
        "Đảng ủy phường Xuân Hương",
    ]
    start = names.index("Đảng ủy phường Xuân Hương")
    assert names[start + 1 : start + 5] == cells
    # Cells whose commune is not in the list stay together, by name.
    only_cells = in_tree_order(Organisation.objects.filter(kind=K.RESIDENCE_CELL).order_by("-pk"))
    assert [o.name for o in only_cells] == [*cells, "Chi bộ Tổ dân phố 9"]


def test_the_communes_page_lists_its_cells_in_number_order(login, world, cells):
    response = login(world.commune_officer).get(
        reverse("members:organisation_detail", args=[world.commune.pk])
    )
    assert [c.name for c in response.context["children"]] == cells


def test_menus_of_cells_and_organisations_are_in_number_order(login, world, cells):
    client = login(world.commune_officer)
    response = client.get(reverse("residence:referral_list", args=["residence"]))
    assert [c.name for c in response.context["cells"]] == cells
    choices = response.context["filter"].form.fields["organisation"].choices
    assert [label for _value, label in choices][1:] == ["Đảng ủy phường Xuân Hương", *cells]
    response = client.get(reverse("residence:meeting_index"))
    assert [c.name for c in response.context["page"]] == cells


def test_the_member_lists_menu_follows_the_tree_by_name(login, world):
    for name in ("Chi bộ Phòng 10", "Chi bộ Phòng 2"):
        OrganisationFactory(name=name, kind=K.CELL, parent=world.agency)
    form = login(world.secretary).get(reverse("members:member_list")).context["filter"].form
    labels = [label.strip() for _value, label in form.fields["organisation"].widget.choices][1:]
    assert labels == [
        "Đảng bộ Sở Tài chính",
        "Chi bộ Phòng 2",
        "Chi bộ Phòng 10",
        "Chi bộ Phòng Ngân sách",
    ]
