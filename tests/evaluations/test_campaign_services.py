import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from evaluations import services
from evaluations.models import Campaign, CommentRequest, Criterion, CriterionAnswer, Grade
from evaluations.services import certification
from members.models import Member, Organisation, Role
from partyreg.models import AuditEntry
from residence import services as referral_services
from residence.models import Referral
from tests.members.factories import MemberFactory, OrganisationFactory, RoleFactory, UserFactory

from .campaign_helpers import (
    SAME,
    answers_for,
    confirmed_meeting,
    ensure_default_criteria,
    place,
    placed_member,
    sitting,
    submit,
)

pytestmark = pytest.mark.django_db
S = CommentRequest.State
K = Organisation.Kind


def _open(world, organisation=None, actor=None):
    return services.campaign_open(
        actor=actor or world.secretary, organisation=organisation or world.agency
    )


def _snapshot_request(request):
    request = CommentRequest.objects.get(pk=request.pk)
    answers = list(
        CriterionAnswer.objects.filter(request=request).values_list("criterion_id", "level")
    )
    return (request.state, request.sitting_id, request.other_comments, answers)


@pytest.fixture
def opened(world):
    place(world, world.member)
    return _open(world)


@pytest.fixture
def request_(opened):
    return opened.requests[0]


@pytest.fixture
def bloc_secretary(world):
    user = UserFactory(username="khoi-bithu")
    RoleFactory(user=user, organisation=world.bloc, kind=Role.Kind.SECRETARY)
    return user


# --- Opening ------------------------------------------------------------------------------------


def test_open_requests_only_live_placed_non_exempt_members(world):
    place(world, world.member)
    reported = placed_member(world, "Trần Văn Báo")
    Referral.objects.filter(member=reported).update(state=Referral.State.REPORTED)
    exempt = MemberFactory(
        full_name="Lê Văn Công",
        workplace_org=world.cell,
        residence_commune=world.commune,
        category=Member.Category.EXEMPT_ACTIVITY,
        category_reason="Học tập trung dài hạn",
    )
    place(world, exempt)
    waiting = MemberFactory(
        full_name="Phạm Thị Dung", workplace_org=world.cell, residence_commune=world.commune
    )
    referral_services.referral_issue(actor=world.admin, member=waiting)
    closed = placed_member(world, "Võ Văn Em")
    referral_services.referral_close(
        actor=world.admin, referral=Referral.objects.get(member=closed), reason="withdrawn"
    )
    outsider = placed_member(
        world, "Hồ Thị Giang", workplace=world.other_cell, cell=world.other_residence_cell
    )

    result = _open(world)

    campaign = result.campaign
    asked = set(CommentRequest.objects.filter(campaign=campaign).values_list("member", flat=True))
    assert asked == {world.member.pk, reported.pk}
    assert [m.pk for m in result.exempt] == [exempt.pk]
    assert outsider.pk not in asked and waiting.pk not in asked and closed.pk not in asked
    request = CommentRequest.objects.get(campaign=campaign, member=world.member)
    assert (request.residence_cell, request.commune, request.workplace_org) == (
        world.residence_cell,
        world.commune,
        world.cell,
    )
    assert request.form == "normal" and request.reason == "annual"
    today = timezone.localdate()
    assert campaign.year == today.year
    assert request.due_on == campaign.due_on == today + datetime.timedelta(days=15)
    assert request.requested_by == world.secretary
    defaults = Criterion.objects.filter(campaign__isnull=True)
    copied = Criterion.objects.filter(campaign=campaign)
    assert copied.count() == defaults.count() == 9
    assert list(copied.filter(form="normal").values_list("text", flat=True)) == list(
        defaults.filter(form="normal").values_list("text", flat=True)
    )
    entry = AuditEntry.objects.get(action="comment.request", target_id=str(request.pk))
    assert entry.subject_id == str(world.member.pk)
    assert entry.actor == world.secretary
    assert AuditEntry.objects.filter(action="campaign.open", target_id=str(campaign.pk)).exists()


