"""Odd values where a view expects an id, a number or a code: answered as absent, never with a
server error (issue 15, finding 3).

``str.isdigit`` accepts "²" and other digits ``int`` refuses; a number past the bigint range,
letters, or a NUL byte (which PostgreSQL refuses in text) reached queries. Each case below was
one distinct 500. The property test in test_odd_input_walk.py sends such values to every URL.
"""

import pytest
from django.urls import reverse

from members.models import Organisation
from partyreg.text import natural_key
from residence import services as referral_services
from residence.models import Referral
from tests.evaluations.factories import CampaignFactory
from tests.members.factories import OrganisationFactory

pytestmark = pytest.mark.django_db

TOO_LARGE = "99999999999999999999999"


def _issued(world) -> Referral:
    return referral_services.referral_issue(actor=world.secretary, member=world.member)


@pytest.mark.parametrize("value", ["abc", "²", TOO_LARGE, "-1", "1.0", " 1"])
def test_issue_page_ignores_an_odd_organisation(login, world, value):
    url = reverse("residence:referral_issue_many")
    response = login(world.secretary).get(url, {"organisation": value})
    assert response.status_code == 200
    assert response.context["organisation"] is None


@pytest.mark.parametrize("name", ["campaign", "organisation", "request"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_print_selection_with_an_odd_id_is_404(login, world, name, method):
    CampaignFactory(organisation=world.agency)
    client = login(world.secretary)
    response = getattr(client, method)(reverse("evaluations:printjob_new"), {name: "²"})
    assert response.status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        reverse("residence:referral_bulk", args=["workplace"]),
        reverse("residence:referral_letters"),
        reverse("residence:referral_issue_many"),
    ],
)
def test_ticked_ids_in_superscript_are_no_ids(login, world, url):
    response = login(world.secretary).post(url, {"ids": ["²"], "action": "receive"})
    assert response.status_code == 302  # "tick at least one", nothing done


def test_residence_bulk_assign_to_an_odd_cell_is_refused(login, world):
    referral = _issued(world)
    client = login(world.commune_officer)
    url = reverse("residence:referral_bulk", args=["residence"])
    client.post(url, {"ids": [referral.pk], "action": "receive"})
    for cell in ("abc", "²", TOO_LARGE):
        response = client.post(
            url, {"ids": [referral.pk], "action": "assign", "residence_cell": cell}
        )
        assert response.status_code == 302
        referral.refresh_from_db()
        assert referral.state == Referral.State.RECEIVED


def test_residence_bulk_with_an_id_past_bigint_changes_nothing(login, world):
    referral = _issued(world)
    url = reverse("residence:referral_bulk", args=["residence"])
    response = login(world.commune_officer).post(
        url, {"ids": [TOO_LARGE, referral.pk], "action": "receive"}
    )
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.state == Referral.State.RECEIVED  # the valid id alone


def test_natural_order_takes_digits_that_int_refuses():
    """ "²" is a digit to str.isdigit that int() refuses: the sort key must not choke on it."""
    labels = ["Tổ 10", "Tổ 2²", "²", "Tổ 2", "Tổ ٣"]
    ordered = sorted(labels, key=natural_key)
    assert sorted(ordered) == sorted(labels)
    assert ordered.index("Tổ 2") < ordered.index("Tổ 2²") < ordered.index("Tổ 10")
    assert ordered.index("Tổ ٣") < ordered.index("Tổ 10")


def test_dashboard_of_an_organisation_with_a_superscript_in_a_name(login, world):
    OrganisationFactory(name="Chi bộ Phòng 2²", kind=Organisation.Kind.CELL, parent=world.agency)
    client = login(world.secretary)
    url = reverse("evaluations:dashboard", args=[world.agency.pk])
    for sort in ("", "name", "-name"):
        response = client.get(url, {"sort": sort})
        assert response.status_code == 200
        assert "Chi bộ Phòng 2²" in response.content.decode()


@pytest.mark.postgres
@pytest.mark.parametrize("code", ["AB\x00CD", "\x00", "²"])
def test_verification_code_with_a_nul_byte_is_404(login, world, code):
    url = reverse("evaluations:sheet_verify", kwargs={"code": code})
    assert login(world.secretary).get(url).status_code == 404
