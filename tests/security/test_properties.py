"""Property-based tests (hypothesis) of forms and services fed any text a user could type.

Whatever the input: no server error, and either a clear refusal that writes nothing or a change
that stores exactly what was given and is audited; text comes back escaped on the page.
Every example runs in a savepoint that is rolled back, so each meets the same world.
"""

import datetime
import io
import json

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from members import services
from members.models import Member, MemberImport
from members.spreadsheets import COLUMNS, read_member_file
from partyreg.models import AuditEntry
from partyreg.twofactor import TokenForm

pytestmark = pytest.mark.django_db

HOSTILE = [
    '<script>alert("x")</script>',
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    '=HYPERLINK("http://evil.example")',
    "'; DROP TABLE members_member; --",
    "{{ request.user }}{% debug %}",
    "../../etc/passwd",
    "\u202etxt.exe",
    "Nguyễn Văn A" * 30,
]
# What a person can type into a form (no surrogates; control characters included).
typed = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=300),
)
# What a spreadsheet cell can hold (XML forbids most control characters).
cell_text = st.one_of(
    st.sampled_from(HOSTILE), st.text(st.characters(exclude_categories=("Cs", "Cc")), max_size=80)
)
cell = st.one_of(
    st.none(),
    cell_text,
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(2100, 1, 1)),
)
EXAMPLES = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


MARKUP = ("<script>alert(", "<img src=x", "<svg onload")


def assert_no_markup(body: str) -> None:
    """The hostile samples are on the page as text only."""
    assert not [m for m in MARKUP if m in body], "text shown as markup"


def counts():
    return Member.objects.count(), AuditEntry.objects.count(), MemberImport.objects.count()


def _rolled_back():
    class _Savepoint:
        def __enter__(self):
            self.atomic = transaction.atomic()
            self.atomic.__enter__()

        def __exit__(self, *exc):
            transaction.set_rollback(True)
            return self.atomic.__exit__(*exc)

    return _Savepoint()


@EXAMPLES
@given(
    full_name=typed,
    card_number=typed,
    position=typed,
    phone=typed,
    email=typed,
    residence_address=typed,
)
@example(
    full_name='Nguyễn <script>alert("x")</script>',
    card_number="79000123",
    position="<b>",
    phone="",
    email="",
    residence_address="<img src=x onerror=alert(1)>",
)
def test_the_member_form_takes_any_text_safely(world, login, **text):
    client = login(world.secretary)
    data = {
        "gender": Member.Gender.FEMALE,
        "date_of_birth": "1990-06-05",
        "admitted_on": "2015-03-12",
        "full_member_on": "2016-03-12",
        "workplace_org": world.cell.pk,
        "status": Member.Status.ACTIVE,
        "category": Member.Category.NORMAL,
        **text,
    }
    with _rolled_back():
        before = counts()
        response = client.post(reverse("members:member_create"), data)
        assert response.status_code in (200, 302)
        if response.status_code == 200:
            assert response.context["form"].errors, "a refusal says why"
            assert counts() == before, "a refused form wrote something"
            assert_no_markup(response.content.decode())
        else:
            member = Member.objects.latest("pk")
            assert member.full_name == text["full_name"].strip()
            assert member.card_number == text["card_number"].strip()
            assert AuditEntry.objects.filter(action="member.create", target_id=member.pk).exists()
            page = client.get(reverse("members:member_detail", args=[member.pk]))
            assert_no_markup(page.content.decode())


@EXAMPLES
@given(full_name=typed, position=typed, phone=typed, email=typed, residence_address=typed)
def test_member_update_stores_exactly_what_it_accepts(world, **changes):
    with _rolled_back():
        before_row = Member.objects.filter(pk=world.member.pk).values().get()
        before = counts()
        try:
            member = services.member_update(actor=world.secretary, member=world.member, **changes)
        except ValidationError as error:
            assert error.messages, "a refusal says why"
            assert Member.objects.filter(pk=world.member.pk).values().get() == before_row
            assert counts() == before
        else:
            member.refresh_from_db()
            for name, value in changes.items():
                assert getattr(member, name) == value
            changed = any(before_row[name] != value for name, value in changes.items())
            assert AuditEntry.objects.count() == before[1] + (1 if changed else 0)


@EXAMPLES
@given(rows=st.lists(st.lists(cell, min_size=len(COLUMNS), max_size=len(COLUMNS)), max_size=4))
def test_reading_a_member_file_never_fails_badly_and_writes_nothing(world, rows):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append([c.header for c in COLUMNS])
    for values in rows:
        sheet.append(values)
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    with _rolled_back():
        before = counts()
        try:
            plan = read_member_file(buffer, user=world.secretary)
        except ValidationError as error:
            assert error.messages
        else:
            # The preview is stored as JSON and every error names its row and says what to fix.
            json.dumps(plan.summary())
            assert all(e.row >= 2 and e.message for e in plan.errors)
        assert counts() == before


@settings(max_examples=200, deadline=None)
@given(token=st.text(max_size=12))
@example(token="²²²²²²")
@example(token="١٢٣٤٥٦")
@example(token="12 34 56")
def test_the_code_form_accepts_six_digits_and_nothing_else(token):
    form = TokenForm({"token": token}, submit_label="ok")
    digits = token.strip().replace(" ", "")
    expected = len(digits) == 6 and all(c in "0123456789" for c in digits)
    assert form.is_valid() is expected
    if expected:
        assert form.cleaned_data["token"] == digits
