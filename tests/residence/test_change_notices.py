import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from members.models import Member, Organisation
from partyreg.audit import audit_history
from partyreg.models import AuditEntry
from residence import services
from residence.models import ChangeNotice, Referral
from residence.selectors import notice_list
from tests.members.factories import OrganisationFactory

Side = Organisation.Side

pytestmark = pytest.mark.django_db
S = Referral.State
K = ChangeNotice.Kind


@pytest.fixture
def assigned(world):
    referral = services.referral_issue(actor=world.secretary, member=world.member)
    services.referral_receive(actor=world.commune_officer, referral=referral)
    return services.referral_assign(
        actor=world.commune_officer, referral=referral, residence_cell=world.residence_cell
    )


def record(world, kind, **extra):
    return services.change_record(
        actor=world.secretary,
        member=world.member,
        kind=kind,
        effective_on=timezone.localdate(),
        details="Quyết định số 12-QĐ/ĐU",
        **extra,
    )


def test_move_closes_the_old_referral_and_issues_one_to_the_new_commune(world, assigned):
    notice = record(
        world, K.MOVED, residence_commune=world.other_commune, residence_address="7 Phan Đình Phùng"
    )
    old = Referral.objects.get(pk=assigned.pk)
    assert old.state == S.CLOSED and old.close_reason == Referral.CloseReason.MOVED
    new = notice.new_referral
    assert new.state == S.ISSUED and new.commune == world.other_commune
    assert notice.old_referral == old
    # The old residence side is told; the new commune sees the new referral.
    assert notice.commune == world.commune and notice.residence_cell == world.residence_cell
    member = Member.objects.get(pk=world.member.pk)
    assert member.residence_commune == world.other_commune
    assert member.residence_address == "7 Phan Đình Phùng"
    assert member.referrals.count() == 2


def test_move_within_the_same_commune_keeps_the_referral(world, assigned):
    notice = record(world, K.MOVED, residence_commune=world.commune, residence_address="99 Lê Lợi")
    assert notice.new_referral is None
    assert Referral.objects.get(pk=assigned.pk).state == S.ASSIGNED
    assert Member.objects.get(pk=world.member.pk).residence_address == "99 Lê Lợi"


def test_move_without_a_referral_issues_the_first_one(world):
    notice = record(
        world, K.MOVED, residence_commune=world.other_commune, residence_address="1 Hùng Vương"
    )
    assert notice.old_referral is None
    assert notice.new_referral.commune == world.other_commune


@pytest.mark.parametrize(
    "kind, status, reason",
    [
        (K.EXPELLED, Member.Status.EXPELLED, Referral.CloseReason.EXPELLED),
        (K.STRUCK_OFF, Member.Status.STRUCK_OFF, Referral.CloseReason.STRUCK_OFF),
        (K.LEFT, Member.Status.LEFT, Referral.CloseReason.LEFT),
        (K.DECEASED, Member.Status.DECEASED, Referral.CloseReason.DECEASED),
    ],
)
def test_ending_changes_close_the_referral_with_the_reason(world, assigned, kind, status, reason):
    notice = record(world, kind)
    referral = Referral.objects.get(pk=assigned.pk)
    assert referral.state == S.CLOSED and referral.close_reason == reason
    assert Member.objects.get(pk=world.member.pk).status == status
    assert notice.new_referral is None
    # Nothing more can be recorded for a member who has left Party life.
    with pytest.raises(ValidationError, match="no further change"):
        record(world, K.DISCIPLINED)


def test_discipline_keeps_the_referral(world, assigned):
    notice = record(world, K.DISCIPLINED)
    assert Referral.objects.get(pk=assigned.pk).state == S.ASSIGNED
    assert Member.objects.get(pk=world.member.pk).status == Member.Status.DISCIPLINED
    assert notice.commune == world.commune


def test_change_of_workplace_hands_the_referral_over(world, assigned):
    new_cell = OrganisationFactory(name="Chi bộ Phòng Kế hoạch", kind="cell", parent=world.agency)
    notice = record(world, K.CHANGED_WORKPLACE, workplace_org=new_cell)
    referral = Referral.objects.get(pk=assigned.pk)
    assert referral.state == S.ASSIGNED and referral.issuing_org == new_cell
    assert Member.objects.get(pk=world.member.pk).workplace_org == new_cell
    assert notice.workplace_org == world.cell  # who sent it
    assert "referral.handover" in [e.action for e in audit_history(world.member)]


