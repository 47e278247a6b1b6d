"""Administrators register authorities and install certificate files in the Django admin."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from partyreg.models import AuditEntry
from partyreg.signing.models import SigningCredential, TrustedAuthority
from tests.members.factories import UserFactory

from . import pki

pytestmark = pytest.mark.django_db
AUTHORITIES = "/admin/partyreg/trustedauthority/"
CREDENTIALS = "/admin/partyreg/signingcredential/"


@pytest.fixture
def admin_client(login, signing_settings):
    return login(UserFactory(username="quantri", is_staff=True, is_superuser=True))


def upload(name: str, data: bytes | str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data.encode() if isinstance(data, str) else data)


def register_authority(client, pki_world):
    return client.post(
        f"{AUTHORITIES}add/",
        {"name": "Ban Cơ yếu (thử)", "certificate_file": upload("ca.pem", pki_world.authority.pem)},
    )


def test_an_administrator_registers_an_authority_and_installs_a_certificate_file(
    admin_client, pki_world
):
    assert register_authority(admin_client, pki_world).status_code == 302
    authority = TrustedAuthority.objects.get()
    assert authority.subject.startswith("CN=CA thử nghiệm")

    def add(passphrase: str):
        return admin_client.post(
            f"{CREDENTIALS}add/",
            {
                "label": "Chi bộ Phòng Ngân sách",
                "kind": "pkcs12",
                "pkcs12_file": upload("chi-bo.p12", pki_world.signer.pkcs12()),
                "passphrase": passphrase,
            },
        )

    refused = add("sai")
    assert refused.status_code == 200
    assert "Mật khẩu không đúng" in refused.content.decode()
    assert not SigningCredential.objects.exists()

    assert add(pki.PASSPHRASE).status_code == 302
    credential = SigningCredential.objects.get()
    assert credential.subject_name == "Đặng Văn Ộ" and credential.pkcs12_encrypted
    actions = AuditEntry.objects.filter(target_repr__contains="Ban Cơ yếu").values_list("action")
    assert list(actions) == [("authority.add",)]
    assert AuditEntry.objects.get(action="credential.install").target_id == str(credential.pk)


def test_an_administrator_deactivates_an_authority_through_the_service(admin_client, pki_world):
    register_authority(admin_client, pki_world)
    authority = TrustedAuthority.objects.get()

    page = admin_client.get(f"{AUTHORITIES}{authority.pk}/change/")
    assert page.status_code == 200 and authority.fingerprint in page.content.decode()
    response = admin_client.post(f"{AUTHORITIES}{authority.pk}/change/", {})

    assert response.status_code == 302
    authority.refresh_from_db()
    assert authority.active is False
    entry = AuditEntry.objects.get(action="authority.update")
    assert entry.changes["active"] == [True, False]
    assert admin_client.post(f"{AUTHORITIES}{authority.pk}/delete/").status_code == 403


def test_each_kind_asks_for_its_own_fields(admin_client, pki_world):
    register_authority(admin_client, pki_world)

    response = admin_client.post(f"{CREDENTIALS}add/", {"label": "Token", "kind": "pkcs11"})
    assert response.status_code == 200
    assert response.content.decode().count("Cần nhập với loại chứng thư số này.") == 2

    external = admin_client.post(
        f"{CREDENTIALS}add/",
        {
            "label": "Ký ngoài",
            "kind": "external",
            "certificate_file": upload("foreign.pem", pki_world.foreign.pem),
        },
    )
    assert "không do cơ quan chứng thực đã đăng ký cấp" in external.content.decode()


def test_only_administrators_reach_the_signing_admin(login):
    client = login(UserFactory(username="canbo"))
    assert client.get(AUTHORITIES).status_code == 302
    assert client.get(CREDENTIALS).status_code == 302
