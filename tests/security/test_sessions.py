"""Sessions end: after two idle hours, and with the browser."""

import datetime

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from tests.members.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def logged_in(client):
    UserFactory(username="thu")
    response = client.post(reverse("login"), {"username": "thu", "password": PASSWORD})
    assert response.status_code == 302
    return client, response


def session_row(client) -> Session:
    return Session.objects.get(session_key=client.session.session_key)


def test_an_idle_session_ends(logged_in):
    client, _response = logged_in
    assert client.get(reverse("home")).status_code == 200
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_every_request_pushes_the_end_back(logged_in, settings):
    client, _response = logged_in
    assert settings.SESSION_COOKIE_AGE <= 2 * 60 * 60
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() + datetime.timedelta(seconds=60)
    )
    client.get(reverse("home"))
    remaining = session_row(client).expire_date - timezone.now()
    assert remaining > datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE - 60)


def test_the_session_cookie_ends_with_the_browser(logged_in):
    _client, response = logged_in
    cookie = response.cookies["sessionid"]
    assert cookie["expires"] == "" and cookie["max-age"] == ""
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