def test_deadline_follows_the_setting(world, settings):
    settings.PARTYREG = {**settings.PARTYREG, "COMMENT_DEADLINE_DAYS": 20}
    campaign = _open(world).campaign
    assert campaign.due_on == timezone.localdate() + datetime.timedelta(days=20)


def test_supervising_committee_opens_for_every_organisation_below(world, bloc_secretary):
    second_agency = OrganisationFactory(
        name="Đảng bộ Sở Y tế", kind=K.GRASSROOTS, parent=world.bloc
    )
    place(world, world.member)
    nurse = placed_member(world, "Ngô Thị Hoa", workplace=second_agency)
    outsider = placed_member(
        world, "Hồ Thị Giang", workplace=world.other_cell, cell=world.other_residence_cell
    )

    result = _open(world, organisation=world.bloc, actor=bloc_secretary)

    asked = set(result.campaign.requests.values_list("member", flat=True))
    assert asked == {world.member.pk, nurse.pk}
    assert outsider.pk not in asked
    assert result.cells == 1


def test_second_open_in_the_same_year_is_refused(world, bloc_secretary, opened):
    with pytest.raises(ValidationError, match="already opened by Đảng bộ Sở Tài chính"):
        _open(world)
    assert Campaign.objects.count() == 1
    assert CommentRequest.objects.count() == 1


def test_open_below_a_campaign_already_opened_above_is_refused(world, bloc_secretary):
    place(world, world.member)
    _open(world, organisation=world.bloc, actor=bloc_secretary)
    with pytest.raises(ValidationError, match="already opened by Đảng bộ Khối các cơ quan tỉnh"):
        _open(world, organisation=world.agency)
    assert Campaign.objects.count() == 1


def test_open_above_skips_members_already_asked_below(world, bloc_secretary, opened):
    result = _open(world, organisation=world.bloc, actor=bloc_secretary)
    assert result.requests == []
    assert result.already_requested == 1
    assert CommentRequest.objects.filter(member=world.member).count() == 1


@pytest.mark.parametrize("who", ["residence_secretary", "bloc_staff", "other_secretary"])
def test_open_refused_to_other_roles(world, who):
    place(world, world.member)
    with pytest.raises(PermissionDenied):
        _open(world, actor=getattr(world, who))
    assert not Campaign.objects.exists()
    assert not CommentRequest.objects.exists()
    assert not Criterion.objects.filter(campaign__isnull=False).exists()


def test_open_refuses_a_past_deadline(world):
    with pytest.raises(ValidationError) as refusal:
        services.campaign_open(
            actor=world.secretary,
            organisation=world.agency,
            due_on=timezone.localdate() - datetime.timedelta(days=1),
        )
    assert "due_on" in refusal.value.error_dict
    assert not Campaign.objects.exists()


# --- One request at a time ----------------------------------------------------------------------


@pytest.fixture
def exempt_member(world):
    member = MemberFactory(
        full_name="Lê Văn Công",
        workplace_org=world.cell,
        residence_commune=world.commune,
        category=Member.Category.EXEMPT_ACTIVITY,
        category_reason="Công tác lưu động",
    )
    place(world, member)
    return member


def test_exempt_member_is_requested_one_by_one_with_a_reason(world, opened, exempt_member):
    campaign = opened.campaign
    with pytest.raises(ValidationError, match="exempt from routine comments"):
        services.comment_request_create(
            actor=world.secretary, campaign=campaign, member=exempt_member, reason="annual"
        )
    assert not CommentRequest.objects.filter(member=exempt_member).exists()

    request = services.comment_request_create(
        actor=world.secretary,
        campaign=campaign,
        member=exempt_member,
        reason="personnel",
        reason_note="Quy hoạch chức danh Phó Giám đốc",
    )
    assert request.form == "exempt"
    assert request.reason == "personnel"
    assert request.reason_note == "Quy hoạch chức danh Phó Giám đốc"
    assert request.residence_cell == world.residence_cell
    assert Criterion.objects.filter(campaign=campaign, form=request.form).count() == 3
    assert AuditEntry.objects.filter(
        action="comment.request", subject_id=str(exempt_member.pk)
    ).exists()

    with pytest.raises(ValidationError, match="already been requested"):
        services.comment_request_create(
            actor=world.secretary, campaign=campaign, member=exempt_member, reason="award"
        )


