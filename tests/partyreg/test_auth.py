import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from tests.members.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_login_page_is_vietnamese_and_logs_in(client):
    UserFactory(username="thu")
    page = client.get(reverse("login")).content.decode()
    assert 'lang="vi"' in page
    response = client.post(reverse("login"), {"username": "thu", "password": PASSWORD})
    assert response.status_code == 302 and response.url == reverse("home")


def test_wrong_password_says_so(client):
    UserFactory(username="thu")
    response = client.post(reverse("login"), {"username": "thu", "password": "wrong"})
    assert response.status_code == 200
    assert response.context["form"].errors


def test_lockout_after_repeated_failures(client, settings):
    UserFactory(username="thu")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "thu", "password": "wrong"})
    # Even the right password is refused while the account is locked.
    response = client.post(reverse("login"), {"username": "thu", "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


# --- the client's address behind the TLS proxy (issue 15, finding 7) ------------------------

PROXY = "127.0.0.1"


def attempt(username, password, forwarded=None):
    """A login through the proxy: a fresh browser whose address the proxy puts in the header."""
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return Client().post(
        reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=PROXY,
        **headers,
    )


def test_behind_the_proxy_one_client_locks_out_itself_only(settings):
    settings.PARTYREG_TRUSTED_PROXIES = 1
    UserFactory(username="thu")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt("thu", "wrong", forwarded="203.0.113.7")
    assert attempt("thu", PASSWORD, forwarded="203.0.113.7").status_code == 429
    # The member herself, through the same proxy from her own address, still logs in.
    assert attempt("thu", PASSWORD, forwarded="198.51.100.20").status_code == 302


def test_behind_the_proxy_a_forged_header_does_not_escape_the_lockout(settings):
    settings.PARTYREG_TRUSTED_PROXIES = 1
    UserFactory(username="thu")
    # The attacker writes their own header; the proxy appends the address it saw.
    for n in range(settings.AXES_FAILURE_LIMIT):
        attempt("thu", "wrong", forwarded=f"10.0.0.{n}, 203.0.113.7")
    assert attempt("thu", PASSWORD, forwarded="10.9.9.9, 203.0.113.7").status_code == 429
    assert attempt("thu", PASSWORD, forwarded="203.0.113.8").status_code == 302


def test_without_a_trusted_proxy_the_header_is_ignored(settings):
    settings.PARTYREG_TRUSTED_PROXIES = 0
    UserFactory(username="thu")
    # Straight from the Internet, a header is whatever the client wrote: it changes nothing.
    for n in range(settings.AXES_FAILURE_LIMIT):
        attempt("thu", "wrong", forwarded=f"198.51.100.{n}")
    assert attempt("thu", PASSWORD, forwarded="198.51.100.99").status_code == 429


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "203.0.113.7", PROXY),
        (1, None, PROXY),
        (1, "", PROXY),
        (1, "203.0.113.7", "203.0.113.7"),
        (1, "10.0.0.1, 203.0.113.7", "203.0.113.7"),
        (1, " 10.0.0.1 ,203.0.113.7 ", "203.0.113.7"),
        (1, "2001:db8::1", "2001:db8::1"),
        (2, "10.0.0.1, 203.0.113.7, 192.0.2.1", "203.0.113.7"),
        # Fewer addresses than proxies: the request did not come through them all.
        (2, "203.0.113.7", PROXY),
        # Not an address where the proxy writes one: the proxy is misconfigured.
        (1, "10.0.0.1, unknown", PROXY),
        (1, "10.0.0.1, 203.0.113.7\x00", PROXY),
    ],
)
def test_the_client_address(rf, settings, proxies, forwarded, expected):
    from partyreg.web import client_address

    settings.PARTYREG_TRUSTED_PROXIES = proxies
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    request = rf.post("/", REMOTE_ADDR=PROXY, **headers)
    assert client_address(request) == expected


@pytest.mark.postgres
def test_an_overlong_user_name_is_refused_not_a_server_error(client):
    # Found by the odd-input walk: the failed attempt was stored with its name, 255 at most.
    response = client.post(reverse("login"), {"username": "x" * 300, "password": "p"})
    assert response.status_code == 200
    assert response.context["form"].errors


def test_logout_ends_the_session(client):
    user = UserFactory(username="thu")
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    client.post(reverse("logout"))
    assert client.get(reverse("home")).status_code == 302


def test_password_reset_by_email(client):
    user = UserFactory(username="thu", email="thu@example.vn")
    client.post(reverse("password_reset"), {"email": "thu@example.vn"})
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    set_url = form_page.redirect_chain[-1][0]
    response = client.post(
        set_url, {"new_password1": "Mat-khau-moi-2026", "new_password2": "Mat-khau-moi-2026"}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Mat-khau-moi-2026")


def test_password_change(client):
    user = UserFactory(username="thu")
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "Mat-khau-moi-2026",
            "new_password2": "Mat-khau-moi-2026",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Mat-khau-moi-2026")


def test_idle_session_expires(settings):
    assert settings.SESSION_COOKIE_AGE <= 8 * 60 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST


def test_demo_logins_shown_only_when_demo_users_exist(client):
    assert "partyreg-demo" not in client.get(reverse("login")).content.decode()
    UserFactory(username="coquan")
    assert "partyreg-demo" in client.get(reverse("login")).content.decode()


def test_dates_print_day_first(world, login):
    body = (
        login(world.secretary)
        .get(reverse("members:member_detail", args=[world.member.pk]))
        .content.decode()
    )
    assert "17/05/1985" in body


def test_a_browser_asking_for_english_still_gets_vietnamese(client):
    page = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "Đăng nhập" in page and 'lang="vi"' in page
