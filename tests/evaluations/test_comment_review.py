"""The commune's review of a comment: return for revision (every round kept), near-identical
comments certified only one by one after comparison, the bulk leaving them out, and the sheet
printing only the certified text."""

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from pypdf import PdfReader

from evaluations import services
from evaluations.models import CommentRequest, CommentReturn
from evaluations.printing import sheets
from evaluations.services import certification
from partyreg.models import AuditEntry
from tests.members.factories import RoleFactory, UserFactory

from .campaign_helpers import SAME, answers_for, place, placed_member, sitting, submit

pytestmark = pytest.mark.django_db
S = CommentRequest.State

FIRST = "Tốt."
REVISED = "Đồng chí vận động bà con góp tiền làm đường bê tông ngõ 12, dự họp tổ đầy đủ."
REASON = "Nhận xét chung chung, chưa nêu việc cụ thể của đồng chí ở tổ dân phố."


@pytest.fixture(autouse=True)
def queued(monkeypatch):
    calls = []
    monkeypatch.setattr(certification, "queue_sheet_render", calls.append)
    return calls


@pytest.fixture
def request_(world):
    place(world, world.member)
    campaign = services.campaign_open(actor=world.secretary, organisation=world.agency).campaign
    return campaign.requests.get()


@pytest.fixture
def submitted(world, request_):
    return submit(world, request_, sitting_row=sitting(world), comment=FIRST, other="Khá.")


def _return(world, request, reason=REASON, actor=None):
    return services.comment_return(
        actor=actor or world.commune_officer, request=request, reason=reason
    )


def _resubmit(world, request, comment=REVISED, other=""):
    return services.comment_submit(
        actor=world.residence_secretary,
        request=request,
        answers=answers_for(request, level=1, comment=comment),
        other_comments=other,
        sitting=request.sitting,
    )


# --- Returning ----------------------------------------------------------------------------------


def test_commune_returns_with_a_reason_and_the_round_is_kept(world, submitted):
    returned = _return(world, submitted, reason=f"  {REASON}  ")
    assert returned.state == S.RETURNED
    round_ = CommentReturn.objects.get()
    assert (round_.request, round_.round, round_.reason) == (returned, 1, REASON)
    assert round_.returned_by == world.commune_officer and round_.returned_at is not None
    assert round_.submitted_by == world.residence_secretary
    assert round_.submitted_at == submitted.submitted_at
    assert round_.other_comments == "Khá."
    assert [a["position"] for a in round_.answers] == list(range(1, 7))
    assert round_.answers[0]["comment"] == FIRST
    assert round_.answers[0]["level"] == "Nêu gương tốt"
    entry = AuditEntry.objects.get(action="comment.return")
    assert entry.actor == world.commune_officer and entry.note == REASON
    assert entry.changes["state"] == ["Submitted", "Returned for revision"]


def test_return_refusals_change_nothing(world, request_):
    with pytest.raises(ValidationError, match="has not submitted"):
        _return(world, request_)
    row = submit(world, request_, sitting_row=sitting(world), comment=FIRST)
    with pytest.raises(ValidationError) as error:
        _return(world, row, reason="   ")
    assert "reason" in error.value.error_dict
    other_officer = UserFactory(username="phuong2")
    RoleFactory(user=other_officer, organisation=world.other_commune)
    for actor in (world.residence_secretary, world.secretary, other_officer):
        with pytest.raises(PermissionDenied):
            _return(world, row, actor=actor)
    _return(world, row)
    with pytest.raises(ValidationError, match="returned to the residence cell for revision"):
        _return(world, row)
    with pytest.raises(ValidationError, match="returned to the residence cell for revision"):
        services.comment_certify(actor=world.commune_officer, request=row)
    assert CommentReturn.objects.count() == 1
    assert AuditEntry.objects.filter(action="comment.return").count() == 1
    assert CommentRequest.objects.get(pk=row.pk).state == S.RETURNED


