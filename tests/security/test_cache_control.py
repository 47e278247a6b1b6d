"""Pages, PDFs and spreadsheets shown to a signed-in user are never kept by a browser's or a
proxy's cache (issue 15, finding 9): a shared office computer must not keep member records
after the session ends. The URL walk checks every answer to a signed-in user the same way."""

import pytest
from django.urls import reverse
from django.utils.cache import get_max_age

from residence import services as referral_services

pytestmark = pytest.mark.django_db


def never_stored(response) -> bool:
    directives = {d.strip().split("=")[0] for d in response.get("Cache-Control", "").split(",")}
    return {"no-store", "private"} <= directives and not get_max_age(response)


def test_a_member_page_is_not_stored(login, world):
    response = login(world.secretary).get(reverse("members:member_detail", args=[world.member.pk]))
    assert response.status_code == 200
    assert never_stored(response), response.get("Cache-Control")


def test_a_referral_letter_pdf_is_not_stored(login, world):
    referral = referral_services.referral_issue(actor=world.secretary, member=world.member)
    response = login(world.secretary).get(reverse("residence:referral_letter", args=[referral.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert never_stored(response), response.get("Cache-Control")


@pytest.mark.parametrize(
    "url",
    [
        lambda w: reverse("members:member_export"),
        lambda w: reverse("evaluations:dashboard_export", args=[w.agency.pk]),
    ],
    ids=["member_export", "dashboard_export"],
)
def test_a_spreadsheet_is_not_stored(login, world, url):
    response = login(world.secretary).get(url(world))
    assert "spreadsheetml" in response["Content-Type"]
    assert never_stored(response), response.get("Cache-Control")


def test_an_htmx_fragment_is_not_stored(login, world):
    response = login(world.secretary).get(reverse("notification_badge"), HTTP_HX_REQUEST="true")
    assert never_stored(response), response.get("Cache-Control")


def test_the_login_page_is_not_stored(client, world):
    assert never_stored(client.get(reverse("login")))
