import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from members.models import Member
from partyreg.audit import audit_history
from partyreg.models import AuditEntry
from residence import services
from residence.models import Referral
from residence.selectors import overdue_q, referral_list
from residence.services import ALLOWED_TRANSITIONS
from tests.members.factories import MemberFactory

pytestmark = pytest.mark.django_db
S = Referral.State


def _state(referral):
    return Referral.objects.get(pk=referral.pk).state


def walk(world, until=S.REPORTED):
    """A referral of world.member carried through the workflow up to ``until``."""
    referral = services.referral_issue(actor=world.secretary, member=world.member)
    if until == S.ISSUED:
        return referral
    referral = services.referral_receive(actor=world.commune_officer, referral=referral)
    if until == S.RECEIVED:
        return referral
    referral = services.referral_assign(
        actor=world.commune_officer, referral=referral, residence_cell=world.residence_cell
    )
    if until == S.ASSIGNED:
        return referral
    return services.referral_report(
        actor=world.residence_secretary, referral=referral, presented_on=timezone.localdate()
    )


def test_issue_sets_everything_from_the_member(world):
    referral = services.referral_issue(actor=world.secretary, member=world.member)
    assert referral.state == S.ISSUED
    assert referral.commune == world.commune
    assert referral.issuing_org == world.cell
    assert referral.signing_org == world.agency  # the grassroots committee above the cell
    assert referral.issued_by == world.secretary
    assert referral.number == 1 and referral.number_display == "1-GGT/ĐU"
    assert referral.exempt_activity is False
    assert referral.due_on == timezone.localdate() + datetime.timedelta(days=30)
    entry = audit_history(world.member).first()
    assert entry.action == "referral.issue" and entry.actor == world.secretary


def test_numbers_run_per_committee_and_year(world):
    first = services.referral_issue(actor=world.secretary, member=world.member)
    second_member = MemberFactory(workplace_org=world.cell, residence_commune=world.commune)
    second = services.referral_issue(actor=world.secretary, member=second_member)
    other = services.referral_issue(actor=world.other_secretary, member=world.other_member)
    assert (first.number, second.number, other.number) == (1, 2, 1)


def test_full_walk_records_each_step_with_who_and_when(world):
    referral = walk(world)
    referral.refresh_from_db()
    assert referral.state == S.REPORTED
    assert referral.received_by == world.commune_officer and referral.received_at
    assert referral.assigned_by == world.commune_officer and referral.assigned_at
    assert referral.residence_cell == world.residence_cell
    assert referral.reported_by == world.residence_secretary
    assert referral.presented_on == timezone.localdate()
    actions = [e.action for e in audit_history(world.member)]
    assert actions[:4] == [
        "referral.report",
        "referral.assign",
        "referral.receive",
        "referral.issue",
    ]


def test_transitions_are_written_down_once_and_only_go_forward():
    assert ALLOWED_TRANSITIONS[S.ISSUED] == {S.RECEIVED, S.CLOSED}
    assert ALLOWED_TRANSITIONS[S.RECEIVED] == {S.ASSIGNED, S.CLOSED}
    assert ALLOWED_TRANSITIONS[S.ASSIGNED] == {S.REPORTED, S.CLOSED}
    assert ALLOWED_TRANSITIONS[S.REPORTED] == {S.CLOSED}
    assert ALLOWED_TRANSITIONS[S.CLOSED] == set()