def test_every_round_is_kept_and_the_request_holds_the_final_text(world, submitted):
    _return(world, submitted)
    # The cell may keep a draft of its revision, even without choosing the sitting again.
    services.comment_save_draft(
        actor=world.residence_secretary,
        request=submitted,
        answers=answers_for(submitted, comment="Đang sửa"),
        sitting=None,
    )
    assert CommentRequest.objects.get(pk=submitted.pk).state == S.RETURNED
    second = _resubmit(world, submitted, comment="Gương mẫu.")
    assert second.state == S.SUBMITTED
    _return(world, second, reason="Chưa nói về việc dự họp.")
    final = _resubmit(world, second)
    certified = services.comment_certify(actor=world.commune_officer, request=final)

    rounds = list(CommentReturn.objects.order_by("round"))
    assert [(r.round, r.answers[0]["comment"]) for r in rounds] == [(1, FIRST), (2, "Gương mẫu.")]
    assert [r.reason for r in rounds] == [REASON, "Chưa nói về việc dự họp."]
    assert rounds[1].submitted_at > rounds[0].submitted_at
    assert certified.state == S.CERTIFIED
    assert certified.answers.get(criterion__position=1).comment == REVISED
    actions = list(
        AuditEntry.objects.filter(target_id=str(certified.pk), action__startswith="comment.")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == [
        "comment.request",
        "comment.submit",
        "comment.return",
        "comment.draft",
        "comment.submit",
        "comment.return",
        "comment.submit",
        "comment.certify",
    ]


def test_closing_withdraws_returned_comments_and_a_closed_campaign_returns_nothing(
    world, submitted
):
    other = placed_member(world, "Trần Văn Báo")
    pending = services.comment_request_create(
        actor=world.secretary, campaign=submitted.campaign, member=other, reason="annual"
    )
    pending = submit(world, pending, sitting_row=submitted.sitting, comment="Khác hẳn")
    _return(world, submitted)
    services.campaign_close(actor=world.secretary, campaign=submitted.campaign)
    assert CommentRequest.objects.get(pk=submitted.pk).state == S.WITHDRAWN
    with pytest.raises(ValidationError, match="is closed"):
        _return(world, pending)
    assert CommentRequest.objects.get(pk=pending.pk).state == S.SUBMITTED


# --- Near-identical comments --------------------------------------------------------------------


@pytest.fixture
def look_alikes(world):
    """Two near-identical submitted comments and one of its own, in one cell."""
    place(world, world.member)
    others = [placed_member(world, "Trần Văn Báo"), placed_member(world, "Lê Thị Cúc")]
    campaign = services.campaign_open(actor=world.secretary, organisation=world.agency).campaign
    row = sitting(world)
    by_member = {r.member_id: r for r in campaign.requests.all()}
    first = submit(world, by_member[world.member.pk], sitting_row=row, other=SAME)
    second = submit(world, by_member[others[0].pk], sitting_row=row, other=SAME)
    own = submit(world, by_member[others[1].pk], sitting_row=row, other=REVISED)
    first.refresh_from_db()
    assert first.similar_to == second and second.similar_to == first and own.similar_to is None
    return first, second, own


def test_flagged_comment_is_certified_only_with_its_comparison(world, look_alikes, queued):
    first, second, _own = look_alikes
    for compared_with in (None, first.pk, 999999):
        with pytest.raises(ValidationError) as error:
            services.comment_certify(
                actor=world.commune_officer, request=first, compared_with=compared_with
            )
        assert error.value.code == "needs_comparison"
        assert "Trần Văn Báo" in error.value.messages[0]
    assert CommentRequest.objects.get(pk=first.pk).state == S.SUBMITTED
    done = services.comment_certify(
        actor=world.commune_officer, request=first, compared_with=second.pk
    )
    assert done.state == S.CERTIFIED
    entry = AuditEntry.objects.get(action="comment.certify")
    assert "Compared with the comment on Trần Văn Báo" in entry.note


def test_bulk_certification_leaves_flagged_comments_out(
    world, look_alikes, queued, django_capture_on_commit_callbacks
):
    first, second, own = look_alikes
    with django_capture_on_commit_callbacks(execute=True):
        result = services.comment_certify_many(
            actor=world.commune_officer, requests=[first, second, own]
        )
    assert [r.pk for r in result.certified] == [own.pk]
    assert [r.pk for r in result.left_out] == [first.pk, second.pk]
    states = dict(CommentRequest.objects.values_list("pk", "state"))
    assert (states[first.pk], states[second.pk], states[own.pk]) == (
        S.SUBMITTED,
        S.SUBMITTED,
        S.CERTIFIED,
    )
    assert queued == [[own.pk]]


def test_a_revision_that_makes_the_comment_particular_clears_both_flags(world, look_alikes):
    first, second, _own = look_alikes
    _return(world, first, reason="Giống hệt nhận xét đồng chí Báo.")
    revised = _resubmit(world, first, comment="Đồng chí An trực tiếp hòa giải hai hộ ở ngõ 3.")
    assert revised.similar_to is None
    second.refresh_from_db()
    assert second.similar_to is None and second.similarity < 0.9
    result = services.comment_certify_many(actor=world.commune_officer, requests=[revised, second])
    assert len(result.certified) == 2 and result.left_out == []


# --- The printed sheet --------------------------------------------------------------------------


def test_the_sheet_prints_only_the_certified_text(world, submitted, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    returned_text = sheets.sheet_queryset().get(pk=submitted.pk)
    sheets.ensure_verification_code(returned_text)
    returned_hash = sheets.content_hash(sheets.sheet_inputs(returned_text))
    _return(world, submitted)
    revised = _resubmit(world, submitted, other="Đề nghị biểu dương.")
    services.comment_certify(actor=world.commune_officer, request=revised)

    sheet, rendered = sheets.sheet_ensure(sheets.sheet_queryset().get(pk=submitted.pk))
    assert rendered
    assert sheet.content_hash != returned_hash
    reader = PdfReader(io.BytesIO(sheet.pdf.read()))
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    assert "Đồng chí vận động bà con góp tiền làm đường bê tông ngõ 12" in text
    assert "Đề nghị biểu dương." in text
    assert "Khá." not in text and REASON not in text