def test_one_by_one_refused_for_unplaced_member_and_other_organisation(world, opened):
    waiting = MemberFactory(workplace_org=world.cell, residence_commune=world.commune)
    referral_services.referral_issue(actor=world.admin, member=waiting)
    with pytest.raises(ValidationError, match="not been assigned to a residence cell"):
        services.comment_request_create(
            actor=world.secretary, campaign=opened.campaign, member=waiting, reason="award"
        )
    outsider = placed_member(
        world, "Hồ Thị Giang", workplace=world.other_cell, cell=world.other_residence_cell
    )
    with pytest.raises(PermissionDenied):
        services.comment_request_create(
            actor=world.other_secretary,
            campaign=opened.campaign,
            member=outsider,
            reason="award",
        )
    assert CommentRequest.objects.count() == 1


# --- Sittings -----------------------------------------------------------------------------------


def test_sitting_needs_both_committees_and_a_past_date(world):
    with pytest.raises(ValidationError) as refusal:
        services.sitting_record(
            actor=world.residence_secretary,
            residence_cell=world.residence_cell,
            held_on=timezone.localdate() + datetime.timedelta(days=1),
            cell_committee_attendees="Đặng Văn Ộ",
            front_committee_attendees="  \n ",
        )
    assert set(refusal.value.error_dict) == {"held_on", "front_committee_attendees"}
    sitting_args = {
        "residence_cell": world.residence_cell,
        "held_on": timezone.localdate(),
        "cell_committee_attendees": "A",
        "front_committee_attendees": "B",
    }
    with pytest.raises(PermissionDenied):
        services.sitting_record(actor=world.secretary, **sitting_args)
    row = services.sitting_record(actor=world.residence_secretary, **sitting_args)
    assert row.year == timezone.localdate().year
    assert row.recorded_by == world.residence_secretary
    assert AuditEntry.objects.filter(action="sitting.record", target_id=str(row.pk)).exists()


# --- Writing and submitting ---------------------------------------------------------------------


def test_draft_keeps_a_partial_comment(world, request_):
    first = Criterion.objects.filter(campaign=request_.campaign, form="normal").first()
    services.comment_save_draft(
        actor=world.residence_secretary,
        request=request_,
        answers={first.pk: (None, "Còn phải hỏi ý kiến ban công tác Mặt trận")},
        other_comments="Nháp",
    )
    request_.refresh_from_db()
    assert request_.state == S.REQUESTED
    answer = request_.answers.get()
    assert (answer.level, answer.comment) == (None, "Còn phải hỏi ý kiến ban công tác Mặt trận")
    assert AuditEntry.objects.filter(action="comment.draft", subject_id=str(world.member.pk))


def test_submit_is_refused_without_a_sitting_and_changes_nothing(world, request_):
    before = _snapshot_request(request_)
    with pytest.raises(ValidationError) as refusal:
        submit(world, request_, sitting_row=None, comment="Tốt")
    assert "sitting" in refusal.value.error_dict
    assert "Record the sitting first" in " ".join(refusal.value.messages)
    assert _snapshot_request(request_) == before
    assert not AuditEntry.objects.filter(action="comment.submit").exists()


def test_submit_is_refused_with_a_sitting_of_another_cell_or_year(world, request_):
    other = sitting(world, cell=world.other_residence_cell)
    with pytest.raises(ValidationError, match="Choose a sitting of Chi bộ Tổ dân phố 5"):
        submit(world, request_, sitting_row=other)
    last_year = sitting(world, held_on=datetime.date(timezone.localdate().year - 1, 12, 1))
    with pytest.raises(ValidationError, match="Choose a sitting of Chi bộ Tổ dân phố 5"):
        submit(world, request_, sitting_row=last_year)
    assert CommentRequest.objects.get(pk=request_.pk).state == S.REQUESTED


