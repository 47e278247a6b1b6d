"""Committees that sign: the test CA registered, certificates given to the residence cell and
the commune, signatures switched on; and a comment request waiting for the cell's comment."""

from types import SimpleNamespace

import pytest

from evaluations import services
from members import signers
from partyreg.signing import services as signing_services
from partyreg.signing.keys import Pkcs12Signer
from partyreg.signing.pdf import sign_pdf
from tests.evaluations.campaign_helpers import place, placed_member, sitting, submit
from tests.partyreg.signing import pki


@pytest.fixture
def signing(world, settings, signing_settings, pki_world):
    """Signatures on for the site, the test CA registered; ``give`` hands a committee a
    certificate and switches its signing on."""
    settings.PARTYREG_SIGNING = settings.PARTYREG_SIGNING | {"ENABLED": True}
    authority = signing_services.trusted_authority_add(
        actor=world.admin, name="Ban Cơ yếu (thử)", certificate=pki_world.authority.pem
    )

    def give(organisation, issued=None, *, kind="pkcs12", user=None):
        label = f"{organisation.name} ({kind})"
        if kind == "pkcs12":
            credential = signing_services.signing_credential_install(
                actor=world.admin,
                label=label,
                pkcs12_data=issued.pkcs12(),
                passphrase=pki.PASSPHRASE,
            )
        elif kind == "token":
            credential = signing_services.signing_credential_install_token(
                actor=world.admin, label=label, token_label=pki.TOKEN_LABEL, key_label=pki.KEY_LABEL
            )
        else:
            credential = signing_services.signing_credential_register_external(
                actor=world.admin, label=label, certificate=issued.pem
            )
        signer = signers.committee_signer_set(
            actor=world.admin, organisation=organisation, credential=credential, user=user
        )
        signers.committee_signing_set(actor=world.admin, organisation=organisation, enabled=True)
        return signer

    return SimpleNamespace(authority=authority, give=give, pki=pki_world)


@pytest.fixture
def token(settings, signing, softhsm):
    """The SoftHSM2 token (holding the key of ``pki_world.token_signer``) within reach."""
    settings.PARTYREG_SIGNING = settings.PARTYREG_SIGNING | {
        "PKCS11_MODULE": softhsm.module,
        "PKCS11_PIN": softhsm.pin,
    }


@pytest.fixture
def comment(world):
    """The member's comment request, the cell's sitting recorded: ready to be submitted."""
    place(world, world.member)
    opened = services.campaign_open(actor=world.secretary, organisation=world.agency)
    return SimpleNamespace(request=opened.requests[0], sitting=sitting(world))


def submit_comment(world, comment, *, request=None, **kwargs):
    """Submits ``comment.request`` (or ``request``, another of the cell's) as the cell."""
    return submit(
        world,
        request or comment.request,
        sitting_row=comment.sitting,
        other="Gương mẫu, được bà con tin tưởng.",
        **kwargs,
    )


def another_request(world, comment, name: str = "Trần Văn Báo"):
    """A second member of the cell, whose comment is asked for in the same campaign."""
    member = placed_member(world, name)
    return services.comment_request_create(
        actor=world.secretary, campaign=comment.request.campaign, member=member, reason="personnel"
    )


def signed_outside(pdf: bytes, issued: pki.Issued, *, field: str = "KySoNgoai") -> bytes:
    """``pdf`` signed the way a signer's desktop software would: its own field and box."""
    return sign_pdf(
        pdf,
        signer=Pkcs12Signer(issued.pkcs12(), pki.PASSPHRASE.encode()),
        field_name=field,
        box=(0, 360, 60, 540, 110),
        name="Ký ngoài",
        role="Bí thư",
        reason="Ký số bằng phần mềm riêng",
    )
