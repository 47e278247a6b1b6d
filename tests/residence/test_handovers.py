"""Referrals and change notices tell the receiving side at once: the right people only, once."""

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from members.models import Role
from partyreg.models import Delivery
from residence import handovers, permissions, services
from residence.models import ChangeNotice
from tests.members.factories import MemberFactory, RoleFactory, UserFactory
from tests.partyreg.handover_helpers import email_of, told, told_users

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english_site(settings):
    """Hand-overs are written in the site's language; these tests read the English source."""
    settings.LANGUAGE_CODE = "en"


def issue(world, member=None):
    return services.referral_issue(actor=world.secretary, member=member or world.member)


def assign(world, referral, actor=None):
    actor = actor or world.commune_officer
    referral = services.referral_receive(actor=actor, referral=referral)
    return services.referral_assign(
        actor=actor, referral=referral, residence_cell=world.residence_cell
    )


def test_a_referral_issued_tells_the_commune_committee_at_once(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        referral = issue(world)
    assert told_users(handovers.ISSUED) == ["phuong"]
    (notification,) = told(world.commune_officer)
    assert "Nguyễn Văn An" in notification.subject and "1-GGT/ĐU" in notification.subject
    assert "12 Trần Phú" in notification.body
    assert notification.url == f"/residence/referral/{referral.pk}/"
    assert notification.read_at is None
    assert permissions.can_receive_referral(world.commune_officer, referral)
    (email,) = mail.outbox
    assert email.to == [world.commune_officer.email]
    assert email.subject == notification.subject
    assert email_of(notification).status == Delivery.Status.SENT


def test_the_same_event_told_again_notifies_nobody_twice(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        referral = issue(world)
    with django_capture_on_commit_callbacks(execute=True):
        handovers.referrals_issued(actor=world.secretary, referrals=[referral])
    assert told_users(handovers.ISSUED) == ["phuong"]
    assert len(mail.outbox) == 1


def test_nobody_who_cannot_act_is_told(world):
    """Supervising staff read only; another commune's people, the workplace that issued,
    inactive users and a commune officer of another commune hear nothing."""
    RoleFactory(user=UserFactory(username="khac"), organisation=world.other_commune)
    gone = UserFactory(username="nghi", is_active=False)
    RoleFactory(user=gone, organisation=world.commune, kind=Role.Kind.OFFICER)
    RoleFactory(user=UserFactory(username="tinh"), organisation=world.province)
    issue(world)
    assert told_users(handovers.ISSUED) == ["phuong"]


def test_an_assignment_tells_the_cell_secretary_and_the_member(world):
    referral = assign(world, issue(world))
    assert told_users(handovers.ASSIGNED) == ["chibo", "dangvien"]
    (cell,) = told(world.residence_secretary)
    assert cell.subject == "Nguyễn Văn An assigned to Chi bộ Tổ dân phố 5"
    assert permissions.can_report_referral(world.residence_secretary, referral)
    (member,) = told(world.member_user)
    assert member.subject == "You are assigned to Chi bộ Tổ dân phố 5"
    assert referral.due_on.strftime("%d/%m/%Y") in member.body
    assert member.url == cell.url == f"/residence/referral/{referral.pk}/"


def test_the_user_who_took_the_step_is_not_told_of_it(world):
    """A cell secretary who is also the commune's officer assigns to their own cell."""
    RoleFactory(user=world.residence_secretary, organisation=world.commune, kind="officer")
    referral = issue(world)
    assert told_users(handovers.ISSUED) == ["chibo", "phuong"]
    assign(world, referral, actor=world.residence_secretary)
    assert told_users(handovers.ASSIGNED) == ["dangvien"]


def test_a_presentation_tells_the_nearest_workplace_secretary(world):
    referral = assign(world, issue(world))
    services.referral_report(
        actor=world.residence_secretary, referral=referral, presented_on=timezone.localdate()
    )
    # The cell has no secretary of its own: the grassroots committee above it is told.
    assert told_users(handovers.PRESENTED) == ["coquan"]
    (notification,) = told(world.secretary, handovers.PRESENTED)
    assert notification.subject == "Nguyễn Văn An presented themselves to Chi bộ Tổ dân phố 5"

    cell_secretary = UserFactory(username="bithu_phong")
    RoleFactory(user=cell_secretary, organisation=world.cell)
    other = assign(
        world,
        issue(world, MemberFactory(workplace_org=world.cell, residence_commune=world.commune)),
    )
    services.referral_report(
        actor=world.residence_secretary, referral=other, presented_on=timezone.localdate()
    )
    assert told_users(handovers.PRESENTED) == ["bithu_phong", "coquan"]


def test_a_change_notice_tells_the_commune_and_the_cell(world):
    assign(world, issue(world))
    notice = services.change_record(
        actor=world.secretary,
        member=world.member,
        kind=ChangeNotice.Kind.DISCIPLINED,
        effective_on=timezone.localdate(),
        details="Khiển trách",
    )
    assert told_users(handovers.CHANGE) == ["chibo", "phuong"]
    (notification,) = told(world.commune_officer, handovers.CHANGE)
    assert notification.subject == "Change notice: Nguyễn Văn An, disciplined"
    assert "Khiển trách" in notification.body
    assert notification.url == "/residence/notices/residence/?pending=1"
    assert permissions.can_acknowledge_notice(world.residence_secretary, notice)


def test_a_move_tells_the_old_commune_and_sends_the_referral_to_the_new_one(world):
    officer = UserFactory(username="lamvien")
    RoleFactory(user=officer, organisation=world.other_commune, kind=Role.Kind.OFFICER)
    issue(world)
    services.change_record(
        actor=world.secretary,
        member=world.member,
        kind=ChangeNotice.Kind.MOVED,
        effective_on=timezone.localdate(),
        residence_commune=world.other_commune,
        residence_address="7 Phan Đình Phùng",
    )
    assert told_users(handovers.CHANGE) == ["phuong"]
    assert told_users(handovers.ISSUED) == ["lamvien", "phuong"]
    (new,) = told(officer)
    assert "7 Phan Đình Phùng" in new.body


def _members(world, count, start):
    return [
        MemberFactory(
            full_name=f"Lê Văn {start + i}",
            workplace_org=world.cell,
            residence_commune=world.commune,
            user=UserFactory(username=f"lv{start + i}"),
        )
        for i in range(count)
    ]


def test_a_whole_cell_issued_and_assigned_is_told_once_per_organisation(world):
    issued = services.referral_issue_many(actor=world.secretary, members=_members(world, 3, 0))
    (notification,) = told(world.commune_officer)
    assert notification.subject == "3 referrals from Đảng bộ Sở Tài chính"
    assert all(f"Lê Văn {i}" in notification.body for i in range(3))
    referrals = services.referral_receive_many(actor=world.commune_officer, referrals=issued.issued)
    services.referral_assign_many(
        actor=world.commune_officer, referrals=referrals, residence_cell=world.residence_cell
    )
    assert told_users(handovers.ASSIGNED) == ["chibo", "lv0", "lv1", "lv2"]
    (cell,) = told(world.residence_secretary)
    assert cell.subject == "3 members assigned to Chi bộ Tổ dân phố 5"


def _queries(function) -> int:
    with CaptureQueriesContext(connection) as captured:
        function()
    return len(captured)


def test_telling_many_costs_the_same_queries_as_telling_a_few(world):
    small = services.referral_issue_many(actor=world.secretary, members=_members(world, 3, 0))
    large = services.referral_issue_many(actor=world.secretary, members=_members(world, 30, 100))

    def tell(result):
        return lambda: handovers.referrals_issued(actor=world.admin, referrals=result.issued)

    assert _queries(tell(small)) == _queries(tell(large)) <= 6

    def assigned(result):
        referrals = services.referral_receive_many(
            actor=world.commune_officer, referrals=result.issued
        )
        referrals = services.referral_assign_many(
            actor=world.commune_officer, referrals=referrals, residence_cell=world.residence_cell
        )
        return lambda: handovers.referrals_assigned(actor=world.admin, referrals=referrals)

    assert _queries(assigned(small)) == _queries(assigned(large)) <= 7


def test_the_commune_reads_it_in_vietnamese_whatever_the_issuers_language(world, settings):
    settings.LANGUAGE_CODE = "vi"
    issue(world)
    (notification,) = told(world.commune_officer)
    assert notification.subject == (
        "Giấy giới thiệu 1-GGT/ĐU: Đảng bộ Sở Tài chính giới thiệu đồng chí Nguyễn Văn An"
    )
    assert notification.body.startswith("Đảng bộ Sở Tài chính giới thiệu đồng chí Nguyễn Văn An")
