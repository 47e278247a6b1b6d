"""Two-factor login (TOTP): open to everyone, required of administrators and supervising staff."""

import base64
import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from evaluations.demo.plan import DEMO_TOTP_KEY
from members.models import Organisation, Role
from members.permissions import must_use_two_factor
from partyreg.models import AuditEntry
from partyreg.twofactor import totp_device_create
from tests.members.factories import (
    PASSWORD,
    MemberFactory,
    OrganisationFactory,
    RoleFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

K = Organisation.Kind


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


def code(device: TOTPDevice, *, offset: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits)
    totp.time = totp.time + offset * device.step
    return f"{totp.token():06d}"


def wrong(device: TOTPDevice) -> str:
    right = code(device)
    return "000000" if right != "000000" else "111111"


def supervising_staff(username="khoi"):
    user = UserFactory(username=username)
    bloc = OrganisationFactory(name="Khối các cơ quan", kind=K.SUPERVISING)
    RoleFactory(user=user, organisation=bloc, kind=Role.Kind.STAFF)
    return user


def log_in(client, user):
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, "the password was refused"
    return response


# --- who must ---------------------------------------------------------------------------------


def test_the_policy_names_administrators_and_supervising_committees_only():
    bloc = OrganisationFactory(kind=K.SUPERVISING)
    agency = OrganisationFactory(kind=K.GRASSROOTS, parent=bloc)
    commune = OrganisationFactory(kind=K.COMMUNE, parent=bloc)

    def with_role(org, kind):
        user = UserFactory()
        RoleFactory(user=user, organisation=org, kind=kind)
        return user

    assert must_use_two_factor(UserFactory(is_superuser=True))
    assert must_use_two_factor(UserFactory(is_staff=True))
    assert must_use_two_factor(with_role(bloc, Role.Kind.STAFF))
    assert must_use_two_factor(with_role(bloc, Role.Kind.SECRETARY))
    assert not must_use_two_factor(with_role(agency, Role.Kind.SECRETARY))
    assert not must_use_two_factor(with_role(commune, Role.Kind.OFFICER))
    assert not must_use_two_factor(UserFactory())


def test_an_ordinary_user_logs_in_with_the_password_alone(client):
    user = UserFactory(username="thu")
    assert log_in(client, user).url == reverse("home")
    assert client.get(reverse("home")).status_code == 200
    assert client.get(reverse("two_factor_setup")).status_code == 200


# --- required: nothing but the code pages until the code is shown ---------------------------


def test_staff_without_an_authenticator_must_set_one_up_before_anything(client):
    user = supervising_staff()
    log_in(client, user)
    for url in (reverse("home"), reverse("members:member_list"), "/admin/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("two_factor_setup")), url
    # A form sent before the code changes nothing either.
    response = client.post(reverse("notification_send_test"))
    assert response.status_code == 302 and response.url.startswith(reverse("two_factor_setup"))

    page = client.get(reverse("two_factor_setup") + "?next=/members/")
    body = page.content.decode()
    assert page.status_code == 200
    assert "Your role requires two-factor login" in body
    assert 'src="data:image/svg+xml;base64,' in body  # the QR code, inline: no third party
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    secret = re.search(r'<code class="user-select-all">([A-Z2-7]+)</code>', body).group(1)
    assert base64.b32decode(secret) == device.bin_key  # the key, for typing into an app

    refused = client.post(reverse("two_factor_setup"), {"token": wrong(device), "next": "/"})
    assert refused.status_code == 200 and "does not match" in refused.content.decode()
    assert client.get(reverse("home")).status_code == 302

    response = client.post(
        reverse("two_factor_setup"), {"token": code(device), "next": "/members/"}
    )
    assert response.status_code == 302 and response.url == "/members/"
    device.refresh_from_db()
    assert device.confirmed
    assert AuditEntry.objects.filter(action="two_factor.enrol", actor=user).exists()
    assert client.get(reverse("home")).status_code == 200


def test_an_administrator_with_an_authenticator_must_type_its_code(client):
    admin = UserFactory(username="quantri", is_superuser=True, is_staff=True)
    device = totp_device_create(user=admin, confirmed=True)
    log_in(client, admin)
    response = client.get(reverse("members:member_list"))
    assert response.status_code == 302
    assert response.url == reverse("two_factor_verify") + "?next=%2Fmembers%2F"
    assert client.get("/admin/").url.startswith(reverse("two_factor_verify"))
    # Enrolling a second device needs the first one's code: a password is not enough.
    assert client.get(reverse("two_factor_setup")).url.startswith(reverse("two_factor_verify"))
    assert TOTPDevice.objects.filter(user=admin).count() == 1

    refused = client.post(reverse("two_factor_verify"), {"token": wrong(device)})
    assert refused.status_code == 200 and "does not match" in refused.content.decode()
    assert client.get(reverse("members:member_list")).status_code == 302
    device.refresh_from_db()
    device.throttle_reset()  # a wrong code makes the next one wait a second

    before = client.session.session_key
    response = client.post(
        reverse("two_factor_verify"), {"token": code(device), "next": "/members/"}
    )
    assert response.status_code == 302 and response.url == "/members/"
    assert client.session.session_key != before  # a new session key, as after a login
    assert client.get(reverse("members:member_list")).status_code == 200
    assert client.get("/admin/").status_code == 200


def test_a_code_cannot_be_used_twice(client):
    admin = UserFactory(username="quantri", is_superuser=True, is_staff=True)
    device = totp_device_create(user=admin, confirmed=True)
    token = code(device)
    log_in(client, admin)
    assert client.post(reverse("two_factor_verify"), {"token": token}).status_code == 302
    client.post(reverse("logout"))
    log_in(client, admin)
    replayed = client.post(reverse("two_factor_verify"), {"token": token})
    assert replayed.status_code == 200
    assert client.get(reverse("home")).status_code == 302


def test_wrong_codes_are_throttled(client):
    user = supervising_staff()
    device = totp_device_create(user=user, confirmed=True)
    log_in(client, user)
    client.post(reverse("two_factor_verify"), {"token": wrong(device)})
    device.refresh_from_db()
    assert device.throttling_failure_count == 1
    # After many wrong codes even the right one waits.
    device.throttling_failure_count = 10
    device.throttling_failure_timestamp = timezone.now()
    device.save()
    response = client.post(reverse("two_factor_verify"), {"token": code(device)})
    assert response.status_code == 200 and "Too many wrong codes" in response.content.decode()
    assert client.get(reverse("home")).status_code == 302


def test_a_fragment_fetched_before_the_code_is_empty(client):
    """The bell on the code page asks for its count: it gets nothing, not the code page."""
    log_in(client, supervising_staff())
    response = client.get(reverse("notification_badge"), headers={"HX-Request": "true"})
    assert response.status_code == 204 and response.content == b""


def test_logout_is_reachable_before_the_code(client):
    user = supervising_staff()
    log_in(client, user)
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and response.url == reverse("login")
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "javascript:alert(1)",
        # A bare word is no path: redirect() took it for a view name and failed (a 500).
        "²",
        "logout",
    ],
)
def test_the_code_page_never_sends_elsewhere(client, next_url):
    admin = UserFactory(username="quantri", is_superuser=True, is_staff=True)
    device = totp_device_create(user=admin, confirmed=True)
    log_in(client, admin)
    response = client.post(reverse("two_factor_verify"), {"token": code(device), "next": next_url})
    assert response.status_code == 302 and response.url == reverse("home")


