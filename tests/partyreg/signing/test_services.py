"""The audited services: authorities, credentials kept encrypted, signatures made, refused and
verified."""

import hashlib

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ValidationError

from partyreg.models import AuditEntry
from partyreg.signing import at_rest, services
from partyreg.signing.certificates import fingerprint
from partyreg.signing.keys import Pkcs12Signer
from partyreg.signing.models import SigningCredential, TrustedAuthority
from partyreg.signing.pdf import sign_pdf
from partyreg.signing.problems import Problem, SigningRefused
from tests.members.factories import UserFactory

from . import pki
from .conftest import COUNTERSIGNER_BOX, SIGNER_BOX

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user(db):
    return UserFactory(username="quantri", is_staff=True, is_superuser=True)


@pytest.fixture
def authority(admin_user, pki_world, signing_settings):
    return services.trusted_authority_add(
        actor=admin_user, name="Ban Cơ yếu (thử)", certificate=pki_world.authority.pem
    )


def install(actor, issued: pki.Issued, label: str = "Chi bộ Phòng Ngân sách") -> SigningCredential:
    return services.signing_credential_install(
        actor=actor, label=label, pkcs12_data=issued.pkcs12(), passphrase=pki.PASSPHRASE
    )


def sign(actor, pdf, credential, subject, **overrides):
    arguments = {
        "field_name": "ChiUy",
        "box": SIGNER_BOX,
        "name": "Đặng Văn Ộ",
        "role": "Bí thư Chi bộ",
        "reason": "Nhận xét đảng viên",
    }
    return services.document_sign(
        actor=actor, pdf=pdf, credential=credential, subject=subject, **(arguments | overrides)
    )


def entries(action: str):
    return list(AuditEntry.objects.filter(action=action))


def test_an_authority_is_registered_once_and_audited(authority, admin_user, pki_world):
    assert authority.fingerprint == fingerprint(pki_world.authority.certificate)
    assert authority.added_by == admin_user and authority.active
    [entry] = entries("authority.add")
    assert entry.actor == admin_user and entry.target_id == str(authority.pk)

    with pytest.raises(ValidationError, match="already registered"):
        services.trusted_authority_add(
            actor=admin_user, name="Lần hai", certificate=pki_world.authority.pem
        )
    with pytest.raises(ValidationError, match="not a certificate authority's"):
        services.trusted_authority_add(actor=admin_user, name="X", certificate=pki_world.signer.pem)
    with pytest.raises(ValidationError, match="not a certificate"):
        services.trusted_authority_add(actor=admin_user, name="X", certificate=b"rubbish")
    assert TrustedAuthority.objects.count() == 1


def test_a_certificate_file_is_kept_encrypted_with_its_passphrase(authority, admin_user, pki_world):
    data = pki_world.signer.pkcs12()
    credential = services.signing_credential_install(
        actor=admin_user, label="Chi bộ", pkcs12_data=data, passphrase=pki.PASSPHRASE
    )

    credential.refresh_from_db()
    assert credential.kind == SigningCredential.Kind.PKCS12
    assert credential.fingerprint == fingerprint(pki_world.signer.certificate)
    assert credential.subject_name == "Đặng Văn Ộ"
    assert credential.valid_to == pki_world.signer.certificate.not_valid_after_utc
    assert pki.PASSPHRASE not in credential.passphrase_encrypted
    assert at_rest.decrypt(credential.pkcs12_encrypted) == data
    assert at_rest.decrypt(credential.passphrase_encrypted) == pki.PASSPHRASE.encode()
    [entry] = entries("credential.install")
    assert entry.changes["fingerprint"] == [None, credential.fingerprint]


