"""Odd text in every URL and form field of the URL walk: never a server error (issue 15,
finding 3), on PostgreSQL, which refuses what SQLite lets pass (a NUL byte in text, a number
past bigint, a text longer than its column).

For each URL of the walk's table and each method it answers, a first request with tree A's own
ids in every field of the walk's form finds a user who gets past the first check (and the
administrator, when let in) and records which fields the view reads. Hypothesis then replaces
some of those fields, and the URL's own arguments, with odd text ("²", letters, huge numbers,
NUL bytes, lists, any unicode). Every request is rolled back, so each meets the same world. A
500, or any exception out of a view, fails the test with the request that caused it.
"""

from contextlib import ExitStack, contextmanager
from unittest import mock

import pytest
from django.db import transaction
from django.http import QueryDict
from django.urls import reverse
from django.utils.datastructures import MultiValueDict
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .test_url_walk import EXPECTED, METHOD_NOT_ALLOWED, hostile_form
from .walk_world import logged_in

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

ODD = [
    "²",
    "¹²³",
    "١٢",
    "𝟙",
    "abc",
    "99999999999999999999999",
    str(2**63),
    "-1",
    "0",
    "1.5",
    " 1",
    "",
    "\x00",
    "1\x00",
    "A\x00B",
    "%00",
    "//evil.example/x",
    "\u202e",
    "x" * 300,
]
odd_text = st.one_of(st.sampled_from(ODD), st.text(max_size=40))
odd_value = st.one_of(odd_text, st.lists(odd_text, min_size=1, max_size=3))
# Fields no form of the walk has but views read from the query string.
EXTRA_FIELDS = ("page", "year", "sort", "direct", "show", "pending", "q", "next", "state")
# Other valid values, so that an odd value in one field can meet a deeper path in another.
ACTIONS = ["receive", "assign", "confirm", "discard", "draft", "submit", "certify"]


def alternatives(tree) -> dict:
    return {
        "action": ACTIONS,
        "ids": [[tree.issued.pk], [tree.referral.pk]],
        "sort": ["name", "-presented_rate"],
        "direct": ["workplace", "residence"],
    }


# Who is tried first: a role of the tree before the administrator, who reaches everything.
ROLE_ORDER = ("coquan", "phuong", "chibo", "khoi", "dangvien", "admin")
EXAMPLES = settings(
    max_examples=5,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def cases() -> list[tuple[str, str]]:
    return [
        (name, method)
        for name, url in sorted(EXPECTED.items())
        for method, allowed in (("GET", url.get), ("POST", url.post))
        if allowed != METHOD_NOT_ALLOWED
    ]


@contextmanager
def fields_read():
    """The names a view asks its query string or its form for."""
    read: set[str] = set()

    def recording(original):
        def method(self, key, *args, **kwargs):
            if isinstance(self, QueryDict):
                read.add(key)
            return original(self, key, *args, **kwargs)

        return method

    with ExitStack() as stack:
        for name in ("get", "getlist", "__getitem__", "__contains__"):
            original = getattr(MultiValueDict, name)
            stack.enter_context(mock.patch.object(MultiValueDict, name, recording(original)))
        yield read


def send(client, method, url, form):
    with transaction.atomic():
        response = client.get(url, form) if method == "GET" else client.post(url, form)
        transaction.set_rollback(True)
    return response


def users_let_in(tree, name, method, url, form) -> tuple[dict, set]:
    """The first role (or anonymous, for a public page) not refused outright, and the
    administrator when let in, with their clients; and the fields their answers read."""
    expected = EXPECTED[name]
    allowed = expected.get if method == "GET" else expected.post
    roles = [r for r in ROLE_ORDER if r in allowed] + [r for r in ROLE_ORDER if r not in allowed]
    if expected.public:
        roles.insert(0, None)
    clients, read = {}, set()
    for role in roles:
        if clients and role != "admin":
            continue
        client = logged_in(tree.users[role] if role else None)
        with fields_read() as fields:
            response = send(client, method, url, form)
        assert response.status_code < 500, (role, method, url)
        if response.status_code not in (403, 404):
            clients[role or "anonymous"] = client
            read |= fields
    return clients or {"anonymous": logged_in(None)}, read


def path_argument(value):
    """The tree's own value, or an odd one: huge where the pattern takes an id."""
    if isinstance(value, int):
        return st.sampled_from([value, 2**63, 10**30])
    return st.one_of(
        st.just(value), st.text(min_size=1, max_size=30).filter(lambda s: "/" not in s)
    )


@pytest.mark.parametrize(("name", "method"), cases())
def test_no_odd_input_is_a_server_error(name, method, walk, settings):
    a, _b = walk
    settings.MEDIA_ROOT = a.media
    kwargs = EXPECTED[name].kwargs(a)
    form = {**dict.fromkeys(EXTRA_FIELDS, ""), **hostile_form(a)}
    clients, read = users_let_in(a, name, method, reverse(name, kwargs=kwargs), form)
    # Every field the view read, and a few it did not (a view may read more on another path).
    fields = read | set(EXTRA_FIELDS[:3])
    valid = alternatives(a)
    values = {
        f: st.one_of(odd_value, st.sampled_from(valid[f])) if f in valid else odd_value
        for f in sorted(fields)
    }

    @EXAMPLES
    @given(
        role=st.sampled_from(sorted(clients)),
        path=st.fixed_dictionaries({k: path_argument(v) for k, v in kwargs.items()}),
        changes=st.fixed_dictionaries({}, optional=values),
    )
    def ask(role, path, changes):
        url = reverse(name, kwargs=path)
        response = send(clients[role], method, url, {**form, **changes})
        assert response.status_code < 500, (role, method, url, changes)

    ask()
