"""Every redirect the site takes from a request stays on the site (issue 15, finding 8).

``/residence/referrals/*/bulk/`` followed its ``next`` field anywhere starting with "/", so
``//evil.example/x`` (a link to another site) passed; the sitting form refused "//" but not
"/\\", which browsers read the same way.
"""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

pytestmark = pytest.mark.django_db

OFF_SITE = [
    "//evil.example/x",
    "/\\evil.example/x",
    "\\\\evil.example/x",
    "/\t/evil.example/x",
    "https://evil.example/x",
    "javascript:alert(1)",
]


def stays_on_site(url: str) -> bool:
    return url_has_allowed_host_and_scheme(url, allowed_hosts={"testserver"}) and (
        "evil.example" not in url
    )


@pytest.mark.parametrize("side", ["residence", "workplace"])
@pytest.mark.parametrize("target", OFF_SITE)
def test_bulk_actions_never_follow_next_off_site(login, world, side, target):
    user = world.commune_officer if side == "residence" else world.secretary
    url = reverse("residence:referral_bulk", args=[side])
    response = login(user).post(url, {"next": target, "action": "receive"})
    assert response.status_code == 302
    assert stays_on_site(response.url), response.url


def test_bulk_actions_follow_next_on_site(login, world):
    url = reverse("residence:referral_bulk", args=["residence"])
    back = reverse("residence:referral_list", args=["residence"]) + "?state=issued"
    response = login(world.commune_officer).post(url, {"next": back, "action": "receive"})
    assert response.url == back


def _sitting(**overrides):
    return {
        "held_on": (timezone.localdate() - datetime.timedelta(days=1)).isoformat(),
        "place": "Nhà văn hóa",
        "cell_committee_attendees": "Đặng Văn Ộ",
        "front_committee_attendees": "Lê Thị Huệ",
        **overrides,
    }


@pytest.mark.parametrize("target", OFF_SITE)
def test_the_sitting_form_never_follows_next_off_site(login, world, target):
    url = reverse("evaluations:sitting_create", args=[world.residence_cell.pk])
    response = login(world.residence_secretary).post(f"{url}?next={target}", _sitting())
    assert response.status_code == 302
    assert stays_on_site(response.url), response.url


def test_the_sitting_form_follows_next_on_site(login, world):
    url = reverse("evaluations:sitting_create", args=[world.residence_cell.pk])
    back = reverse("evaluations:inbox")
    response = login(world.residence_secretary).post(f"{url}?next={back}", _sitting())
    assert response.url == back