@pytest.mark.parametrize(
    ("holder", "passphrase", "message"),
    [
        ("signer", "sai mật khẩu", "passphrase is wrong"),
        ("expired", pki.PASSPHRASE, "expired on"),
        ("foreign", pki.PASSPHRASE, "not issued by a registered certificate authority"),
    ],
)
def test_a_certificate_file_is_refused_with_the_reason(
    authority, admin_user, pki_world, holder, passphrase, message
):
    with pytest.raises(ValidationError, match=message):
        services.signing_credential_install(
            actor=admin_user,
            label="X",
            pkcs12_data=getattr(pki_world, holder).pkcs12(),
            passphrase=passphrase,
        )
    assert not SigningCredential.objects.exists()
    assert not entries("credential.install")


def test_the_same_certificate_is_installed_again_only_once_the_first_is_deactivated(
    authority, admin_user, pki_world
):
    first = install(admin_user, pki_world.signer)
    with pytest.raises(ValidationError, match="already installed"):
        install(admin_user, pki_world.signer)

    services.signing_credential_set_active(actor=admin_user, credential=first, active=False)
    assert install(admin_user, pki_world.signer).active
    assert entries("credential.update")[0].changes["active"] == [True, False]


def test_signing_is_audited_and_keeps_the_rendering(authority, admin_user, pki_world, sheet_pdf):
    credential = install(admin_user, pki_world.signer)

    signed = sign(admin_user, sheet_pdf, credential, subject=admin_user)

    assert signed.startswith(sheet_pdf)
    [entry] = entries("signature.make")
    assert entry.target_id == str(credential.pk) and entry.subject_id == str(admin_user.pk)
    assert entry.changes["document"] == [None, hashlib.sha256(signed).hexdigest()]
    assert entry.changes["fingerprint"] == [None, credential.fingerprint]


def test_token_then_certificate_file_countersign_through_the_services(
    authority, admin_user, pki_world, sheet_pdf, token_settings, softhsm
):
    token = services.signing_credential_install_token(
        actor=admin_user,
        label="Đảng ủy Sở Tài chính",
        token_label=softhsm.token_label,
        key_label=softhsm.key_label,
    )
    assert token.fingerprint == fingerprint(pki_world.token_signer.certificate)
    commune = install(admin_user, pki_world.countersigner, label="Đảng ủy phường Xuân Hương")

    first = sign(admin_user, sheet_pdf, token, subject=admin_user, name="Phạm Quốc Việt")
    second = sign(
        admin_user,
        first,
        commune,
        subject=admin_user,
        field_name="DangUyPhuong",
        box=COUNTERSIGNER_BOX,
        name="Trần Thị Hoa",
        role="Phó Bí thư Thường trực",
    )

    reports = services.document_verify(
        actor=admin_user, pdf=second, subject=admin_user, expected_original=sheet_pdf
    )
    assert [r.ok for r in reports] == [True, True]
    assert len(entries("signature.make")) == 2
    [verified] = entries("signature.verify")
    assert "Phạm Quốc Việt — valid" in verified.note and "Trần Thị Hoa — valid" in verified.note


def test_a_token_holding_another_certificate_is_refused_and_recorded(
    authority, admin_user, pki_world, sheet_pdf, token_settings, softhsm
):
    fields = services._certificate_fields(pki_world.signer.certificate, [])
    credential = SigningCredential.objects.create(
        kind=SigningCredential.Kind.PKCS11,
        label="Sai token",
        token_label=softhsm.token_label,
        key_label=softhsm.key_label,
        **fields,
    )

    with pytest.raises(SigningRefused) as refused:
        sign(admin_user, sheet_pdf, credential, subject=admin_user)

    assert refused.value.problem == Problem.WRONG_SIGNER
    [entry] = entries("signature.refuse")
    assert entry.changes["problem"] == [None, "wrong_signer"]
    assert entry.note == str(Problem.WRONG_SIGNER.label)
    assert not entries("signature.make")


