import pytest
from django.urls import reverse

from members.models import Organisation
from partyreg.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_tree_shows_the_roots_of_the_users_reach(login, world):
    body = login(world.secretary).get(reverse("members:organisation_tree")).content.decode()
    assert "Đảng bộ Sở Tài chính" in body
    assert "Công ty Điện lực" not in body


def test_detail_lists_children_with_counts(login, world):
    response = login(world.bloc_staff).get(
        reverse("members:organisation_detail", args=[world.agency.pk])
    )
    assert response.status_code == 200
    children = list(response.context["children"])
    assert [(c.name, c.member_count) for c in children] == [("Chi bộ Phòng Ngân sách", 1)]


@pytest.mark.parametrize(
    "name", ["members:organisation_detail", "members:organisation_move", "organisation_merge"]
)
def test_other_organisation_is_404(login, world, name):
    client = login(world.secretary)
    assert client.get(reverse(name, args=[world.other_agency.pk])).status_code == 404


@pytest.mark.parametrize("name", ["organisation_tree", "member_list", "member_create"])
def test_anonymous_goes_to_login(client, world, name):
    response = client.get(reverse(f"members:{name}"))
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_a_node_cannot_restructure_itself(login, world):
    client = login(world.secretary)
    assert (
        client.get(reverse("members:organisation_move", args=[world.agency.pk])).status_code == 404
    )


def test_move_through_the_form(login, world):
    client = login(world.admin)
    response = client.post(
        reverse("members:organisation_move", args=[world.cell.pk]),
        {"new_parent": world.other_agency.pk},
    )
    assert response.status_code == 302
    world.cell.refresh_from_db()
    assert world.cell.parent == world.other_agency


def test_merge_through_the_form_and_refusal_shows_on_the_form(login, world):
    client = login(world.admin)
    url = reverse("organisation_merge", args=[world.other_commune.pk])
    bad = client.post(url, {"target": world.agency.pk})
    assert bad.status_code == 200 and bad.context["form"].errors
    assert Organisation.objects.get(pk=world.other_commune.pk).is_active
    ok = client.post(url, {"target": world.commune.pk, "note": "Nghị quyết sáp nhập"})
    assert ok.status_code == 302
    assert not Organisation.objects.get(pk=world.other_commune.pk).is_active
    assert AuditEntry.objects.filter(
        action="organisation.merge", note="Nghị quyết sáp nhập"
    ).exists()


def test_member_create_and_edit_through_forms(login, world):
    client = login(world.secretary)
    data = {
        "full_name": "Trần Thị Hoa",
        "gender": "female",
        "date_of_birth": "1990-02-03",
        "card_number": "79123456",
        "admitted_on": "2015-05-19",
        "workplace_org": world.cell.pk,
        "residence_commune": world.commune.pk,
        "residence_address": "Số 3, đường Hoàng Văn Thụ",
        "status": "active",
        "category": "normal",
    }
    response = client.post(reverse("members:member_create"), data)
    assert response.status_code == 302, response.context["form"].errors
    from members.models import Member

    hoa = Member.objects.get(card_number="79123456")
    assert hoa.residence_commune == world.commune
    detail = client.get(response.url).content.decode()
    assert "Trần Thị Hoa" in detail and "03/02/1990" in detail


def test_create_refuses_an_organisation_outside_the_reach(login, world):
    client = login(world.secretary)
    response = client.post(
        reverse("members:member_create"),
        {
            "full_name": "Lê Văn Tám",
            "gender": "male",
            "date_of_birth": "1990-02-03",
            "card_number": "79123457",
            "admitted_on": "2015-05-19",
            "workplace_org": world.other_cell.pk,
            "status": "active",
            "category": "normal",
        },
    )
    assert response.status_code == 200
    assert "workplace_org" in response.context["form"].errors
    from members.models import Member

    assert not Member.objects.filter(card_number="79123457").exists()


def test_member_sees_only_own_record(login, world):
    client = login(world.member_user)
    response = client.get(reverse("members:member_list"))
    assert response.status_code == 302
    assert response.url == reverse("members:member_detail", args=[world.member.pk])
    assert (
        client.get(reverse("members:member_detail", args=[world.other_member.pk])).status_code
        == 404
    )
    assert client.get(reverse("members:member_edit", args=[world.member.pk])).status_code == 404
