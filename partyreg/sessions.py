"""Sessions in the database (``django.contrib.sessions.backends.db``), with one difference.

Django turns any database error while updating a session into ``UpdateError``, which the session
middleware answers with "400 Bad Request: the session was deleted before the request
completed". That is right when the row was deleted (a logout in another tab) and wrong when the
database is unreachable for a moment (a restart, a failover): the user would get a bare 400
instead of the site's error page. Here a lost connection stays what it is, an operational error,
so the request fails as an outage does (500, templates/500.html; tests/ops/test_postgres_restart).
"""

from django.contrib.sessions.backends import db
from django.contrib.sessions.backends.base import UpdateError
from django.db.utils import InterfaceError, OperationalError


class SessionStore(db.SessionStore):
    def save(self, must_create=False):
        try:
            return super().save(must_create=must_create)
        except UpdateError as error:
            cause = error.__context__
            if isinstance(cause, OperationalError | InterfaceError):
                raise cause from None
            raise