def test_signing_is_refused_when_the_authority_or_the_credential_is_withdrawn(
    authority, admin_user, pki_world, sheet_pdf
):
    credential = install(admin_user, pki_world.signer)
    services.trusted_authority_set_active(actor=admin_user, authority=authority, active=False)
    with pytest.raises(SigningRefused) as untrusted:
        sign(admin_user, sheet_pdf, credential, subject=admin_user)

    services.trusted_authority_set_active(actor=admin_user, authority=authority, active=True)
    services.signing_credential_set_active(actor=admin_user, credential=credential, active=False)
    with pytest.raises(SigningRefused) as inactive:
        sign(admin_user, sheet_pdf, credential, subject=admin_user)

    assert (untrusted.value.problem, inactive.value.problem) == (
        Problem.UNTRUSTED,
        Problem.UNAVAILABLE,
    )
    assert len(entries("signature.refuse")) == 2


def test_a_file_encrypted_under_another_key_cannot_sign(
    authority, admin_user, pki_world, sheet_pdf, settings
):
    credential = install(admin_user, pki_world.signer)
    settings.PARTYREG_SIGNING = settings.PARTYREG_SIGNING | {"KEY": Fernet.generate_key().decode()}

    with pytest.raises(SigningRefused) as refused:
        sign(admin_user, sheet_pdf, credential, subject=admin_user)
    assert refused.value.problem == Problem.UNAVAILABLE


def test_an_upload_signed_outside_is_accepted_only_from_the_registered_signer(
    authority, admin_user, pki_world, sheet_pdf, other_sheet_pdf
):
    credential = services.signing_credential_register_external(
        actor=admin_user, label="Ký ngoài", certificate=pki_world.signer.pem
    )
    assert credential.kind == SigningCredential.Kind.EXTERNAL
    upload = signed_outside(sheet_pdf, pki_world.signer)

    assert sign(admin_user, sheet_pdf, credential, admin_user, signed_upload=upload) == upload
    assert len(entries("signature.make")) == 1

    for upload, problem in (
        (signed_outside(other_sheet_pdf, pki_world.signer), Problem.NOT_ISSUED),
        (signed_outside(sheet_pdf, pki_world.countersigner), Problem.WRONG_SIGNER),
        (None, Problem.UNSIGNED),
    ):
        with pytest.raises(SigningRefused) as refused:
            sign(admin_user, sheet_pdf, credential, admin_user, signed_upload=upload)
        assert refused.value.problem == problem
    assert [e.changes["problem"][1] for e in entries("signature.refuse")] == [
        "unsigned",
        "wrong_signer",
        "not_issued",
    ]


def signed_outside(pdf: bytes, issued: pki.Issued) -> bytes:
    """What the signer's own signing tool would upload."""
    return sign_pdf(
        pdf,
        signer=Pkcs12Signer(issued.pkcs12(), pki.PASSPHRASE.encode()),
        field_name="Signature1",
        box=SIGNER_BOX,
        name=issued.certificate.subject.rfc4514_string(),
        role="",
        reason="",
    )


def test_verifying_is_recorded_with_each_signature_and_its_problem(
    authority, admin_user, pki_world, sheet_pdf
):
    good = signed_outside(sheet_pdf, pki_world.signer)
    foreign = signed_outside(sheet_pdf, pki_world.foreign)

    [ok] = services.document_verify(
        actor=admin_user, pdf=good, subject=admin_user, expected_original=sheet_pdf
    )
    [refused] = services.document_verify(actor=admin_user, pdf=foreign, subject=admin_user)
    nothing = services.document_verify(actor=admin_user, pdf=sheet_pdf, subject=admin_user)

    assert ok.ok and refused.problem == Problem.UNTRUSTED and nothing == []
    notes = [entry.note for entry in entries("signature.verify")]
    assert notes == [
        "The file carries no signature.",
        "Signature1: Người Lạ — " + str(Problem.UNTRUSTED.label),
        "Signature1: Đặng Văn Ộ — valid",
    ]
    assert entries("signature.verify")[-1].changes["document"] == [
        None,
        hashlib.sha256(good).hexdigest(),
    ]
