"""The log of who viewed which member's record: written on every look, shown to few."""

import datetime

import pytest
from django.urls import reverse

from members.models import MemberView
from residence import services as referral_services
from tests.evaluations.factories import CampaignFactory, CommentRequestFactory

pytestmark = pytest.mark.django_db
VIA = MemberView.Via


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


def views_of(member, **filters):
    return list(
        MemberView.objects.filter(member=member, **filters).values_list("user__username", "via")
    )


def test_every_opening_of_the_member_page_is_written_down(world, login):
    client = login(world.secretary)
    url = reverse("members:member_detail", args=[world.member.pk])
    assert client.get(url).status_code == 200
    assert client.get(url).status_code == 200
    assert views_of(world.member) == [("coquan", VIA.PAGE)] * 2
    assert views_of(world.other_member) == []


def test_a_refused_look_is_not_a_view(world, login):
    client = login(world.other_secretary)
    response = client.get(reverse("members:member_detail", args=[world.member.pk]))
    assert response.status_code == 404
    assert views_of(world.member) == []


def test_the_referral_letter_is_a_view(world, login):
    referral = referral_services.referral_issue(actor=world.secretary, member=world.member)
    client = login(world.commune_officer)
    response = client.get(reverse("residence:referral_letter", args=[referral.pk]))
    assert response.status_code == 200
    assert views_of(world.member) == [("phuong", VIA.LETTER)]


def test_the_comment_sheet_is_a_view(world, login):
    comment = CommentRequestFactory(
        member=world.member,
        residence_cell=world.residence_cell,
        campaign=CampaignFactory(organisation=world.agency, year=2025),
    )
    response = login(world.secretary).get(reverse("evaluations:sheet_pdf", args=[comment.pk]))
    assert response.status_code == 200
    assert views_of(world.member) == [("coquan", VIA.SHEET)]


def test_an_export_is_a_view_of_every_record_it_holds(world, login):
    response = login(world.secretary).get(reverse("members:member_export"))
    assert response.status_code == 200
    assert views_of(world.member) == [("coquan", VIA.EXPORT)]
    assert views_of(world.other_member) == []  # outside the secretary's reach: not exported


def test_the_log_page_lists_who_looked_and_how(world, login, client):
    MemberView.objects.create(
        user=world.commune_officer,
        member=world.member,
        via=VIA.LETTER,
        viewed_at=datetime.datetime(2026, 10, 2, 9, 30, tzinfo=datetime.UTC),
    )
    body = login(world.secretary).get(reverse("members:member_views", args=[world.member.pk]))
    text = body.content.decode()
    assert body.status_code == 200
    assert "(phuong)" in text and "Referral letter (PDF)" in text
    # Opening the log is no view of the record itself.
    assert views_of(world.member, user=world.secretary) == []


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("admin", True),
        ("secretary", True),  # the member's own workplace
        ("bloc_staff", False),
        ("other_secretary", False),
        ("commune_officer", False),  # reads the record, not who else read it
        ("residence_secretary", False),
        ("member_user", False),
    ],
)
def test_who_may_see_the_log(world, login, who, sees):
    client = login(getattr(world, who))
    log = client.get(reverse("members:member_views", args=[world.member.pk]))
    assert log.status_code == (200 if sees else 404)
    page = client.get(reverse("members:member_detail", args=[world.member.pk]))
    if page.status_code == 200:
        link = reverse("members:member_views", args=[world.member.pk])
        assert (link in page.content.decode()) is sees
