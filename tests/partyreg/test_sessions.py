"""partyreg.sessions: a database outage while saving a session is an outage (the error page),
a session deleted meanwhile is still Django's "session interrupted"."""

from unittest import mock

import pytest
from django.conf import settings
from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.models import Session
from django.db.utils import OperationalError

from partyreg.sessions import SessionStore

pytestmark = pytest.mark.django_db


def test_the_site_uses_it():
    assert settings.SESSION_ENGINE == "partyreg.sessions"


def test_a_lost_connection_while_saving_is_an_operational_error():
    session = SessionStore()
    session["x"] = 1
    session.create()
    session["x"] = 2
    lost = OperationalError("server closed the connection unexpectedly")
    with (
        mock.patch.object(Session, "save", side_effect=lost),
        pytest.raises(OperationalError) as raised,
    ):
        session.save()
    assert raised.value is lost


def test_a_session_deleted_meanwhile_is_still_an_update_error():
    session = SessionStore()
    session["x"] = 1
    session.create()
    Session.objects.filter(session_key=session.session_key).delete()
    session["x"] = 2
    with pytest.raises(UpdateError):
        session.save()


def test_a_page_whose_session_cannot_be_saved_gets_the_error_page(client, settings, world):
    """Through the middleware: 500 with the site's error page, not a bare 400."""
    settings.LANGUAGE_CODE = "en"
    client.force_login(world.secretary)
    client.raise_request_exception = False
    with mock.patch.object(Session, "save", side_effect=OperationalError("gone")):
        response = client.get("/members/")
    assert response.status_code == 500
    assert 'id="server-error"' in response.content.decode()
