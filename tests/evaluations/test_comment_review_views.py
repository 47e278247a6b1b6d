"""The commune's review through the pages: the return form and the rounds on the request's page,
the reason on the cell's form, the side-by-side comparison, and the bulk certification that
leaves near-identical comments out and says so."""

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from evaluations import services
from evaluations.models import CommentRequest, Criterion
from evaluations.services import certification
from tests.members.factories import RoleFactory, UserFactory

from .campaign_helpers import SAME, place, placed_member, sitting, submit

pytestmark = pytest.mark.django_db
S = CommentRequest.State
REASON = "Nhận xét chung chung, chưa nêu việc cụ thể."


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture(autouse=True)
def _no_render(monkeypatch):
    monkeypatch.setattr(certification, "queue_sheet_render", lambda ids: None)


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def submitted(world):
    place(world, world.member)
    campaign = services.campaign_open(actor=world.secretary, organisation=world.agency).campaign
    return submit(world, campaign.requests.get(), sitting_row=sitting(world), comment="Tốt.")


def _url(name, request):
    return reverse(f"evaluations:{name}", args=[request.pk])


def _revision(request, comment):
    data = {"sitting": request.sitting_id, "other_comments": "", "action": "submit"}
    for criterion in Criterion.objects.filter(campaign=request.campaign, form=request.form):
        data[f"level_{criterion.pk}"] = "1"
        data[f"comment_{criterion.pk}"] = comment
    return data


def test_commune_returns_the_cell_revises_and_every_round_shows(login, world, submitted):
    commune = login(world.commune_officer)
    page = commune.get(_url("request_detail", submitted)).content.decode()
    assert 'id="return-form"' in page and "Certify this comment" in page

    empty = commune.post(_url("comment_return", submitted), {"reason": "  "})
    assert empty.url == _url("request_detail", submitted)
    assert "Write why the comment goes back" in messages_of(empty)[0]
    assert CommentRequest.objects.get(pk=submitted.pk).state == S.SUBMITTED

    done = commune.post(_url("comment_return", submitted), {"reason": REASON})
    assert "returned to Chi bộ Tổ dân phố 5 for revision" in messages_of(done)[-1]
    assert CommentRequest.objects.get(pk=submitted.pk).state == S.RETURNED

    cell = login(world.residence_secretary)
    inbox = cell.get(reverse("evaluations:inbox")).content.decode()
    assert "Returned for revision" in inbox and _url("comment_edit", submitted) in inbox
    form = cell.get(_url("comment_edit", submitted)).content.decode()
    assert 'id="returned-reason"' in form and REASON in form and "Tốt." in form
    sent = cell.post(_url("comment_edit", submitted), _revision(submitted, "Dự họp đầy đủ."))
    assert sent.status_code == 302
    assert CommentRequest.objects.get(pk=submitted.pk).state == S.SUBMITTED

    workplace = login(world.secretary)
    history = workplace.get(_url("request_detail", submitted)).content.decode()
    assert 'id="return-1"' in history and REASON in history
    assert "The comment as returned" in history and "Tốt." in history
    assert "Submitted again by the cell" in history and "Dự họp đầy đủ." in history
    assert 'id="return-form"' not in history


def test_return_is_for_the_commune_only(client, login, world, submitted):
    url = _url("comment_return", submitted)
    anonymous = client.post(url, {"reason": REASON})
    assert anonymous.status_code == 302 and anonymous.url.startswith(reverse("login"))
    assert client.get(url).status_code == 302
    outsider = UserFactory(username="phuong2")
    RoleFactory(user=outsider, organisation=world.other_commune)
    assert login(outsider).post(url, {"reason": REASON}).status_code == 404
    refused = login(world.residence_secretary).post(url, {"reason": REASON})
    assert "Only the commune committee" in messages_of(refused)[0]
    page = login(world.residence_secretary).get(_url("request_detail", submitted))
    assert 'id="return-form"' not in page.content.decode()
    assert login(world.commune_officer).get(url).status_code == 405
    assert CommentRequest.objects.get(pk=submitted.pk).state == S.SUBMITTED