@pytest.mark.parametrize(
    "state, attempt",
    [
        (S.ISSUED, "assign"),
        (S.ISSUED, "report"),
        (S.RECEIVED, "receive"),
        (S.RECEIVED, "report"),
        (S.ASSIGNED, "receive"),
        (S.ASSIGNED, "assign"),
        (S.REPORTED, "receive"),
        (S.REPORTED, "report"),
    ],
)
def test_wrong_state_is_refused_and_changes_nothing(world, state, attempt):
    referral = walk(world, until=state)
    entries = AuditEntry.objects.count()
    calls = {
        "receive": lambda: services.referral_receive(
            actor=world.commune_officer, referral=referral
        ),
        "assign": lambda: services.referral_assign(
            actor=world.commune_officer, referral=referral, residence_cell=world.residence_cell
        ),
        "report": lambda: services.referral_report(
            actor=world.commune_officer, referral=referral, presented_on=timezone.localdate()
        ),
    }
    with pytest.raises(ValidationError) as error:
        calls[attempt]()
    assert error.value.code == "wrong_state"
    assert referral.number_display in " ".join(error.value.messages)
    assert _state(referral) == state
    assert AuditEntry.objects.count() == entries


def test_closed_referral_refuses_everything(world):
    referral = walk(world, until=S.RECEIVED)
    services.referral_close(
        actor=world.secretary, referral=referral, reason=Referral.CloseReason.WITHDRAWN
    )
    with pytest.raises(ValidationError, match="closed"):
        services.referral_assign(
            actor=world.commune_officer, referral=referral, residence_cell=world.residence_cell
        )
    with pytest.raises(ValidationError, match="closed"):
        services.referral_close(
            actor=world.secretary, referral=referral, reason=Referral.CloseReason.WITHDRAWN
        )


def test_assign_before_receipt_says_to_record_receipt_first(world):
    referral = walk(world, until=S.ISSUED)
    with pytest.raises(ValidationError, match="receipt"):
        services.referral_assign(
            actor=world.commune_officer, referral=referral, residence_cell=world.residence_cell
        )


@pytest.mark.parametrize(
    "actor_name", ["commune_officer", "residence_secretary", "bloc_staff", "other_secretary"]
)
def test_only_the_workplace_committee_issues(world, actor_name):
    with pytest.raises(PermissionDenied, match="workplace committee"):
        services.referral_issue(actor=getattr(world, actor_name), member=world.member)
    assert not Referral.objects.exists()


@pytest.mark.parametrize("actor_name", ["secretary", "residence_secretary", "bloc_staff"])
def test_only_the_commune_receives(world, actor_name):
    referral = walk(world, until=S.ISSUED)
    with pytest.raises(PermissionDenied, match="commune committee"):
        services.referral_receive(actor=getattr(world, actor_name), referral=referral)
    assert _state(referral) == S.ISSUED


def test_commune_of_another_referral_cannot_receive(world):
    from members.models import Role
    from tests.members.factories import RoleFactory, UserFactory

    stranger = UserFactory(username="lamvien")
    RoleFactory(user=stranger, organisation=world.other_commune, kind=Role.Kind.OFFICER)
    referral = walk(world, until=S.ISSUED)
    with pytest.raises(PermissionDenied):
        services.referral_receive(actor=stranger, referral=referral)
    assert _state(referral) == S.ISSUED


def test_cell_of_another_commune_is_refused(world):
    referral = walk(world, until=S.RECEIVED)
    with pytest.raises(ValidationError, match="not an active residence cell"):
        services.referral_assign(
            actor=world.commune_officer,
            referral=referral,
            residence_cell=world.other_residence_cell,
        )
    assert _state(referral) == S.RECEIVED


def test_only_the_assigned_cell_records_presentation(world):
    from members.models import Role
    from tests.members.factories import RoleFactory, UserFactory

    other_cell_secretary = UserFactory(username="to9")
    RoleFactory(
        user=other_cell_secretary, organisation=world.other_residence_cell, kind=Role.Kind.SECRETARY
    )
    referral = walk(world, until=S.ASSIGNED)
    for actor in (world.secretary, other_cell_secretary, world.bloc_staff):
        with pytest.raises(PermissionDenied, match="residence cell"):
            services.referral_report(
                actor=actor, referral=referral, presented_on=timezone.localdate()
            )
    assert _state(referral) == S.ASSIGNED