def test_submit_is_refused_until_every_level_is_chosen(world, request_):
    answers = answers_for(request_)
    missing = sorted(answers)[-1]
    answers[missing] = (None, "Chưa thống nhất")
    with pytest.raises(ValidationError) as refusal:
        services.comment_submit(
            actor=world.residence_secretary,
            request=request_,
            answers=answers,
            sitting=sitting(world),
        )
    assert list(refusal.value.error_dict) == [f"level_{missing}"]
    assert not CriterionAnswer.objects.exists()


def test_submit_copies_the_attendance_facts_and_is_audited(world, request_):
    other = placed_member(world, "Trần Văn Báo")
    confirmed_meeting(world, {world.member: ("present", ""), other: ("present", "")})
    confirmed_meeting(
        world,
        {world.member: ("excused", "Đi công tác"), other: ("unexcused", "")},
        held_on=timezone.localdate() - datetime.timedelta(days=10),
    )
    done = submit(world, request_, sitting_row=sitting(world), comment="Gương mẫu")
    done.refresh_from_db()
    assert done.state == S.SUBMITTED
    assert (
        done.meetings_invited,
        done.meetings_present,
        done.meetings_excused,
        done.meetings_unexcused,
    ) == (2, 1, 1, 0)
    assert done.submitted_by == world.residence_secretary
    assert done.answers.count() == 6
    entry = AuditEntry.objects.get(action="comment.submit")
    assert entry.subject_id == str(world.member.pk)
    assert entry.changes["state"] == ["Requested", "Submitted"]
    assert entry.changes["meetings_present"] == [None, 1]


def test_submit_refused_to_other_cells_and_to_the_workplace(world, request_):
    row = sitting(world)
    before = _snapshot_request(request_)
    outsider = UserFactory(username="chibo9")
    RoleFactory(user=outsider, organisation=world.other_residence_cell)
    for actor in (outsider, world.secretary, world.bloc_staff):
        with pytest.raises(PermissionDenied):
            submit(world, request_, sitting_row=row, actor=actor)
    assert _snapshot_request(request_) == before


def test_submitted_comment_cannot_be_submitted_or_drafted_again(world, request_):
    row = sitting(world)
    submit(world, request_, sitting_row=row)
    with pytest.raises(ValidationError, match="can no longer be changed"):
        submit(world, request_, sitting_row=row, comment="Sửa lại")
    with pytest.raises(ValidationError, match="can no longer be changed"):
        services.comment_save_draft(
            actor=world.residence_secretary, request=request_, answers={}, other_comments="x"
        )
    assert CommentRequest.objects.get(pk=request_.pk).other_comments == ""


# --- Near-identical comments --------------------------------------------------------------------


def _two_requests(world):
    other = placed_member(world, "Trần Văn Báo")
    place(world, world.member)
    result = _open(world)
    by_member = {r.member_id: r for r in result.requests}
    return by_member[world.member.pk], by_member[other.pk]


def test_near_identical_comments_are_flagged_both_ways(world):
    first, second = _two_requests(world)
    row = sitting(world)
    submit(world, first, sitting_row=row, other=SAME)
    submit(world, second, sitting_row=row, other=SAME.replace("đầy đủ", "thường xuyên"))
    first.refresh_from_db()
    second.refresh_from_db()
    assert second.similar_to == first
    assert second.similarity >= 0.9
    assert first.similar_to == second
    entry = AuditEntry.objects.get(action="comment.submit", target_id=str(second.pk))
    assert "Nguyễn Văn An" in entry.note


