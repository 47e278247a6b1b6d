"""A committee's signing certificates and its switch: given by a site administrator, checked,
audited; who signs for a committee, and nobody while signing is off."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from members import signers
from members.models import CommitteeSigner, CommitteeSigning
from partyreg.models import AuditEntry
from partyreg.signing import services as signing_services
from tests.partyreg.signing import pki

pytestmark = pytest.mark.django_db


@pytest.fixture
def credential(world, settings, signing_settings, pki_world):
    settings.PARTYREG_SIGNING = settings.PARTYREG_SIGNING | {"ENABLED": True}
    signing_services.trusted_authority_add(
        actor=world.admin, name="CA", certificate=pki_world.authority.pem
    )
    return signing_services.signing_credential_install(
        actor=world.admin,
        label="Chi bộ Tổ dân phố 5",
        pkcs12_data=pki_world.signer.pkcs12(),
        passphrase=pki.PASSPHRASE,
    )


def test_an_administrator_gives_a_committee_its_certificate_and_switches_it_on(world, credential):
    signer = signers.committee_signer_set(
        actor=world.admin, organisation=world.residence_cell, credential=credential
    )
    assert not signers.signing_enabled(world.residence_cell)
    assert signers.committee_signer(world.residence_cell, world.residence_secretary) is None

    signers.committee_signing_set(
        actor=world.admin, organisation=world.residence_cell, enabled=True
    )

    assert signers.signing_enabled(world.residence_cell)
    assert signers.committee_signer(world.residence_cell, world.residence_secretary) == signer
    actions = list(
        AuditEntry.objects.filter(
            subject_id=str(world.residence_cell.pk), action__startswith="sign"
        ).values_list("action", flat=True)
    )
    assert sorted(actions) == ["signer.add", "signing.switch"]


def test_only_an_administrator_and_only_sensible_certificates(world, credential):
    with pytest.raises(PermissionDenied):
        signers.committee_signer_set(
            actor=world.residence_secretary,
            organisation=world.residence_cell,
            credential=credential,
        )
    with pytest.raises(ValidationError, match="does not act for"):
        signers.committee_signer_set(
            actor=world.admin,
            organisation=world.residence_cell,
            credential=credential,
            user=world.secretary,
        )
    with pytest.raises(ValidationError, match="no signing certificate"):
        signers.committee_signing_set(actor=world.admin, organisation=world.commune, enabled=True)
    signers.committee_signer_set(
        actor=world.admin, organisation=world.residence_cell, credential=credential
    )
    with pytest.raises(ValidationError, match="already signs"):
        signers.committee_signer_set(
            actor=world.admin, organisation=world.residence_cell, credential=credential
        )
    signing_services.signing_credential_set_active(
        actor=world.admin, credential=credential, active=False
    )
    with pytest.raises(ValidationError, match="deactivated"):
        signers.committee_signer_set(
            actor=world.admin, organisation=world.commune, credential=credential
        )
    assert CommitteeSigner.objects.count() == 1


def test_a_personal_certificate_signs_for_its_holder_only(world, credential, settings):
    mine = signers.committee_signer_set(
        actor=world.admin,
        organisation=world.residence_cell,
        credential=credential,
        user=world.residence_secretary,
    )
    signers.committee_signing_set(
        actor=world.admin, organisation=world.residence_cell, enabled=True
    )

    assert signers.committee_signer(world.residence_cell, world.residence_secretary) == mine
    assert signers.committee_signer(world.residence_cell, world.commune_officer) is None
    settings.PARTYREG_SIGNING = settings.PARTYREG_SIGNING | {"ENABLED": False}
    assert signers.committee_signer(world.residence_cell, world.residence_secretary) is None
    signers.committee_signer_remove(actor=world.admin, signer=mine)
    settings.PARTYREG_SIGNING = settings.PARTYREG_SIGNING | {"ENABLED": True}
    assert signers.committee_signer(world.residence_cell, world.residence_secretary) is None


def test_the_administration_gives_certificates_and_switches_through_the_services(
    world, credential, login
):
    client = login(world.admin)
    added = client.post(
        reverse("admin:members_committeesigner_add"),
        {"organisation": world.commune.pk, "credential": credential.pk, "user": ""},
    )
    assert added.status_code == 302
    signer = CommitteeSigner.objects.get()
    refused = client.post(
        reverse("admin:members_committeesigning_add"),
        {"organisation": world.residence_cell.pk, "enabled": "on"},
    )
    assert refused.status_code == 200 and not CommitteeSigning.objects.exists()
    switched = client.post(
        reverse("admin:members_committeesigning_add"),
        {"organisation": world.commune.pk, "enabled": "on"},
    )
    assert switched.status_code == 302
    assert signers.committee_signer(world.commune, world.commune_officer) == signer
    withdrawn = client.post(reverse("admin:members_committeesigner_change", args=[signer.pk]), {})
    assert withdrawn.status_code == 302
    signer.refresh_from_db()
    assert not signer.active
    assert AuditEntry.objects.filter(action="signer.remove").count() == 1
    assert client.get(reverse("admin:members_committeesigner_changelist")).status_code == 200
    assert client.get(reverse("admin:members_committeesigning_changelist")).status_code == 200