def test_request_page_queries_do_not_grow_with_the_rounds(login, world, submitted):
    client = login(world.secretary)
    url = _url("request_detail", submitted)

    def one_round(comment):
        request = CommentRequest.objects.get(pk=submitted.pk)
        services.comment_return(actor=world.commune_officer, request=request, reason=REASON)
        request.refresh_from_db()
        services.comment_submit(
            actor=world.residence_secretary,
            request=request,
            answers={
                c.pk: (0, comment)
                for c in Criterion.objects.filter(campaign=request.campaign, form=request.form)
            },
            sitting=request.sitting,
        )

    one_round("Vòng hai")
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    one_round("Vòng ba")
    one_round("Vòng tư")
    with CaptureQueriesContext(connection) as three:
        response = client.get(url)
    assert response.content.decode().count("list-group-item-warning") == 3
    assert len(three) == len(one)


# --- Near-identical comments --------------------------------------------------------------------


@pytest.fixture
def look_alikes(world):
    place(world, world.member)
    others = [placed_member(world, "Trần Văn Báo"), placed_member(world, "Lê Thị Cúc")]
    campaign = services.campaign_open(actor=world.secretary, organisation=world.agency).campaign
    row = sitting(world)
    by_member = {r.member_id: r for r in campaign.requests.all()}
    first = submit(world, by_member[world.member.pk], sitting_row=row, other=SAME)
    second = submit(world, by_member[others[0].pk], sitting_row=row, other=SAME)
    own = submit(world, by_member[others[1].pk], sitting_row=row, other="Hòa giải hai hộ ngõ 3.")
    first.refresh_from_db()
    return first, second, own


def test_flagged_comment_is_compared_side_by_side_then_certified(login, world, look_alikes):
    first, second, _own = look_alikes
    commune = login(world.commune_officer)
    detail = commune.get(_url("request_detail", first)).content.decode()
    assert "Compare and certify" in detail
    assert _url("comment_certify", first) not in detail

    blind = commune.post(_url("comment_certify", first))
    assert blind.url == _url("comment_compare", first)
    assert "nearly the same as the comment on Trần Văn Báo" in messages_of(blind)[0]
    assert CommentRequest.objects.get(pk=first.pk).state == S.SUBMITTED

    response = commune.get(_url("comment_compare", first))
    page = response.content.decode()
    assert response.status_code == 200
    assert [row.pk for row, _ratio in response.context["columns"]] == [first.pk, second.pk]
    assert "Nguyễn Văn An" in page and "Trần Văn Báo" in page and "Lê Thị Cúc" not in page
    assert "similarity 1.00" in page
    assert f'name="compared_with" value="{second.pk}"' in page
    assert 'id="return-form"' in page

    done = commune.post(_url("comment_certify", first), {"compared_with": second.pk})
    assert "certified and returned" in messages_of(done)[-1]
    assert CommentRequest.objects.get(pk=first.pk).state == S.CERTIFIED
    # Once certified, the comparison page leads back to the request.
    assert commune.get(_url("comment_compare", first)).url == _url("request_detail", first)


def test_compare_page_is_for_the_commune_only(client, login, world, look_alikes):
    first, _second, _own = look_alikes
    url = _url("comment_compare", first)
    assert client.get(url).url.startswith(reverse("login"))
    for user in (world.residence_secretary, world.secretary, world.other_secretary):
        assert login(user).get(url).status_code == 404, user
    outsider = UserFactory(username="phuong2")
    RoleFactory(user=outsider, organisation=world.other_commune)
    assert login(outsider).get(url).status_code == 404
    assert login(world.commune_officer).post(url).status_code == 405


def test_bulk_certification_says_what_it_left_out(login, world, look_alikes):
    first, second, own = look_alikes
    commune = login(world.commune_officer)
    inbox = commune.get(reverse("evaluations:inbox")).content.decode()
    assert "Certify the 1 submitted comment" in inbox
    assert 'id="near-identical"' in inbox and _url("comment_compare", first) in inbox

    response = commune.post(
        reverse("evaluations:certify_cell", args=[world.residence_cell.pk]),
        {"year": first.campaign.year},
    )
    message = messages_of(response)[0]
    assert "1 comment of Chi bộ Tổ dân phố 5 certified" in message
    assert "2 near-identical comments were left out" in message
    assert 'href="/evaluations/inbox/?cell=' in message and "#near-identical" in message
    states = dict(CommentRequest.objects.values_list("pk", "state"))
    assert [states[r.pk] for r in (first, second, own)] == [S.SUBMITTED, S.SUBMITTED, S.CERTIFIED]

    again = commune.post(
        reverse("evaluations:certify_cell", args=[world.residence_cell.pk]),
        {"year": first.campaign.year},
    )
    assert "2 near-identical comments were left out" in messages_of(again)[-1]
    assert "certified and returned" not in messages_of(again)[-1]
