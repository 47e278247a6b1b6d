import pytest

from evaluations import mergers, services
from evaluations.models import CommentRequest
from partyreg.audit import audit_history
from residence.models import Referral
from tests.evaluations.campaign_helpers import placed_member

pytestmark = pytest.mark.django_db


def test_merging_residence_cells_carries_open_requests_and_live_referrals(world):
    from tests.members.factories import OrganisationFactory

    neighbour = OrganisationFactory(
        name="Chi bộ Tổ dân phố 6", kind="residence_cell", parent=world.commune
    )
    hoa = placed_member(world, "Trần Thị Hoa", cell=neighbour)
    services.campaign_open(actor=world.admin, organisation=world.agency)
    request = CommentRequest.objects.get(member=hoa)
    assert request.residence_cell == neighbour

    mergers.organisation_merge(
        actor=world.admin, source=neighbour, target=world.residence_cell, note="Sáp nhập tổ 5, 6"
    )
    request.refresh_from_db()
    assert request.residence_cell == world.residence_cell
    assert Referral.objects.get(member=hoa).residence_cell == world.residence_cell
    # The request now shows in the merged cell's inbox.
    from evaluations.selectors import residence_requests

    assert request in residence_requests(world.residence_secretary, request.campaign.year)
    assert audit_history(hoa).filter(action="organisation.follow_merge").count() == 2


def test_answered_requests_keep_the_cell_they_were_answered_by(world):
    from tests.members.factories import OrganisationFactory

    neighbour = OrganisationFactory(
        name="Chi bộ Tổ dân phố 6", kind="residence_cell", parent=world.commune
    )
    hoa = placed_member(world, "Trần Thị Hoa", cell=neighbour)
    services.campaign_open(actor=world.admin, organisation=world.agency)
    CommentRequest.objects.filter(member=hoa).update(state=CommentRequest.State.WITHDRAWN)
    mergers.organisation_merge(actor=world.admin, source=neighbour, target=world.residence_cell)
    assert CommentRequest.objects.get(member=hoa).residence_cell == neighbour
