import pytest

from members.selectors import members_visible_to
from partyreg.audit import audit_history
from residence import services
from residence.models import Referral
from residence.selectors import referral_list
from tests.residence.test_referral_services import walk

pytestmark = pytest.mark.django_db
S = Referral.State


def test_commune_merger_carries_live_referrals_to_the_new_commune(world):
    referral = walk(world, until=S.ASSIGNED)
    from tests.members.factories import MemberFactory

    newcomer = MemberFactory(
        full_name="Lê Thị Hạnh", workplace_org=world.cell, residence_commune=world.commune
    )
    waiting = services.referral_issue(actor=world.secretary, member=newcomer)

    services.organisation_merge(
        actor=world.admin, source=world.commune, target=world.other_commune, note="NQ sáp nhập"
    )
    referral.refresh_from_db()
    waiting.refresh_from_db()
    assert referral.commune == world.other_commune
    # The residence cell moved with its commune, so the assignment stands.
    assert referral.residence_cell == world.residence_cell
    assert waiting.commune == world.other_commune

    # The officer of the commune that now exists sees and can act on the waiting referral.
    from members.models import Role
    from tests.members.factories import RoleFactory, UserFactory

    officer = UserFactory(username="lamvien")
    RoleFactory(user=officer, organisation=world.other_commune, kind=Role.Kind.OFFICER)
    assert waiting in referral_list(officer, "residence")
    services.referral_receive(actor=officer, referral=waiting)
    assert newcomer in members_visible_to(officer)
    # Each member's history says why the referral moved.
    assert audit_history(newcomer).filter(action="organisation.follow_merge").exists()


def test_closed_referrals_keep_their_old_commune(world):
    referral = walk(world, until=S.ISSUED)
    services.referral_close(actor=world.secretary, referral=referral, reason="withdrawn")
    services.organisation_merge(actor=world.admin, source=world.commune, target=world.other_commune)
    referral.refresh_from_db()
    assert referral.commune == world.commune


def test_refused_merger_moves_no_referral(world):
    from django.core.exceptions import ValidationError

    referral = walk(world, until=S.RECEIVED)
    with pytest.raises(ValidationError):
        services.organisation_merge(actor=world.admin, source=world.commune, target=world.agency)
    referral.refresh_from_db()
    assert referral.commune == world.commune
