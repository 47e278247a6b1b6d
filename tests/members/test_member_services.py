import datetime

import pytest
from django.core.exceptions import ValidationError

from members import services
from members.models import Member
from partyreg.audit import audit_history
from partyreg.models import AuditEntry
from tests.members.factories import MemberFactory

pytestmark = pytest.mark.django_db


def test_create_is_audited_with_every_value(world):
    entry = audit_history(world.member).get(action="member.create")
    assert entry.changes["full_name"] == [None, "Nguyễn Văn An"]
    assert entry.changes["date_of_birth"] == [None, "17/05/1985"]
    assert entry.changes["workplace_org"] == [None, "Chi bộ Phòng Ngân sách"]


def test_update_records_old_and_new_values_and_who(world):
    services.member_update(
        actor=world.secretary, member=world.member, phone="0912345678", position="Chuyên viên"
    )
    entry = audit_history(world.member).get(action="member.update")
    assert entry.actor == world.secretary
    assert entry.actor_name == "coquan" or entry.actor_name == world.secretary.get_full_name()
    assert entry.changes == {"phone": ["", "0912345678"], "position": ["", "Chuyên viên"]}


def test_update_without_change_writes_no_entry(world):
    services.member_update(actor=world.secretary, member=world.member, phone="")
    assert not audit_history(world.member).filter(action="member.update").exists()


def test_search_name_follows_full_name(world):
    member = services.member_update(actor=None, member=world.member, full_name="Đỗ Thị Ánh")
    assert Member.objects.get(pk=member.pk).search_name == "do thi anh"


def test_exemption_needs_a_reason_and_is_dated(world):
    with pytest.raises(ValidationError) as excinfo:
        services.member_update(
            actor=world.secretary, member=world.member, category=Member.Category.EXEMPT_ACTIVITY
        )
    assert "category_reason" in excinfo.value.error_dict
    assert Member.objects.get(pk=world.member.pk).category == Member.Category.NORMAL

    member = services.member_update(
        actor=world.secretary,
        member=world.member,
        category=Member.Category.EXEMPT_ACTIVITY,
        category_reason="Học tập tập trung cả năm",
    )
    assert member.category_since is not None


@pytest.mark.parametrize(
    "field,value,error_field",
    [
        ("date_of_birth", datetime.date(2099, 1, 1), "date_of_birth"),
        ("admitted_on", datetime.date(1980, 1, 1), "admitted_on"),
        ("full_member_on", datetime.date(2000, 1, 1), "full_member_on"),
        ("email", "not-an-address", "email"),
    ],
)
def test_bad_values_are_refused_and_change_nothing(world, field, value, error_field):
    before = Member.objects.filter(pk=world.member.pk).values().get()
    with pytest.raises(ValidationError) as excinfo:
        services.member_update(actor=world.secretary, member=world.member, **{field: value})
    assert error_field in excinfo.value.error_dict
    assert Member.objects.filter(pk=world.member.pk).values().get() == before


def test_workplace_must_be_a_workplace_unit(world):
    with pytest.raises(ValidationError) as excinfo:
        MemberFactory(workplace_org=world.residence_cell)
    assert "workplace_org" in excinfo.value.error_dict


def test_residence_must_be_a_commune(world):
    with pytest.raises(ValidationError) as excinfo:
        MemberFactory(workplace_org=world.cell, residence_commune=world.agency)
    assert "residence_commune" in excinfo.value.error_dict


def test_duplicate_card_number_is_refused(world):
    count = AuditEntry.objects.count()
    with pytest.raises(ValidationError) as excinfo:
        MemberFactory(card_number=world.member.card_number, workplace_org=world.cell)
    assert "card_number" in excinfo.value.error_dict
    assert AuditEntry.objects.count() == count


@pytest.mark.parametrize(
    "field", ["status", "residence_address", "residence_commune", "workplace_org"]
)
def test_status_residence_and_workplace_change_only_as_a_recorded_change(world, field):
    new_value = {
        "status": Member.Status.EXPELLED,
        "residence_address": "Số 9, đường Lê Lợi",
        "residence_commune": world.other_commune,
        "workplace_org": world.other_cell,
    }[field]
    before = Member.objects.filter(pk=world.member.pk).values().get()
    with pytest.raises(ValidationError) as excinfo:
        services.member_update(actor=world.secretary, member=world.member, **{field: new_value})
    assert list(excinfo.value.error_dict) == [field]
    assert Member.objects.filter(pk=world.member.pk).values().get() == before
    services.member_update(
        actor=world.secretary, member=world.member, recorded_change=True, **{field: new_value}
    )
    assert getattr(Member.objects.get(pk=world.member.pk), field) == new_value