def test_presentation_date_cannot_be_in_the_future_or_before_issue(world):
    referral = walk(world, until=S.ASSIGNED)
    today = timezone.localdate()
    for day in (today + datetime.timedelta(days=1), today - datetime.timedelta(days=1)):
        with pytest.raises(ValidationError):
            services.referral_report(
                actor=world.residence_secretary, referral=referral, presented_on=day
            )
    assert _state(referral) == S.ASSIGNED


def test_only_workplace_closes(world):
    referral = walk(world, until=S.ISSUED)
    with pytest.raises(PermissionDenied):
        services.referral_close(
            actor=world.commune_officer, referral=referral, reason=Referral.CloseReason.WITHDRAWN
        )
    with pytest.raises(ValidationError, match="reason"):
        services.referral_close(actor=world.secretary, referral=referral, reason="bored")
    assert _state(referral) == S.ISSUED


def test_second_live_referral_is_refused(world):
    walk(world, until=S.ISSUED)
    with pytest.raises(ValidationError, match="already has referral 1-GGT/ĐU"):
        services.referral_issue(actor=world.secretary, member=world.member)
    assert Referral.objects.count() == 1


def test_database_keeps_one_live_referral_per_member(world):
    from django.db import IntegrityError, transaction

    referral = walk(world, until=S.ISSUED)
    with pytest.raises(IntegrityError), transaction.atomic():
        Referral.objects.create(
            member=world.member,
            issuing_org=referral.issuing_org,
            signing_org=referral.signing_org,
            commune=referral.commune,
            year=referral.year,
            number=99,
            due_on=referral.due_on,
        )


def test_exempt_from_introduction_gets_no_referral(world):
    member = MemberFactory(
        workplace_org=world.cell,
        residence_commune=world.commune,
        category=Member.Category.EXEMPT_INTRODUCTION,
        category_reason="Nhiệm vụ bí mật",
    )
    with pytest.raises(ValidationError, match="exempt from introduction"):
        services.referral_issue(actor=world.secretary, member=member)


def test_member_without_commune_is_told_to_record_it(world):
    member = MemberFactory(workplace_org=world.cell, residence_commune=None)
    with pytest.raises(ValidationError, match="no commune of residence"):
        services.referral_issue(actor=world.secretary, member=member)


def test_bulk_issue_skips_exempt_and_live_and_marks_exempt_activity(world):
    exempt = MemberFactory(
        full_name="Lê Văn Miễn",
        workplace_org=world.cell,
        residence_commune=world.commune,
        category=Member.Category.EXEMPT_INTRODUCTION,
        category_reason="Đơn vị sẵn sàng chiến đấu",
    )
    student = MemberFactory(
        full_name="Trần Thị Học",
        workplace_org=world.cell,
        residence_commune=world.other_commune,
        category=Member.Category.EXEMPT_ACTIVITY,
        category_reason="Học tập tập trung",
    )
    plain = MemberFactory(
        full_name="Phạm Văn Thường", workplace_org=world.cell, residence_commune=world.commune
    )
    walk(world, until=S.ISSUED)  # world.member already has a live referral
    cell_members = Member.objects.filter(workplace_org=world.cell)
    result = services.referral_issue_many(actor=world.secretary, members=list(cell_members))
    issued = {r.member for r in result.issued}
    assert issued == {student, plain}
    assert {m for m, _ in result.skipped} == {exempt, world.member}
    by_member = {r.member: r for r in result.issued}
    assert by_member[student].exempt_activity is True
    assert by_member[student].commune == world.other_commune
    assert by_member[plain].exempt_activity is False
    assert {r.batch for r in result.issued} == {result.batch}
    assert sorted(r.number for r in result.issued) == [2, 3]


def test_bulk_issue_with_a_member_out_of_reach_issues_nothing(world):
    with pytest.raises(PermissionDenied):
        services.referral_issue_many(
            actor=world.secretary, members=[world.member, world.other_member]
        )
    assert not Referral.objects.exists()