def test_the_code_is_asked_again_at_the_next_login(client):
    user = supervising_staff()
    device = totp_device_create(user=user, confirmed=True)
    log_in(client, user)
    client.post(reverse("two_factor_verify"), {"token": code(device)})
    assert client.get(reverse("home")).status_code == 200
    client.post(reverse("logout"))
    log_in(client, user)
    assert client.get(reverse("home")).url.startswith(reverse("two_factor_verify"))


# --- decided on every request, not once at login (issue 15, finding 5) -----------------------


def test_a_supervising_role_granted_while_signed_in_asks_for_the_code_at_once(client):
    bloc = OrganisationFactory(name="Khối các cơ quan", kind=K.SUPERVISING)
    agency = OrganisationFactory(kind=K.GRASSROOTS, parent=bloc)
    cell = OrganisationFactory(kind=K.CELL, parent=agency)
    outsider = MemberFactory(workplace_org=cell)
    user = UserFactory(username="thu")
    RoleFactory(user=user, organisation=agency, kind=Role.Kind.SECRETARY)
    log_in(client, user)
    assert client.get(reverse("home")).status_code == 200

    RoleFactory(user=user, organisation=bloc, kind=Role.Kind.STAFF)
    for url in (
        reverse("home"),
        reverse("evaluations:dashboard", args=[bloc.pk]),
        reverse("members:member_detail", args=[outsider.pk]),
        reverse("members:member_export"),
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("two_factor_setup")), url


