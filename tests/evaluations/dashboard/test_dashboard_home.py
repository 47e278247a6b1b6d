"""The home page: each role's to-do counts over the known province, each a link."""

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from evaluations.models import Sitting
from residence.models import Referral
from tests.evaluations.factories import ReferralFactory
from tests.members.factories import MemberFactory

pytestmark = pytest.mark.django_db


def todo(response) -> dict[str, tuple[int, str]]:
    """{label: (count, url)} of every item on the page, pending or up to date."""
    assert response.status_code == 200
    return {
        str(item.label): (item.count, item.url)
        for section in response.context["sections"]
        for item in section.items
    }


def test_workplace_secretary(province, login):
    w = province.world
    items = todo(login(w.secretary).get(reverse("home")))
    assert items["Members to introduce to their place of residence"] == (
        2,
        reverse("residence:referral_issue_many"),
    )
    assert items["Members overdue to present themselves"][0] == 1
    assert items["Change notices not yet acknowledged by the residence side"][0] == 2
    assert items["Reports of members not taking part, to act on"][0] == 0
    assert items["Returned comments to grade"][0] == 2
    assert "Referrals to receive" not in items


def test_commune_officer(province, login):
    w = province.world
    response = login(w.commune_officer).get(reverse("home"))
    items = todo(response)
    assert items["Referrals to receive"] == (
        1,
        reverse("residence:referral_list", args=["residence"]) + "?state=issued",
    )
    assert items["Members to assign to a residence cell"][0] == 1
    assert items["Change notices to acknowledge"][0] == 3
    assert items["Comments to certify"][0] == 1
    html = response.content.decode()
    assert 'href="/residence/referrals/residence/?state=issued"' in html


def test_residence_cell_secretary(province, login):
    w = province.world
    client = login(w.residence_secretary)
    items = todo(client.get(reverse("home")))
    assert items["Members to record as presented"][0] == 1
    assert items["Meetings held, attendance to record"][0] == 0
    assert items["Attendance lists to confirm"][0] == 0
    assert items["Comment requests to answer"][0] == 1
    label = "Cells with comments due and no sitting recorded this year"
    assert items[label][0] == 0
    Sitting.objects.filter(residence_cell=w.residence_cell).update(year=2025)
    with time_machine.travel("2026-06-25 10:00+00:00", tick=False):
        items = todo(login(w.residence_secretary).get(reverse("home")))
    assert items[label][0] == 1
    # The meeting of 20 June has been held and waits for its attendance.
    assert items["Meetings held, attendance to record"][0] == 1


def test_member_sees_own_invitations(province, login):
    w = province.world
    items = todo(login(w.member_user).get(reverse("home")))
    assert items["Upcoming meetings you are invited to"] == (1, reverse("residence:my_meetings"))
    assert items["Your record"][1] == reverse("members:member_detail", args=[w.member.pk])


def test_member_told_to_present_themselves(province, login):
    w, m = province.world, province.members
    m["cuong"].user = w.member_user
    w.member.user = None
    w.member.save(update_fields=["user"])
    m["cuong"].save(update_fields=["user"])
    items = todo(login(w.member_user).get(reverse("home")))
    referral = Referral.objects.get(member=m["cuong"])
    assert items["Present yourself to your residence cell"] == (
        1,
        reverse("residence:referral_detail", args=[referral.pk]),
    )


def test_supervising_staff_see_the_worst_organisations(province, login):
    w = province.world
    response = login(w.bloc_staff).get(reverse("home"))
    assert response.context["sections"] == []
    (board,) = response.context["boards"]
    assert board["organisation"] == w.bloc
    assert [r.label for r in board["worst"]] == [w.agency.name, w.agency2.name]
    html = response.content.decode()
    assert reverse("evaluations:dashboard", args=[w.bloc.pk]) in html
    assert reverse("evaluations:dashboard", args=[w.agency.pk]) in html


def test_secretaries_get_the_dashboard_link_without_its_cost(province, login):
    w = province.world
    response = login(w.secretary).get(reverse("home"))
    assert [b["organisation"] for b in response.context["boards"]] == [w.agency]
    assert response.context["boards"][0]["worst"] == []


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302 and reverse("login") in response.url


def _queries(client) -> int:
    cache.clear()  # the worst rows counted afresh, not read from the cache
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("home")).status_code == 200
    return len(captured)


@pytest.mark.parametrize("user", ["secretary", "commune_officer", "residence_secretary", "admin"])
def test_query_count_does_not_grow(province, login, user):
    w = province.world
    client = login(getattr(w, user))
    _queries(client)
    small = _queries(client)
    for _ in range(20):
        member = MemberFactory(workplace_org=w.cell, residence_commune=w.commune)
        ReferralFactory(member=member, residence_cell=w.residence_cell, state="assigned")
        MemberFactory(workplace_org=w.cell)
    assert _queries(client) == small