def test_notice_is_seen_by_the_commune_and_the_cell_not_by_others(world, assigned):
    notice = record(world, K.DISCIPLINED)
    assert list(notice_list(world.commune_officer, Side.RESIDENCE)) == [notice]
    assert list(notice_list(world.residence_secretary, Side.RESIDENCE)) == [notice]
    assert list(notice_list(world.secretary, Side.WORKPLACE)) == [notice]
    assert list(notice_list(world.other_secretary, Side.WORKPLACE)) == []
    assert list(notice_list(world.other_secretary, Side.RESIDENCE)) == []


def test_acknowledge_once_by_the_residence_side(world, assigned):
    notice = record(world, K.DISCIPLINED)
    for outsider in (world.secretary, world.other_secretary, world.bloc_staff):
        with pytest.raises(PermissionDenied):
            services.change_notice_acknowledge(actor=outsider, notice=notice)
    done = services.change_notice_acknowledge(actor=world.residence_secretary, notice=notice)
    assert done.acknowledged_by == world.residence_secretary and done.acknowledged_at
    with pytest.raises(ValidationError, match="already acknowledged"):
        services.change_notice_acknowledge(actor=world.commune_officer, notice=notice)
    assert ChangeNotice.objects.get(pk=notice.pk).acknowledged_by == world.residence_secretary


def test_history_shows_every_referral_and_notice(world, assigned):
    record(world, K.MOVED, residence_commune=world.other_commune, residence_address="5 Yersin")
    actions = [e.action for e in audit_history(world.member)]
    for action in (
        "referral.issue",
        "referral.receive",
        "referral.assign",
        "referral.close",
        "member.update",
        "change.record",
    ):
        assert action in actions
    assert actions.count("referral.issue") == 2


@pytest.mark.parametrize(
    "kind, extra, field",
    [
        (K.MOVED, {}, "residence_commune"),
        (K.MOVED, {"residence_commune": "commune"}, "residence_address"),
        (K.MOVED, {"residence_commune": "cell", "residence_address": "x"}, "residence_commune"),
        (K.CHANGED_WORKPLACE, {}, "workplace_org"),
        (K.CHANGED_WORKPLACE, {"workplace_org": "commune"}, "workplace_org"),
        (K.CHANGED_WORKPLACE, {"workplace_org": "cell"}, "workplace_org"),
    ],
)
def test_bad_input_names_the_field_and_changes_nothing(world, assigned, kind, extra, field):
    extra = {k: getattr(world, v) if k != "residence_address" else v for k, v in extra.items()}
    before = AuditEntry.objects.count()
    with pytest.raises(ValidationError) as error:
        record(world, kind, **extra)
    assert field in error.value.message_dict
    assert AuditEntry.objects.count() == before
    assert not ChangeNotice.objects.exists()
    assert Referral.objects.get(pk=assigned.pk).state == S.ASSIGNED


def test_future_date_is_refused(world, assigned):
    with pytest.raises(ValidationError, match="future"):
        services.change_record(
            actor=world.secretary,
            member=world.member,
            kind=K.DECEASED,
            effective_on=timezone.localdate() + datetime.timedelta(days=1),
        )
    assert Member.objects.get(pk=world.member.pk).status == Member.Status.ACTIVE


@pytest.mark.parametrize(
    "actor_name", ["commune_officer", "residence_secretary", "other_secretary", "bloc_staff"]
)
def test_only_the_workplace_committee_records_changes(world, assigned, actor_name):
    with pytest.raises(PermissionDenied):
        services.change_record(
            actor=getattr(world, actor_name),
            member=world.member,
            kind=K.DECEASED,
            effective_on=timezone.localdate(),
        )
    assert Member.objects.get(pk=world.member.pk).status == Member.Status.ACTIVE
    assert Referral.objects.get(pk=assigned.pk).state == S.ASSIGNED


def test_move_of_a_member_exempt_from_introduction_issues_no_letter(world):
    from tests.members.factories import MemberFactory

    member = MemberFactory(
        workplace_org=world.cell,
        residence_commune=world.commune,
        category=Member.Category.EXEMPT_INTRODUCTION,
        category_reason="Nhiệm vụ bí mật",
    )
    notice = services.change_record(
        actor=world.secretary,
        member=member,
        kind=K.MOVED,
        effective_on=timezone.localdate(),
        residence_commune=world.other_commune,
        residence_address="3 Bùi Thị Xuân",
    )
    assert notice.new_referral is None and notice.commune == world.commune
    assert not Referral.objects.filter(member=member).exists()
