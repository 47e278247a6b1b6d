"""The print selection loads what it prints through the user's scope (issue 15, finding 4):
any signed-in user could read any campaign's title at /evaluations/print/new/?campaign=N."""

import pytest
from django.urls import reverse

from tests.evaluations.factories import CampaignFactory

pytestmark = pytest.mark.django_db

TITLE = "Lấy ý kiến nhận xét đảng viên năm 2026 — Sở Tài chính"


@pytest.mark.parametrize("who", ["other_secretary", "member_user", "commune_officer"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_campaign_outside_ones_reach_is_404_and_its_title_unseen(login, world, who, method):
    campaign = CampaignFactory(organisation=world.agency, title=TITLE)
    client = login(getattr(world, who))
    response = getattr(client, method)(
        reverse("evaluations:printjob_new"), {"campaign": campaign.pk}
    )
    assert response.status_code == 404
    assert TITLE not in response.content.decode()


def test_the_campaigns_own_committee_sees_its_title(login, world):
    campaign = CampaignFactory(organisation=world.agency, title=TITLE)
    response = login(world.secretary).get(
        reverse("evaluations:printjob_new"), {"campaign": campaign.pk}
    )
    assert response.status_code == 200
    assert TITLE in response.content.decode()
