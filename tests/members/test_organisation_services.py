import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from members import services
from members.models import Member, Organisation, Role
from partyreg.models import AuditEntry
from tests.members.factories import MemberFactory, OrganisationFactory

pytestmark = pytest.mark.django_db
K = Organisation.Kind


def test_paths_follow_the_tree(world):
    assert world.cell.path.startswith(world.agency.path)
    assert world.agency.path.startswith(world.bloc.path)
    assert world.cell.depth == world.province.depth + 3
    subtree = set(world.bloc.subtree().values_list("pk", flat=True))
    assert subtree == {world.bloc.pk, world.agency.pk, world.cell.pk}


def test_subtree_is_one_query(world, django_assert_num_queries):
    with django_assert_num_queries(1):
        names = list(world.province.subtree().values_list("name", flat=True))
    assert len(names) == 11


def test_any_depth(world):
    parent = world.cell
    for level in range(12):
        parent = OrganisationFactory(name=f"Tổ {level}", kind=K.CELL, parent=parent)
    assert parent.depth == world.cell.depth + 12
    assert parent.is_within(world.province)


def test_move_rewrites_the_whole_subtree_and_keeps_members(world, admin_user):
    deep = OrganisationFactory(name="Tổ đảng 1", kind=K.CELL, parent=world.cell)
    services.organisation_move(
        actor=admin_user, organisation=world.agency, new_parent=world.other_bloc
    )
    for org in (world.agency, world.cell, deep):
        org.refresh_from_db()
        assert org.path.startswith(world.other_bloc.path)
    assert deep.depth == world.other_bloc.depth + 3
    assert world.agency.parent == world.other_bloc
    assert Member.objects.get(pk=world.member.pk).workplace_org == world.cell
    entry = AuditEntry.objects.filter(action="organisation.move").get()
    assert entry.changes == {"parent": [world.bloc.name, world.other_bloc.name]}
    assert entry.actor == admin_user


def test_move_under_itself_is_refused_and_changes_nothing(world, admin_user):
    before = list(Organisation.objects.values_list("pk", "path"))
    with pytest.raises(ValidationError, match="under itself"):
        services.organisation_move(
            actor=admin_user, organisation=world.agency, new_parent=world.cell
        )
    assert list(Organisation.objects.values_list("pk", "path")) == before


def test_merge_communes_reassigns_members_children_and_roles(world, admin_user):
    resident = MemberFactory(workplace_org=world.cell, residence_commune=world.other_commune)
    services.organisation_merge(
        actor=admin_user,
        source=world.other_commune,
        target=world.commune,
        note="NQ 1656/NQ-UBTVQH15",
    )
    world.other_commune.refresh_from_db()
    world.other_residence_cell.refresh_from_db()
    resident.refresh_from_db()
    assert not world.other_commune.is_active
    assert world.other_commune.merged_into == world.commune
    assert world.other_commune.dissolved_on is not None
    assert world.other_residence_cell.parent == world.commune
    assert world.other_residence_cell.path.startswith(world.commune.path)
    assert resident.residence_commune == world.commune
    assert Member.objects.get(pk=world.other_member.pk).residence_commune == world.commune
    # The source keeps its name and row, so old records still read correctly.
    assert Organisation.objects.filter(name="Đảng ủy phường Lâm Viên").exists()
    # Each moved member's own history shows the merger.
    history = AuditEntry.objects.filter(subject_id=str(resident.pk), action="member.reassign")
    assert history.get().changes == {
        "residence_commune": ["Đảng ủy phường Lâm Viên", "Đảng ủy phường Xuân Hương"]
    }


def test_merge_moves_roles_to_the_target(world, admin_user):
    from tests.members.factories import RoleFactory, UserFactory

    officer = UserFactory(username="lamvien")
    RoleFactory(user=officer, organisation=world.other_commune, kind=Role.Kind.OFFICER)
    services.organisation_merge(actor=admin_user, source=world.other_commune, target=world.commune)
    assert list(Role.objects.filter(user=officer).values_list("organisation", flat=True)) == [
        world.commune.pk
    ]


@pytest.mark.parametrize(
    "source_attr,target_attr,message",
    [
        ("commune", "commune", "into itself"),
        ("commune", "agency", "same kind"),
        ("bloc", "other_bloc", None),
    ],
)
def test_merge_refusals_change_nothing(world, admin_user, source_attr, target_attr, message):
    source, target = getattr(world, source_attr), getattr(world, target_attr)
    if message is None:
        # The same kind, but the target lies inside the source.
        target = OrganisationFactory(name="Khối con", kind=K.SUPERVISING, parent=source)
        message = "its own units"
    before = list(Organisation.objects.values_list("pk", "path", "is_active"))
    members_before = list(Member.objects.values_list("pk", "workplace_org", "residence_commune"))
    with pytest.raises(ValidationError, match=message):
        services.organisation_merge(actor=admin_user, source=source, target=target)
    assert list(Organisation.objects.values_list("pk", "path", "is_active")) == before
    assert (
        list(Member.objects.values_list("pk", "workplace_org", "residence_commune"))
        == members_before
    )
    assert not AuditEntry.objects.filter(action__startswith="organisation.m").exists()


def test_merged_organisation_cannot_take_new_members(world, admin_user):
    services.organisation_merge(actor=admin_user, source=world.other_cell, target=world.cell)
    with pytest.raises(ValidationError):
        MemberFactory(workplace_org=Organisation.objects.get(pk=world.other_cell.pk))


@pytest.mark.postgres
def test_subtree_read_uses_the_path_index(world):
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        sql, params = world.bloc.subtree().query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("SET enable_seqscan = on")
    assert "org_path_prefix" in plan, plan