def test_different_comments_are_not_flagged(world):
    first, second = _two_requests(world)
    row = sitting(world)
    submit(world, first, sitting_row=row, other=SAME)
    submit(
        world,
        second,
        sitting_row=row,
        other="Gia đình khó khăn nhưng đồng chí vẫn vận động bà con làm đường bê tông ngõ 12.",
    )
    second.refresh_from_db()
    first.refresh_from_db()
    assert second.similar_to is None and first.similar_to is None
    assert second.similarity < 0.9


def test_threshold_is_a_setting(world, settings):
    settings.PARTYREG = {**settings.PARTYREG, "SIMILARITY_THRESHOLD": 0.1}
    first, second = _two_requests(world)
    row = sitting(world)
    submit(world, first, sitting_row=row, other=SAME)
    submit(world, second, sitting_row=row, other="Đồng chí tham gia đầy đủ sinh hoạt tổ dân phố.")
    second.refresh_from_db()
    assert second.similar_to == first


# --- Certification ------------------------------------------------------------------------------


@pytest.fixture
def submitted(world, request_):
    return submit(world, request_, sitting_row=sitting(world), comment="Gương mẫu")


@pytest.fixture
def queued(monkeypatch):
    calls = []
    monkeypatch.setattr(certification, "queue_sheet_render", calls.append)
    return calls


