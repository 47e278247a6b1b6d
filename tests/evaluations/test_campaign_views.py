import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from evaluations import services
from evaluations.models import Campaign, CommentRequest, Criterion, Grade, Sitting
from evaluations.services import certification
from tests.members.factories import RoleFactory, UserFactory

from .campaign_helpers import SAME, answers_for, place, placed_member, sitting, submit

pytestmark = pytest.mark.django_db
S = CommentRequest.State


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture(autouse=True)
def _english(settings):
    # Pages are asserted in their English source wording, whatever the translations say.
    settings.LANGUAGE_CODE = "en"


@pytest.fixture(autouse=True)
def _no_render(monkeypatch):
    monkeypatch.setattr(certification, "queue_sheet_render", lambda ids: None)


@pytest.fixture
def campaign(world):
    place(world, world.member)
    return services.campaign_open(actor=world.secretary, organisation=world.agency).campaign


@pytest.fixture
def request_(campaign):
    return campaign.requests.get()


def _url(name, world, campaign, request_):
    args = {
        "campaign_detail": lambda: [campaign.pk],
        "campaign_close": lambda: [campaign.pk],
        "request_create": lambda: [campaign.pk],
        "request_detail": lambda: [request_.pk],
        "comment_edit": lambda: [request_.pk],
        "comment_certify": lambda: [request_.pk],
        "grade_record": lambda: [request_.pk],
        "sitting_create": lambda: [world.residence_cell.pk],
        "certify_cell": lambda: [world.residence_cell.pk],
    }.get(name, list)()
    return reverse(f"evaluations:{name}", args=args)


# --- Anonymous, right role, other organisation ---------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "index",
        "campaign_list",
        "campaign_open",
        "campaign_detail",
        "request_create",
        "inbox",
        "sitting_create",
        "request_detail",
        "comment_edit",
    ],
)
def test_anonymous_is_sent_to_login(client, world, campaign, request_, name):
    response = client.get(_url(name, world, campaign, request_))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize(
    "user, name",
    [
        ("secretary", "campaign_list"),
        ("secretary", "campaign_open"),
        ("secretary", "campaign_detail"),
        ("secretary", "request_create"),
        ("secretary", "request_detail"),
        ("bloc_staff", "campaign_detail"),
        ("residence_secretary", "inbox"),
        ("residence_secretary", "sitting_create"),
        ("residence_secretary", "comment_edit"),
        ("residence_secretary", "request_detail"),
        ("commune_officer", "inbox"),
        ("commune_officer", "request_detail"),
    ],
)
def test_right_role_gets_the_page(login, world, campaign, request_, user, name):
    response = login(getattr(world, user)).get(_url(name, world, campaign, request_))
    assert response.status_code == 200


def test_index_sends_each_side_to_its_page(login, world, campaign):
    assert login(world.secretary).get(reverse("evaluations:index")).url == reverse(
        "evaluations:campaign_list"
    )
    assert login(world.residence_secretary).get(reverse("evaluations:index")).url == reverse(
        "evaluations:inbox"
    )


def test_index_opens_on_the_side_with_work(login, world):
    from tests.evaluations.factories import CampaignFactory

    client = login(world.admin)  # both sides; the residence side comes first
    assert client.get(reverse("evaluations:index")).url == reverse("evaluations:inbox")
    CampaignFactory(organisation=world.agency)  # a campaign, no request reaches a cell yet
    assert client.get(reverse("evaluations:index")).url == reverse("evaluations:campaign_list")


def test_other_organisation_gets_404_and_nothing_changes(login, world, campaign, request_):
    client = login(world.other_secretary)
    for name in ("campaign_detail", "request_create", "request_detail", "comment_edit", "inbox"):
        assert client.get(_url(name, world, campaign, request_)).status_code == 404, name
    for name in ("campaign_close", "comment_certify", "grade_record", "certify_cell"):
        assert client.post(_url(name, world, campaign, request_)).status_code == 404, name
    outsider = UserFactory(username="chibo9")
    RoleFactory(user=outsider, organisation=world.other_residence_cell)
    client = login(outsider)
    for name in ("request_detail", "comment_edit", "sitting_create"):
        assert client.get(_url(name, world, campaign, request_)).status_code == 404, name
    assert client.get(reverse("evaluations:inbox")).status_code == 200
    assert Campaign.objects.get().state == Campaign.State.OPEN
    assert CommentRequest.objects.get().state == S.REQUESTED


def test_the_workplace_reads_but_cannot_write_the_comment(login, world, request_):
    client = login(world.secretary)
    assert client.get(_url("comment_edit", world, None, request_)).status_code == 404


# --- Through the views ---------------------------------------------------------------------------


