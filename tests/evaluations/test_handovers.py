"""The annual comment tells each side its turn at once: requested (cell), submitted (commune),
returned (cell), certified (workplace), graded (member); the right people only, once."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from evaluations import handovers, permissions, services
from members.models import Member
from tests.members.factories import MemberFactory, UserFactory
from tests.partyreg.handover_helpers import told, told_users

from .campaign_helpers import SAME, place, placed_member, sitting, submit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english_site(settings):
    """Hand-overs are written in the site's language; these tests read the English source."""
    settings.LANGUAGE_CODE = "en"


def _open(world):
    return services.campaign_open(actor=world.secretary, organisation=world.agency)


@pytest.fixture
def opened(world):
    place(world, world.member)
    placed_member(world, "Trần Thị Hoa")
    return _open(world)


def test_a_campaign_asks_each_cell_once_listing_its_members(world, opened):
    assert told_users(handovers.REQUESTED) == ["chibo"]
    (notice,) = told(world.residence_secretary, handovers.REQUESTED)
    due = opened.campaign.due_on.strftime("%d/%m/%Y")
    assert notice.subject == (
        f"Đảng bộ Sở Tài chính asks Chi bộ Tổ dân phố 5 for 2 annual comments by {due}"
    )
    assert "Nguyễn Văn An" in notice.body and "Trần Thị Hoa" in notice.body
    year = opened.campaign.year
    assert notice.url == f"/evaluations/inbox/?cell={world.residence_cell.pk}&year={year}"
    assert all(permissions.can_write_comment(world.residence_secretary, r) for r in opened.requests)


def test_one_request_asks_the_cell_for_that_member(world, opened):
    member = MemberFactory(
        full_name="Lò Văn Mười",
        workplace_org=world.cell,
        residence_commune=world.commune,
        category=Member.Category.EXEMPT_ACTIVITY,
        category_reason="Công tác lưu động",
    )
    place(world, member)
    request = services.comment_request_create(
        actor=world.secretary, campaign=opened.campaign, member=member, reason="award"
    )
    notices = told(world.residence_secretary, handovers.REQUESTED)
    assert len(notices) == 2
    assert notices[-1].subject.startswith("Comment requested on Lò Văn Mười by ")
    assert "(award)" in notices[-1].body
    assert notices[-1].url == f"/evaluations/requests/{request.pk}/comment/"


def test_a_submitted_comment_tells_the_commune_committee(world, opened):
    first, second = opened.requests
    held = sitting(world)
    submit(world, first, sitting_row=held, comment=SAME)
    submitted = submit(world, second, sitting_row=held, comment=SAME)
    assert told_users(handovers.SUBMITTED) == ["phuong", "phuong"]
    notice = told(world.commune_officer, handovers.SUBMITTED)[-1]
    assert (
        notice.subject == f"Comment on {second.member.full_name} submitted by Chi bộ Tổ dân phố 5"
    )
    assert "nearly the same as the comment on" in notice.body
    assert notice.url == f"/evaluations/requests/{submitted.pk}/"
    assert permissions.can_certify_comment(world.commune_officer, submitted)


def test_a_returned_comment_tells_the_cell_once_per_round(world, opened):
    request = opened.requests[0]
    first_round = timezone.now()
    for _ in range(2):
        handovers.comment_returned(
            actor=world.commune_officer,
            request=request,
            reason="Nhận xét chung chung, chưa nêu việc cụ thể",
            returned_at=first_round,
        )
    assert told_users(handovers.RETURNED) == ["chibo"]
    (notice,) = told(world.residence_secretary, handovers.RETURNED)
    assert notice.subject == f"Comment on {request.member.full_name} returned for revision"
    assert "Nhận xét chung chung" in notice.body
    assert notice.url == f"/evaluations/requests/{request.pk}/comment/"
    handovers.comment_returned(
        actor=world.commune_officer,
        request=request,
        reason="Chưa có biên bản họp",
        returned_at=first_round + datetime.timedelta(days=2),
    )
    assert told_users(handovers.RETURNED) == ["chibo", "chibo"]


def test_a_certified_comment_tells_the_workplace_committee(world, opened):
    held = sitting(world)
    requests = [submit(world, r, sitting_row=held) for r in opened.requests]
    certified = services.comment_certify(actor=world.commune_officer, request=requests[0])
    assert told_users(handovers.CERTIFIED) == ["coquan"]
    (notice,) = told(world.secretary, handovers.CERTIFIED)
    assert notice.subject == (
        f"Comment on {certified.member.full_name} certified by Đảng ủy phường Xuân Hương"
    )
    assert notice.url == f"/evaluations/requests/{certified.pk}/"
    assert permissions.can_grade_member(world.secretary, certified)


def test_comments_certified_together_tell_the_workplace_once(world):
    for name in ("Một", "Hai", "Ba"):
        placed_member(world, f"Lê Văn {name}")
    opened = _open(world)
    held = sitting(world)
    requests = [submit(world, r, sitting_row=held) for r in opened.requests]
    services.comment_certify_many(actor=world.commune_officer, requests=requests)
    (notice,) = told(world.secretary, handovers.CERTIFIED)
    assert notice.subject == "3 comments certified by Đảng ủy phường Xuân Hương"
    assert all(f"Lê Văn {name}" in notice.body for name in ("Một", "Hai", "Ba"))


def test_a_grade_tells_the_member_and_again_only_when_it_changes(world, opened):
    held = sitting(world)
    request = next(r for r in opened.requests if r.member == world.member)
    submit(world, request, sitting_row=held)
    request = services.comment_certify(actor=world.commune_officer, request=request)
    for _ in range(2):
        services.grade_record(actor=world.secretary, request=request, level="good", points=82)
    assert told_users(handovers.GRADED) == ["dangvien"]
    (notice,) = told(world.member_user, handovers.GRADED)
    assert notice.subject == f"Your grade for {request.campaign.year}"
    assert "well fulfilled duties (82 points)" in notice.body
    assert notice.url == f"/members/{world.member.pk}/"
    services.grade_record(actor=world.secretary, request=request, level="excellent", points=91)
    assert told_users(handovers.GRADED) == ["dangvien", "dangvien"]


def test_a_member_without_a_login_is_graded_in_silence(world, opened):
    held = sitting(world)
    request = next(r for r in opened.requests if r.member != world.member)
    submit(world, request, sitting_row=held)
    request = services.comment_certify(actor=world.commune_officer, request=request)
    services.grade_record(actor=world.secretary, request=request, level="good")
    assert told_users(handovers.GRADED) == []


def _queries(function) -> int:
    with CaptureQueriesContext(connection) as captured:
        function()
    return len(captured)


def test_asking_many_cells_costs_the_same_queries_as_asking_one(world):
    for i in range(3):
        placed_member(world, f"Võ Thị {i}", user=UserFactory(username=f"vt{i}"))
    small = _open(world)
    services.campaign_close(actor=world.secretary, campaign=small.campaign)

    def tell(result):
        return lambda: handovers.campaign_requested(
            actor=None, campaign=result.campaign, requests=result.requests
        )

    small_queries = _queries(tell(small))
    for i in range(3, 30):
        placed_member(world, f"Võ Thị {i}", user=UserFactory(username=f"vt{i}"))
    assert len(small.requests) == 3
    large = services.campaign_open(
        actor=world.secretary, organisation=world.cell, year=small.campaign.year - 1
    )
    assert len(large.requests) == 30
    assert _queries(tell(large)) == small_queries <= 6
