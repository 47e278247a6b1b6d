"""Shared test set-up.

Tests that need PostgreSQL, Redis or Chromium skip on a machine without them, naming what to
install. CI sets PARTYREG_REQUIRE_SERVICES=1, which turns every such skip into a failure, so a
missing service can never pass for a green run.
"""

import os
import shutil

import pytest
from django.db import connection
from django.utils import translation

# The signing tests' CA, token and pdfsig, shared by the core's tests and the workflows'.
pytest_plugins = ["tests.signing_fixtures"]

REQUIRE_SERVICES = os.environ.get("PARTYREG_REQUIRE_SERVICES") == "1"
CHROMIUM = os.environ.get("PARTYREG_CHROMIUM", "/usr/bin/chromium")


def missing(message: str):
    """Skips here, fails in CI."""
    if REQUIRE_SERVICES:
        pytest.fail(f"{message} (PARTYREG_REQUIRE_SERVICES=1)", pytrace=False)
    pytest.skip(message)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if REQUIRE_SERVICES and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped while PARTYREG_REQUIRE_SERVICES=1: {report.longrepr}"


@pytest.fixture(autouse=True)
def _service_markers(request):
    if request.node.get_closest_marker("postgres") and connection.vendor != "postgresql":
        missing("needs PostgreSQL: set DATABASE_URL=postgres://postgres@127.0.0.1:5432/partyreg")
    if request.node.get_closest_marker("redis") and not os.environ.get("REDIS_URL"):
        missing("needs Redis: set REDIS_URL=redis://127.0.0.1:6379/0 (apt install redis-server)")
    if request.node.get_closest_marker("browser") and not shutil.which(CHROMIUM):
        missing(f"needs Chromium at {CHROMIUM}: apt install chromium")


@pytest.fixture(autouse=True)
def _english_outside_requests():
    """Services called directly speak English, so tests can match their source messages.

    Pages still answer in Vietnamese: the locale middleware picks the language per request.
    """
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _tasks_in_process():
    """Tasks run in the test's own process, even where REDIS_URL is set (CI).

    Otherwise a task sent on commit would travel to a Redis queue that no worker reads, and the
    test would see a job forever queued. The tests that prove the way through Redis to a real
    worker switch this off for themselves.
    """
    from partyreg import celery_app

    was_eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = was_eager


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _own_cache(settings, request):
    """Each test an empty in-memory cache of its own: what one test keeps (the dashboard's
    figures) never shows in another, nor what an earlier run left in Redis."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": request.node.nodeid,
        }
    }


@pytest.fixture(autouse=True)
def _locmem_email(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


# --- A small two-sided world, used across apps --------------------------------------------------


class World:
    """Two workplace blocs and two communes, with a user for each role.

    bloc ─ agency ─ cell (members here)          commune ─ residence_cell
    other_bloc ─ other_agency ─ other_cell       other_commune ─ other_residence_cell
    """


@pytest.fixture
def world(db):
    from members.models import Organisation, Role
    from tests.members.factories import MemberFactory, OrganisationFactory, RoleFactory, UserFactory

    K = Organisation.Kind
    w = World()
    w.province = OrganisationFactory(name="Đảng bộ tỉnh Lâm Đồng", kind=K.SUPERVISING)
    w.bloc = OrganisationFactory(
        name="Đảng bộ Khối các cơ quan tỉnh", kind=K.SUPERVISING, parent=w.province
    )
    w.agency = OrganisationFactory(name="Đảng bộ Sở Tài chính", kind=K.GRASSROOTS, parent=w.bloc)
    w.cell = OrganisationFactory(name="Chi bộ Phòng Ngân sách", kind=K.CELL, parent=w.agency)
    w.other_bloc = OrganisationFactory(
        name="Đảng bộ Khối doanh nghiệp", kind=K.SUPERVISING, parent=w.province
    )
    w.other_agency = OrganisationFactory(
        name="Đảng bộ Công ty Điện lực", kind=K.GRASSROOTS, parent=w.other_bloc
    )
    w.other_cell = OrganisationFactory(
        name="Chi bộ Phòng Kỹ thuật", kind=K.CELL, parent=w.other_agency
    )
    w.commune = OrganisationFactory(
        name="Đảng ủy phường Xuân Hương", kind=K.COMMUNE, parent=w.province
    )
    w.residence_cell = OrganisationFactory(
        name="Chi bộ Tổ dân phố 5", kind=K.RESIDENCE_CELL, parent=w.commune
    )
    w.other_commune = OrganisationFactory(
        name="Đảng ủy phường Lâm Viên", kind=K.COMMUNE, parent=w.province
    )
    w.other_residence_cell = OrganisationFactory(
        name="Chi bộ Tổ dân phố 9", kind=K.RESIDENCE_CELL, parent=w.other_commune
    )

    w.member = MemberFactory(
        full_name="Nguyễn Văn An", workplace_org=w.cell, residence_commune=w.commune
    )
    w.other_member = MemberFactory(
        full_name="Đặng Thị Bình", workplace_org=w.other_cell, residence_commune=w.other_commune
    )

    def user_with_role(username, org, kind=Role.Kind.SECRETARY):
        user = UserFactory(username=username)
        RoleFactory(user=user, organisation=org, kind=kind)
        return user

    w.bloc_staff = user_with_role("khoi", w.bloc, Role.Kind.STAFF)
    w.secretary = user_with_role("coquan", w.agency)
    w.other_secretary = user_with_role("coquan2", w.other_agency)
    w.commune_officer = user_with_role("phuong", w.commune, Role.Kind.OFFICER)
    w.residence_secretary = user_with_role("chibo", w.residence_cell)
    w.member_user = UserFactory(username="dangvien")
    w.member.user = w.member_user
    w.member.save(update_fields=["user"])
    w.admin = UserFactory(username="admin", is_superuser=True, is_staff=True)
    return w


@pytest.fixture
def login(client):
    """``login(user)`` logs the test client in as that user and returns the client.

    A user who must use two-factor login gets a device and a session that has shown its code.
    """
    from partyreg.twofactor import client_mark_verified, policy_requires

    def _login(user):
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        if policy_requires(user):
            client_mark_verified(client, user)
        return client

    return _login