def test_made_an_administrator_while_signed_in_asks_for_the_code_at_once(client):
    user = UserFactory(username="thu")
    RoleFactory(user=user, organisation=OrganisationFactory(kind=K.GRASSROOTS))
    device = totp_device_create(user=user, confirmed=False)
    log_in(client, user)
    assert client.get(reverse("members:member_list")).status_code == 200
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    response = client.get(reverse("members:member_list"))
    assert response.status_code == 302 and response.url.startswith(reverse("two_factor_setup"))
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    response = client.get(reverse("members:member_list"))
    assert response.status_code == 302 and response.url.startswith(reverse("two_factor_verify"))
    assert client.post(reverse("two_factor_verify"), {"token": code(device)}).status_code == 302
    assert client.get(reverse("members:member_list")).status_code == 200


# --- optional: anyone may turn it on --------------------------------------------------------


def test_any_user_may_turn_it_on_and_is_then_asked_for_the_code(client):
    user = UserFactory(username="thu")
    log_in(client, user)
    page = client.get(reverse("two_factor_setup")).content.decode()
    assert "Your role requires" not in page
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(reverse("two_factor_setup"), {"token": code(device)})
    assert response.status_code == 302
    assert "Two-factor login is on" in client.get(reverse("two_factor_setup")).content.decode()
    client.post(reverse("logout"))

    log_in(client, user)
    assert client.get(reverse("home")).url.startswith(reverse("two_factor_verify"))
    response = client.post(reverse("two_factor_verify"), {"token": code(device, offset=1)})
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200


def test_an_unconfirmed_device_does_not_require_a_code(client):
    user = UserFactory(username="thu")
    log_in(client, user)
    client.get(reverse("two_factor_setup"))  # shows a key, never confirmed
    client.post(reverse("logout"))
    log_in(client, user)
    assert client.get(reverse("home")).status_code == 200


# --- the demo code printer ------------------------------------------------------------------


def test_demo_otp_prints_the_code_of_a_demo_device_only():
    khoi = supervising_staff()
    device = totp_device_create(user=khoi, confirmed=True, key=DEMO_TOTP_KEY)
    out = io.StringIO()
    call_command("demo_otp", "khoi", stdout=out)
    assert out.getvalue().strip() in {code(device, offset=o) for o in (-1, 0, 1)}

    real = UserFactory(username="that")
    totp_device_create(user=real, confirmed=True)
    with pytest.raises(CommandError):
        call_command("demo_otp", "that", stdout=io.StringIO())
    with pytest.raises(CommandError):
        call_command("demo_otp", "nobody", stdout=io.StringIO())
