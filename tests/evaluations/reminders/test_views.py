"""The reminder settings page: a committee switches rules off for its subtree, nobody else can."""

import pytest

from evaluations.reminders import scan as reminders
from evaluations.reminders.models import OrganisationReminderSetting
from partyreg.models import AuditEntry
from tests.members.factories import UserFactory

URL = "/reminders/settings/"


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


def every_rule_on_but(*off: str) -> dict:
    return {rule: "on" for rule in reminders.RULES if rule not in off}


def test_the_secretary_sees_every_rule_of_their_organisation(world, login):
    page = login(world.secretary).get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    assert world.agency.name in html
    for label in reminders.RULE_LABELS.values():
        assert str(label) in html
    assert html.count("checked") == len(reminders.RULES)


def test_the_secretary_switches_a_rule_off_and_it_is_audited(world, login):
    client = login(world.secretary)
    response = client.post(
        URL, {"organisation": world.agency.pk, **every_rule_on_but("cell_meetings")}
    )
    assert response.status_code == 302
    assert response["Location"] == f"{URL}?organisation={world.agency.pk}"
    (setting,) = OrganisationReminderSetting.objects.all()
    assert (setting.organisation, setting.rule, setting.enabled) == (
        world.agency,
        "cell_meetings",
        False,
    )
    assert setting.updated_by == world.secretary
    entry = AuditEntry.objects.get(action="reminders.settings")
    assert entry.actor == world.secretary
    assert reminders.reminder_settings_effective(world.cell)["cell_meetings"] is False

    html = client.get(response["Location"]).content.decode()
    assert html.count("checked") == len(reminders.RULES) - 1

    # Saving the same again changes nothing and writes no audit entry.
    client.post(URL, {"organisation": world.agency.pk, **every_rule_on_but("cell_meetings")})
    assert AuditEntry.objects.filter(action="reminders.settings").count() == 1


def test_another_organisation_is_not_found_and_nothing_changes(world, login):
    client = login(world.other_secretary)
    assert client.get(f"{URL}?organisation={world.agency.pk}").status_code == 404
    response = client.post(
        URL, {"organisation": world.agency.pk, **every_rule_on_but(*reminders.RULES)}
    )
    assert response.status_code == 404
    assert not OrganisationReminderSetting.objects.exists()
    assert not AuditEntry.objects.filter(action="reminders.settings").exists()


def test_a_user_without_a_committee_role_gets_404(world, login):
    assert login(world.member_user).get(URL).status_code == 404
    assert login(UserFactory(username="nobody")).get(URL).status_code == 404


def test_the_settings_page_needs_a_login(client, db):
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