def test_open_a_campaign_from_the_form(login, world):
    place(world, world.member)
    client = login(world.secretary)
    page = client.get(reverse("evaluations:campaign_open"))
    assert page.context["form"]["due_on"].value() is not None
    response = client.post(
        reverse("evaluations:campaign_open"),
        {
            "organisation": world.agency.pk,
            "year": page.context["form"]["year"].value(),
            "due_on": page.context["form"]["due_on"].value(),
        },
    )
    campaign = Campaign.objects.get()
    assert response.url == reverse("evaluations:campaign_detail", args=[campaign.pk])
    assert "1 comment requested from 1 residence cell(s)." in messages_of(response)[0]
    again = client.post(
        reverse("evaluations:campaign_open"),
        {"organisation": world.agency.pk, "year": campaign.year, "due_on": campaign.due_on},
    )
    assert again.status_code == 200
    assert "already opened" in again.content.decode()
    assert Campaign.objects.count() == 1


def test_cell_writes_saves_draft_and_cannot_submit_without_sitting(login, world, request_):
    client = login(world.residence_secretary)
    url = reverse("evaluations:comment_edit", args=[request_.pk])
    page = client.get(url).content.decode()
    assert "attendance-facts" in page
    assert "Nêu gương tốt" in page and "Biểu dương" in page
    data = _form_data(request_, comment="Gương mẫu")
    draft = client.post(url, {**data, "action": "draft"})
    assert draft.status_code == 302
    assert CommentRequest.objects.get(pk=request_.pk).answers.count() == 6
    refused = client.post(url, {**data, "action": "submit"})
    assert refused.status_code == 200
    assert "Record the sitting first" in refused.content.decode()
    assert CommentRequest.objects.get(pk=request_.pk).state == S.REQUESTED

    sitting_url = reverse("evaluations:sitting_create", args=[world.residence_cell.pk])
    recorded = client.post(
        sitting_url,
        {
            "held_on": timezone.localdate().isoformat(),
            "place": "Nhà văn hóa",
            "cell_committee_attendees": "Đặng Văn Ộ — Bí thư",
            "front_committee_attendees": "Phạm Văn Lực",
        },
    )
    assert recorded.status_code == 302
    row = Sitting.objects.get()
    done = client.post(url, {**data, "sitting": row.pk, "action": "submit"})
    assert done.status_code == 302
    request_.refresh_from_db()
    assert request_.state == S.SUBMITTED and request_.sitting == row


def _form_data(request, *, comment="", other="", level=0):
    data = {"other_comments": other, "sitting": ""}
    for criterion in Criterion.objects.filter(campaign=request.campaign, form=request.form):
        data[f"level_{criterion.pk}"] = str(level)
        data[f"comment_{criterion.pk}"] = comment
    return data


def test_near_identical_warning_names_the_other_member_and_still_lets_submit(login, world):
    other = placed_member(world, "Trần Văn Báo")
    place(world, world.member)
    campaign = services.campaign_open(actor=world.secretary, organisation=world.agency).campaign
    first = campaign.requests.get(member=other)
    mine = campaign.requests.get(member=world.member)
    row = sitting(world)
    submit(world, first, sitting_row=row, other=SAME)
    client = login(world.residence_secretary)
    url = reverse("evaluations:comment_edit", args=[mine.pk])
    data = {**_form_data(mine, other=SAME), "sitting": row.pk}
    warned = client.post(url, {**data, "action": "submit"})
    assert warned.status_code == 200
    body = warned.content.decode()
    assert "similar-warning" in body and "Trần Văn Báo" in body
    assert "Submit anyway" in body
    assert CommentRequest.objects.get(pk=mine.pk).state == S.REQUESTED
    done = client.post(url, {**data, "action": "submit_anyway"})
    assert done.status_code == 302
    mine.refresh_from_db()
    assert mine.state == S.SUBMITTED and mine.similar_to == first

    # The workplace side sees the flag in its list and on the request.
    workplace = login(world.secretary)
    listing = workplace.get(reverse("evaluations:campaign_detail", args=[campaign.pk]))
    assert listing.context["counts"]["similar"] == 2
    assert "Near-identical" in listing.content.decode()
    detail = workplace.get(reverse("evaluations:request_detail", args=[mine.pk])).content.decode()
    assert "similar-flag" in detail and "Trần Văn Báo" in detail


