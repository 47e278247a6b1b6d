import pytest
from django.urls import reverse

from members.models import Member
from tests.members.factories import MemberFactory

pytestmark = pytest.mark.django_db


def test_anonymous_is_sent_to_login(client, world):
    response = client.get(reverse("members:member_list"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_secretary_sees_own_members_only(login, world):
    response = login(world.secretary).get(reverse("members:member_list"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Nguyễn Văn An" in body
    assert "Đặng Thị Bình" not in body


def test_member_of_other_organisation_is_404(login, world):
    client = login(world.secretary)
    url = reverse("members:member_detail", args=[world.other_member.pk])
    assert client.get(url).status_code == 404
    assert (
        client.get(reverse("members:member_edit", args=[world.other_member.pk])).status_code == 404
    )


def test_search_ignores_diacritics_and_case(login, world):
    client = login(world.bloc_staff)
    MemberFactory(full_name="Đặng Văn Cường", workplace_org=world.cell)
    body = client.get(reverse("members:member_list"), {"q": "nguyen van an"}).content.decode()
    assert "Nguyễn Văn An" in body and "Đặng Văn Cường" not in body
    body = client.get(reverse("members:member_list"), {"q": "DANG"}).content.decode()
    assert "Đặng Văn Cường" in body and "Nguyễn Văn An" not in body


def test_member_list_query_count_does_not_grow(login, world, django_assert_num_queries):
    client = login(world.bloc_staff)
    url = reverse("members:member_list")
    MemberFactory.create_batch(5, workplace_org=world.cell)
    client.get(url)  # warm the session
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        client.get(url)
    MemberFactory.create_batch(50, workplace_org=world.cell)
    with django_assert_num_queries(len(small)):
        response = client.get(url)
    assert len(response.context["page"].object_list) == 50
    assert Member.objects.count() == 57


def test_organisation_menu_is_short_but_any_unit_in_reach_filters(login, world):
    from tests.members.factories import OrganisationFactory

    deep = OrganisationFactory(name="Tổ đảng Kế toán", kind="cell", parent=world.cell)
    MemberFactory(full_name="Phạm Thị Dung", workplace_org=deep)
    client = login(world.bloc_staff)
    page = client.get(reverse("members:member_list"))
    menu = [
        label for _value, label in page.context["filter"].form["organisation"].field.widget.choices
    ]
    assert any("Đảng bộ Sở Tài chính" in label for label in menu)
    assert not any("Tổ đảng Kế toán" in label for label in menu)
    # A unit below the menu's depth, reached from its organisation page, still filters.
    body = client.get(reverse("members:member_list"), {"organisation": deep.pk}).content.decode()
    assert "Phạm Thị Dung" in body and "Nguyễn Văn An" not in body
    assert "Tổ đảng Kế toán" in body
    # An organisation outside the reach is refused, not silently ignored.
    other = client.get(reverse("members:member_list"), {"organisation": world.other_cell.pk})
    assert "organisation" in other.context["filter"].form.errors