def test_commune_certifies_and_the_sheet_is_queued_after_commit(
    world, submitted, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        done = services.comment_certify(actor=world.commune_officer, request=submitted)
    assert done.state == S.CERTIFIED
    assert done.certified_by == world.commune_officer
    assert done.certified_at is not None
    assert queued == [[submitted.pk]]
    assert AuditEntry.objects.filter(
        action="comment.certify", subject_id=str(world.member.pk)
    ).exists()


def test_certify_refusals_change_nothing(world, request_, queued):
    with pytest.raises(ValidationError, match="has not submitted the comment"):
        services.comment_certify(actor=world.commune_officer, request=request_)
    row = submit(world, request_, sitting_row=sitting(world))
    other_commune_officer = UserFactory(username="phuong2")
    RoleFactory(user=other_commune_officer, organisation=world.other_commune)
    for actor in (world.residence_secretary, world.secretary, other_commune_officer):
        with pytest.raises(PermissionDenied):
            services.comment_certify(actor=actor, request=row)
    assert CommentRequest.objects.get(pk=row.pk).state == S.SUBMITTED
    assert queued == []
    services.comment_certify(actor=world.commune_officer, request=row)
    with pytest.raises(ValidationError, match="already “certified and returned”"):
        services.comment_certify(actor=world.commune_officer, request=row)


def test_certify_all_of_a_cell_is_all_or_nothing(world, queued, django_capture_on_commit_callbacks):
    first, second = _two_requests(world)
    row = sitting(world)
    submit(world, first, sitting_row=row, comment="Một")
    with pytest.raises(ValidationError, match="Nothing was certified"):
        services.comment_certify_many(actor=world.commune_officer, requests=[first, second])
    assert CommentRequest.objects.get(pk=first.pk).state == S.SUBMITTED
    submit(world, second, sitting_row=row, comment="Hai, khác hẳn")
    with django_capture_on_commit_callbacks(execute=True):
        done = services.comment_certify_many(actor=world.commune_officer, requests=[first, second])
    assert [r.state for r in done.certified] == [S.CERTIFIED, S.CERTIFIED]
    assert done.left_out == []
    # One batch for the whole cell, queued once everything is committed.
    assert queued == [[first.pk, second.pk]]


# --- Grading ------------------------------------------------------------------------------------


@pytest.fixture
def certified(world, submitted, queued):
    return services.comment_certify(actor=world.commune_officer, request=submitted)


def test_grade_is_recorded_after_certification(world, certified):
    grade = services.grade_record(
        actor=world.secretary, request=certified, level="excellent", points=93
    )
    assert (grade.member, grade.year, grade.level, grade.points) == (
        world.member,
        certified.campaign.year,
        "excellent",
        93,
    )
    assert grade.request == certified and grade.recorded_by == world.secretary
    services.grade_record(actor=world.secretary, request=certified, level="good")
    grade.refresh_from_db()
    assert (grade.level, grade.points) == ("good", None)
    actions = list(
        AuditEntry.objects.filter(subject_id=str(world.member.pk), action__startswith="grade.")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["grade.record", "grade.change"]


@pytest.mark.parametrize(
    "points, level, band",
    [
        (85, "excellent", "Well fulfilled duties"),
        (90, "good", "Excellently"),
        (49, "fulfilled", "Did not"),
    ],
)
def test_points_must_agree_with_the_grade(world, certified, points, level, band):
    with pytest.raises(ValidationError, match=band) as refusal:
        services.grade_record(actor=world.secretary, request=certified, level=level, points=points)
    assert "points" in refusal.value.error_dict
    assert not Grade.objects.exists()


@pytest.mark.parametrize(
    "points, level", [(90, "excellent"), (70, "good"), (50, "fulfilled"), (0, "not_fulfilled")]
)
def test_band_edges(world, certified, points, level):
    services.grade_record(actor=world.secretary, request=certified, level=level, points=points)
    assert Grade.objects.get().level == level


def test_grade_refused_before_certification_and_to_others(world, submitted, queued):
    with pytest.raises(ValidationError, match="not come back certified"):
        services.grade_record(actor=world.secretary, request=submitted, level="good")
    row = services.comment_certify(actor=world.commune_officer, request=submitted)
    for actor in (world.other_secretary, world.commune_officer, world.residence_secretary):
        with pytest.raises(PermissionDenied):
            services.grade_record(actor=actor, request=row, level="good")
    assert not Grade.objects.exists()


# --- Closing ------------------------------------------------------------------------------------


def test_close_withdraws_unanswered_requests_and_stops_writing(world, opened):
    request = opened.requests[0]
    with pytest.raises(PermissionDenied):
        services.campaign_close(actor=world.residence_secretary, campaign=opened.campaign)
    campaign = services.campaign_close(actor=world.secretary, campaign=opened.campaign)
    assert campaign.state == Campaign.State.CLOSED and campaign.closed_at
    request.refresh_from_db()
    assert request.state == S.WITHDRAWN
    assert AuditEntry.objects.filter(action="comment.withdraw", subject_id=str(world.member.pk))
    with pytest.raises(ValidationError, match="already closed"):
        services.campaign_close(actor=world.secretary, campaign=campaign)
    with pytest.raises(ValidationError, match="was withdrawn"):
        submit(world, request, sitting_row=sitting(world))


# --- Concurrency (PostgreSQL) -------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_officers_certifying_at_once_one_wins(world, monkeypatch):
    from tests.residence.test_referral_services import _race, _second_commune_officer

    monkeypatch.setattr(certification, "queue_sheet_render", lambda ids: None)
    ensure_default_criteria()
    place(world, world.member)
    request = _open(world).requests[0]
    submit(world, request, sitting_row=sitting(world))
    colleague = _second_commune_officer(world)
    outcomes = _race(
        lambda: services.comment_certify(actor=world.commune_officer, request=request),
        lambda: services.comment_certify(actor=colleague, request=request),
    )
    winners = [o for o in outcomes if isinstance(o, CommentRequest)]
    losers = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(winners) == 1 and len(losers) == 1, outcomes
    fresh = CommentRequest.objects.get(pk=request.pk)
    assert fresh.state == S.CERTIFIED and fresh.certified_by == winners[0].certified_by
    assert AuditEntry.objects.filter(action="comment.certify").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_secretaries_opening_at_once_open_one_campaign(world, bloc_secretary):
    from tests.residence.test_referral_services import _race

    place(world, world.member)
    outcomes = _race(
        lambda: _open(world),
        lambda: _open(world, organisation=world.bloc, actor=bloc_secretary),
    )
    opened = [o for o in outcomes if isinstance(o, services.OpenResult)]
    assert len(opened) >= 1, outcomes
    assert CommentRequest.objects.filter(member=world.member).count() == 1
