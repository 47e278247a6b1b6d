"""The areas a residence cell covers: kept by the commune, read from members' addresses."""

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from members import services
from members.areas import cell_proposal, names_area
from members.models import Organisation, ResidenceArea, Role
from partyreg.models import AuditEntry
from tests.members.factories import OrganisationFactory, RoleFactory, UserFactory

pytestmark = pytest.mark.django_db

K = Organisation.Kind


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


def _cell(world, name):
    return OrganisationFactory(name=name, kind=K.RESIDENCE_CELL, parent=world.commune)


# --- Reading an address ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address, area, named",
    [
        ("Số 12, đường Trần Phú, tổ dân phố 4", "Tổ dân phố 4", True),
        ("so 12 duong tran phu to dan pho 4", "Tổ dân phố 4", True),  # typed without accents
        ("Số 12, TỔ DÂN PHỐ 4, phường Xuân Hương", "Tổ dân phố 4", True),
        ("Số 12, tổ dân phố 14", "Tổ dân phố 4", False),  # never part of a longer number
        ("Số 12, tổ dân phố 4A", "Tổ dân phố 4", False),
        ("Số 12, tổ dân phố 40", "Tổ dân phố 4", False),
        ("Số 4, tổ dân phố 1", "Tổ dân phố 4", False),
        ("Thôn Tân An, xã Hiệp Thạnh", "Thôn An", False),
        ("Thôn Tân An, xã Hiệp Thạnh", "Thôn Tân An", True),
        ("Số 12", "", False),
    ],
)
def test_an_address_names_an_area_whole(address, area, named):
    assert names_area(address, area) is named


def test_the_proposal_is_the_cell_whose_area_the_address_names(world):
    four = _cell(world, "Chi bộ Tổ dân phố 4")
    fourteen = _cell(world, "Chi bộ Tổ dân phố 14")
    officer = world.commune_officer
    services.residence_area_add(actor=officer, cell=four, name="Tổ dân phố 4")
    services.residence_area_add(actor=officer, cell=fourteen, name="Tổ dân phố 14")
    services.residence_area_add(actor=officer, cell=fourteen, name="Khu phố Hòa Bình")
    cells = list(
        Organisation.objects.filter(pk__in=[four.pk, fourteen.pk]).prefetch_related("areas")
    )
    assert cell_proposal("Số 3, tổ dân phố 14", cells).cell == fourteen
    proposal = cell_proposal("Số 3, To Dan Pho 4", cells)
    assert proposal.cell == four and proposal.area.name == "Tổ dân phố 4"
    assert cell_proposal("Số 3, khu phố Hòa Bình", cells).cell == fourteen
    assert cell_proposal("Số 3, tổ dân phố 7", cells) is None
    assert cell_proposal("", cells) is None


def test_the_longest_area_named_wins_and_a_tie_proposes_nothing(world):
    an, tan_an = _cell(world, "Chi bộ Thôn An"), _cell(world, "Chi bộ Thôn Tân An")
    services.residence_area_add(actor=world.commune_officer, cell=an, name="An")
    services.residence_area_add(actor=world.commune_officer, cell=tan_an, name="Tân An")
    cells = list(Organisation.objects.filter(pk__in=[an.pk, tan_an.pk]).prefetch_related("areas"))
    assert cell_proposal("Số 1, thôn Tân An", cells).cell == tan_an
    services.residence_area_add(actor=world.commune_officer, cell=an, name="Chợ")
    services.residence_area_add(actor=world.commune_officer, cell=tan_an, name="Đồi")
    cells = list(Organisation.objects.filter(pk__in=[an.pk, tan_an.pk]).prefetch_related("areas"))
    # "Chợ" and "Đồi" are named equally well: only a person can choose.
    assert cell_proposal("Số 1, chợ Đồi", cells) is None


# --- The services ------------------------------------------------------------------------------


def test_the_commune_adds_and_removes_areas_with_an_audit_entry(world):
    cell = world.residence_cell
    area = services.residence_area_add(
        actor=world.commune_officer, cell=cell, name="  Tổ dân phố   5 "
    )
    assert area.name == "Tổ dân phố 5" and area.search_name == "to dan pho 5"
    services.residence_area_add(actor=world.commune_officer, cell=cell, name="Tổ dân phố 10")
    entry = AuditEntry.objects.filter(action="organisation.areas").latest("pk")
    assert entry.changes == {"areas": ["Tổ dân phố 5", "Tổ dân phố 5, Tổ dân phố 10"]}
    assert entry.subject_id == str(cell.pk)
    services.residence_area_remove(actor=world.commune_officer, area=area)
    assert list(ResidenceArea.objects.values_list("name", flat=True)) == ["Tổ dân phố 10"]
    entry = AuditEntry.objects.filter(action="organisation.areas").latest("pk")
    assert entry.changes == {"areas": ["Tổ dân phố 5, Tổ dân phố 10", "Tổ dân phố 10"]}


