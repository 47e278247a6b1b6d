import pytest

from members.models import Member, Organisation
from members.permissions import can_change_member, can_restructure_organisation, can_view_member
from members.scoping import in_scope, scope_paths, scope_q
from members.selectors import members_visible_to

pytestmark = pytest.mark.django_db


def names(user):
    return set(members_visible_to(user).values_list("full_name", flat=True))


def test_each_role_sees_its_subtree(world):
    assert names(world.secretary) == {"Nguyễn Văn An"}
    assert names(world.other_secretary) == {"Đặng Thị Bình"}
    assert names(world.bloc_staff) == {"Nguyễn Văn An"}
    # The residence side sees the members living in its commune.
    assert names(world.commune_officer) == {"Nguyễn Văn An"}
    assert names(world.member_user) == {"Nguyễn Văn An"}
    assert names(world.admin) == {"Nguyễn Văn An", "Đặng Thị Bình"}


def test_user_without_role_sees_nothing(world, django_user_model):
    nobody = django_user_model.objects.create_user("nobody", password="x")
    assert names(nobody) == set()
    assert not Organisation.objects.filter(scope_q(nobody)).exists()


def test_nested_roles_collapse_to_one_prefix(world):
    from tests.members.factories import RoleFactory

    RoleFactory(user=world.bloc_staff, organisation=world.agency)
    from members.scoping import forget_roles

    forget_roles(world.bloc_staff)
    assert scope_paths(world.bloc_staff) == [world.bloc.path]


def test_only_the_workplace_side_changes_a_member(world):
    assert can_change_member(world.secretary, world.member)
    assert can_view_member(world.commune_officer, world.member)
    assert not can_change_member(world.commune_officer, world.member)
    assert not can_change_member(world.member_user, world.member)
    assert not can_view_member(world.other_secretary, world.member)


def test_restructuring_belongs_to_a_committee_above(world):
    assert can_restructure_organisation(world.bloc_staff, world.agency)
    assert not can_restructure_organisation(world.secretary, world.agency)
    assert can_restructure_organisation(world.secretary, world.cell)
    assert not can_restructure_organisation(world.other_secretary, world.cell)
    assert can_restructure_organisation(world.admin, world.province)


def test_in_scope_agrees_with_scope_q(world):
    orgs = list(Organisation.objects.all())
    for user in (world.secretary, world.commune_officer, world.bloc_staff, world.member_user):
        in_query = set(Organisation.objects.filter(scope_q(user)).values_list("pk", flat=True))
        assert {o.pk for o in orgs if in_scope(user, o)} == in_query


def test_dissolved_organisation_roles_reach_nothing(world):
    Organisation.objects.filter(pk=world.agency.pk).update(is_active=False)
    from members.scoping import forget_roles

    forget_roles(world.secretary)
    assert not Member.objects.filter(scope_q(world.secretary, "workplace_org")).exists()