def test_bulk_assign_is_all_or_nothing(world):
    referral = walk(world, until=S.RECEIVED)
    other = MemberFactory(workplace_org=world.cell, residence_commune=world.commune)
    still_issued = services.referral_issue(actor=world.secretary, member=other)
    with pytest.raises(ValidationError, match="Nothing was changed"):
        services.referral_assign_many(
            actor=world.commune_officer,
            referrals=[referral, still_issued],
            residence_cell=world.residence_cell,
        )
    assert _state(referral) == S.RECEIVED
    services.referral_receive_many(actor=world.commune_officer, referrals=[still_issued])
    done = services.referral_assign_many(
        actor=world.commune_officer,
        referrals=[referral, still_issued],
        residence_cell=world.residence_cell,
    )
    assert {r.state for r in done} == {S.ASSIGNED}


def test_overdue_follows_the_setting(world, settings):
    settings.PARTYREG = {**settings.PARTYREG, "REFERRAL_REPORT_DAYS": 10}
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        referral = walk(world, until=S.ASSIGNED)
    assert referral.due_on == timezone.localdate(start) + datetime.timedelta(days=10)
    with time_machine.travel(start + datetime.timedelta(days=10), tick=False):
        assert not Referral.objects.get(pk=referral.pk).is_overdue
        assert not Referral.objects.filter(overdue_q()).exists()
    with time_machine.travel(start + datetime.timedelta(days=11), tick=False):
        assert Referral.objects.get(pk=referral.pk).is_overdue
        assert list(referral_list(world.commune_officer, "residence").filter(overdue_q())) == [
            referral
        ]
        reported = services.referral_report(
            actor=world.residence_secretary,
            referral=referral,
            presented_on=timezone.localdate(),
        )
        assert not reported.is_overdue


def _race(*calls):
    """Runs the calls at the same moment, each in its own thread and database connection."""
    import threading

    from django.db import connections

    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(index, call):
        from django.utils import translation

        try:
            barrier.wait()
            with translation.override("en"):  # the language is per thread; match the source
                outcomes[index] = call()
        except Exception as error:  # noqa: BLE001 - the outcome is what the test looks at
            outcomes[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_people_receiving_at_once_one_wins(world):
    referral = walk(world, until=S.ISSUED)
    colleague = _second_commune_officer(world)
    outcomes = _race(
        lambda: services.referral_receive(actor=world.commune_officer, referral=referral),
        lambda: services.referral_receive(actor=colleague, referral=referral),
    )
    winners = [o for o in outcomes if isinstance(o, Referral)]
    losers = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(winners) == 1 and len(losers) == 1, outcomes
    assert "already" in " ".join(losers[0].messages)
    fresh = Referral.objects.get(pk=referral.pk)
    assert fresh.state == S.RECEIVED and fresh.received_by == winners[0].received_by
    assert AuditEntry.objects.filter(action="referral.receive").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_people_assigning_at_once_one_wins(world):
    from tests.members.factories import OrganisationFactory

    second_cell = OrganisationFactory(
        name="Chi bộ Tổ dân phố 6", kind="residence_cell", parent=world.commune
    )
    referral = walk(world, until=S.RECEIVED)
    colleague = _second_commune_officer(world)
    outcomes = _race(
        lambda: services.referral_assign(
            actor=world.commune_officer, referral=referral, residence_cell=world.residence_cell
        ),
        lambda: services.referral_assign(
            actor=colleague, referral=referral, residence_cell=second_cell
        ),
    )
    winners = [o for o in outcomes if isinstance(o, Referral)]
    losers = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(winners) == 1 and len(losers) == 1, outcomes
    fresh = Referral.objects.get(pk=referral.pk)
    assert fresh.state == S.ASSIGNED
    assert fresh.residence_cell_id == winners[0].residence_cell_id
    assert AuditEntry.objects.filter(action="referral.assign").count() == 1


def _second_commune_officer(world):
    from members.models import Role
    from tests.members.factories import RoleFactory, UserFactory

    user = UserFactory(username="phuong2")
    RoleFactory(user=user, organisation=world.commune, kind=Role.Kind.OFFICER)
    return user