def test_commune_certifies_a_cell_and_workplace_grades(login, world, request_):
    submit(world, request_, sitting_row=sitting(world), comment="Gương mẫu")
    cell_secretary = login(world.residence_secretary)
    refused = cell_secretary.post(
        reverse("evaluations:comment_certify", args=[request_.pk]), follow=False
    )
    assert "Only the commune committee" in messages_of(refused)[0]
    assert CommentRequest.objects.get(pk=request_.pk).state == S.SUBMITTED

    commune = login(world.commune_officer)
    inbox = commune.get(reverse("evaluations:inbox"))
    assert inbox.context["cell"] == world.residence_cell
    assert inbox.context["can_certify"]
    response = commune.post(
        reverse("evaluations:certify_cell", args=[world.residence_cell.pk]),
        {"year": request_.campaign.year},
    )
    assert "1 comment of Chi bộ Tổ dân phố 5 certified" in messages_of(response)[0]
    assert CommentRequest.objects.get(pk=request_.pk).state == S.CERTIFIED

    workplace = login(world.secretary)
    grade_url = reverse("evaluations:grade_record", args=[request_.pk])
    wrong = workplace.post(grade_url, {"level": "excellent", "points": "80"})
    assert wrong.status_code == 400
    assert "Well fulfilled duties" in wrong.content.decode()
    assert not Grade.objects.exists()
    right = workplace.post(grade_url, {"level": "good", "points": "80"})
    assert right.status_code == 302
    assert Grade.objects.get().level == "good"
    detail = workplace.get(reverse("evaluations:request_detail", args=[request_.pk]))
    assert "Well fulfilled duties" in detail.content.decode()


def test_exempt_member_requested_one_by_one_from_the_form(login, world, campaign):
    from members.models import Member
    from tests.members.factories import MemberFactory

    exempt = MemberFactory(
        full_name="Lê Văn Công",
        workplace_org=world.cell,
        residence_commune=world.commune,
        category=Member.Category.EXEMPT_ACTIVITY,
        category_reason="Học tập trung",
    )
    place(world, exempt)
    client = login(world.secretary)
    url = reverse("evaluations:request_create", args=[campaign.pk])
    assert list(client.get(url).context["form"].fields["member"].queryset) == [exempt]
    refused = client.post(url, {"member": exempt.pk, "reason": "annual"})
    assert "exempt from routine comments" in refused.content.decode()
    done = client.post(url, {"member": exempt.pk, "reason": "award", "reason_note": "Huy hiệu"})
    request = CommentRequest.objects.get(member=exempt)
    assert done.url == reverse("evaluations:request_detail", args=[request.pk])
    assert request.form == "exempt"


# --- Query counts --------------------------------------------------------------------------------


def _grow(world, campaign, n, start=0):
    """``n`` more requests in the campaign: some submitted alike, certified and graded."""
    row = Sitting.objects.filter(residence_cell=world.residence_cell).first() or sitting(world)
    for i in range(start, start + n):
        member = placed_member(world, f"Thành viên {i:03d}")
        request = services.comment_request_create(
            actor=world.secretary, campaign=campaign, member=member, reason="annual"
        )
        if i % 2:
            request = submit(world, request, sitting_row=row, other=SAME)
        if i % 4 == 1:
            services.comment_certify(
                actor=world.commune_officer, request=request, compared_with=request.similar_to_id
            )
            services.grade_record(actor=world.secretary, request=request, level="good")


@pytest.mark.parametrize(
    "user_name, url_name, expected",
    [
        ("secretary", "campaign_detail", 10),
        ("secretary", "campaign_list", 9),
        ("residence_secretary", "inbox", 11),
        ("commune_officer", "inbox", 11),
    ],
)
def test_list_query_counts_are_pinned_and_stable(
    login, world, campaign, django_assert_num_queries, user_name, url_name, expected
):
    client = login(getattr(world, user_name))
    url = _url(url_name, world, campaign, None)
    _grow(world, campaign, 4)
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        response = client.get(url)
    assert response.status_code == 200
    _grow(world, campaign, 36, start=4)
    with django_assert_num_queries(len(small)):
        response = client.get(url)
    if url_name == "campaign_detail":
        assert len(response.context["page"].object_list) == 41
    if url_name == "inbox":
        assert response.context["group"]["total"] == 41
    assert len(small) == expected


def test_comment_form_answers_are_prefilled_from_the_draft(login, world, request_):
    answers = answers_for(request_, level=2, comment="Chưa tham gia")
    services.comment_save_draft(
        actor=world.residence_secretary, request=request_, answers=answers, other_comments="Nháp"
    )
    page = login(world.residence_secretary).get(
        reverse("evaluations:comment_edit", args=[request_.pk])
    )
    form = page.context["form"]
    first = next(iter(answers))
    assert form[f"level_{first}"].value() == 2
    assert form[f"comment_{first}"].value() == "Chưa tham gia"
    assert form["other_comments"].value() == "Nháp"