def test_one_area_belongs_to_one_cell_of_a_commune(world):
    other = _cell(world, "Chi bộ Tổ dân phố 6")
    services.residence_area_add(actor=world.commune_officer, cell=world.residence_cell, name="Tổ 5")
    for cell in (world.residence_cell, other):
        with pytest.raises(ValidationError) as refused:
            services.residence_area_add(actor=world.commune_officer, cell=cell, name="tổ 5")
        assert "already an area of Chi bộ Tổ dân phố 5" in refused.value.messages[0]
    # Another commune may have an area of the same name.
    services.residence_area_add(actor=world.admin, cell=world.other_residence_cell, name="Tổ 5")
    assert ResidenceArea.objects.count() == 2


def test_an_empty_name_is_refused_on_its_field(world):
    with pytest.raises(ValidationError) as refused:
        services.residence_area_add(
            actor=world.commune_officer, cell=world.residence_cell, name=" "
        )
    assert "name" in refused.value.message_dict


@pytest.mark.parametrize("who", ["residence_secretary", "secretary", "bloc_staff"])
def test_only_the_commune_keeps_the_areas(world, who):
    with pytest.raises(PermissionDenied):
        services.residence_area_add(
            actor=getattr(world, who), cell=world.residence_cell, name="Tổ dân phố 5"
        )
    area = services.residence_area_add(
        actor=world.commune_officer, cell=world.residence_cell, name="Tổ dân phố 5"
    )
    with pytest.raises(PermissionDenied):
        services.residence_area_remove(actor=getattr(world, who), area=area)
    with pytest.raises(PermissionDenied):  # another commune's officer
        services.residence_area_add(
            actor=world.commune_officer, cell=world.other_residence_cell, name="Tổ dân phố 9"
        )
    assert ResidenceArea.objects.count() == 1


def test_a_merged_cell_passes_its_areas_on(world):
    other = _cell(world, "Chi bộ Tổ dân phố 6")
    officer = world.commune_officer
    services.residence_area_add(actor=officer, cell=world.residence_cell, name="Tổ dân phố 5")
    services.residence_area_add(actor=officer, cell=other, name="Tổ dân phố 6")
    services.organisation_merge(actor=world.admin, source=other, target=world.residence_cell)
    assert sorted(world.residence_cell.areas.values_list("name", flat=True)) == [
        "Tổ dân phố 5",
        "Tổ dân phố 6",
    ]


# --- The organisation page ---------------------------------------------------------------------


def _messages(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_the_commune_officer_keeps_the_areas_on_the_cells_page(login, world):
    client = login(world.commune_officer)
    page_url = reverse("members:organisation_detail", args=[world.residence_cell.pk])
    add_url = reverse("members:residence_area_add", args=[world.residence_cell.pk])
    assert add_url in client.get(page_url).content.decode()
    response = client.post(add_url, {"name": "Tổ dân phố 5"})
    assert response.url == page_url
    assert "added" in _messages(response)[-1]
    area = ResidenceArea.objects.get()
    body = client.get(page_url).content.decode()
    assert "Tổ dân phố 5" in body
    # The commune's page shows each cell's areas beside it.
    commune_page = client.get(reverse("members:organisation_detail", args=[world.commune.pk]))
    assert [c.area_names for c in commune_page.context["children"]] == [["Tổ dân phố 5"]]
    response = client.post(add_url, {"name": "tổ dân phố 5"})
    assert response.status_code == 200
    assert "already an area" in response.context["area_form"].errors["name"][0]
    response = client.post(reverse("members:residence_area_remove", args=[area.pk]))
    assert response.url == page_url and not ResidenceArea.objects.exists()


def test_the_cell_itself_sees_its_areas_but_cannot_change_them(login, world):
    area = services.residence_area_add(
        actor=world.commune_officer, cell=world.residence_cell, name="Tổ dân phố 5"
    )
    client = login(world.residence_secretary)
    page = client.get(reverse("members:organisation_detail", args=[world.residence_cell.pk]))
    assert "Tổ dân phố 5" in page.content.decode() and page.context["area_form"] is None
    add_url = reverse("members:residence_area_add", args=[world.residence_cell.pk])
    assert client.post(add_url, {"name": "Tổ 7"}).status_code == 404
    response = client.post(reverse("members:residence_area_remove", args=[area.pk]))
    assert "Only the commune committee" in _messages(response)[-1]
    assert ResidenceArea.objects.count() == 1


def test_other_commune_gets_404_and_anonymous_goes_to_login(client, login, world):
    area = services.residence_area_add(
        actor=world.commune_officer, cell=world.residence_cell, name="Tổ dân phố 5"
    )
    urls = [
        reverse("members:residence_area_add", args=[world.residence_cell.pk]),
        reverse("members:residence_area_remove", args=[area.pk]),
    ]
    for url in urls:
        response = client.post(url, {"name": "Tổ 9"})
        assert response.status_code == 302 and "/accounts/login/" in response.url
    other_officer = UserFactory(username="phuong2")
    RoleFactory(user=other_officer, organisation=world.other_commune, kind=Role.Kind.OFFICER)
    for url in urls:
        assert login(other_officer).post(url, {"name": "Tổ 9"}).status_code == 404
    assert list(ResidenceArea.objects.values_list("name", flat=True)) == ["Tổ dân phố 5"]
