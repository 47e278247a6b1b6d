"""After a change: slow dashboards show their previous figures at once, marked with their time,
while one background task counts them again; quick ones count in the page; documents never
use stale figures (evaluations/dashboard/cached.py)."""

import io
from datetime import timedelta

import openpyxl
import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse
from kombu.exceptions import OperationalError as KombuOperationalError

from evaluations import dashboard as dash
from evaluations.dashboard import cached
from evaluations.dashboard import views as dashboard_views
from evaluations.dashboard.tasks import dashboard_refresh_task, dashboards_warm_task
from members.models import Organisation
from partyreg import celery_app
from partyreg.audit import audit_record
from residence.models import Referral
from tests.evaluations.dashboard.province import BLOC, TODAY, YEAR

Side = Organisation.Side

pytestmark = pytest.mark.django_db

# TODAY (10:00 UTC) on the page, in Asia/Ho_Chi_Minh.
SHOWN_AS_OF = "17:00 15/06/2026"


@pytest.fixture
def worker(monkeypatch):
    """A worker behind the broker, as in production: tasks are sent, not run in the page.
    Returns the (organisation id, year) of every refresh sent."""
    sent = []

    def apply_async(args, **options):
        sent.append(tuple(args))

    monkeypatch.setattr(dashboard_refresh_task, "apply_async", apply_async)
    was_eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    yield sent
    celery_app.conf.task_always_eager = was_eager


def live_seconds(settings, seconds: float) -> None:
    settings.PARTYREG = {**settings.PARTYREG, "DASHBOARD_LIVE_SECONDS": seconds}


@pytest.fixture
def slow(settings):
    """Every count took longer than allowed in a page (nothing is quicker than 0 s)."""
    live_seconds(settings, 0)


@pytest.fixture
def quick(settings):
    live_seconds(settings, 60)


def present_cuong(province) -> None:
    """A recorded change: Cường presents himself, one more presented in the bloc."""
    w, m = province.world, province.members
    Referral.objects.filter(member=m["cuong"]).update(state=Referral.State.REPORTED)
    audit_record(actor=w.admin, action="referral.report", target=m["cuong"])


def presented(board) -> int:
    return board.totals[Side.WORKPLACE].presented


def test_slow_figures_are_served_stale_after_a_change_with_one_refresh_queued(
    province, login, worker, slow, django_capture_on_commit_callbacks
):
    w = province.world
    client = login(w.admin)
    url = reverse("evaluations:dashboard", args=[w.province.pk])
    first = client.get(url)
    assert not first.context["board"].stale and presented(first.context["board"]) == 4
    assert 'data-figures="stale"' not in first.content.decode()
    present_cuong(province)
    with time_machine.travel(TODAY + timedelta(minutes=3), tick=False):
        for _ in range(2):
            with django_capture_on_commit_callbacks(execute=True):
                response = client.get(url)
            board = response.context["board"]
            assert board.stale and presented(board) == 4
            assert board.as_of == TODAY
            html = response.content.decode()
            assert 'data-figures="stale"' in html and SHOWN_AS_OF in html
    assert worker == [(w.province.pk, YEAR)]


def test_the_refresh_keeps_fresh_figures_and_the_next_view_shows_them(
    province, login, worker, slow, django_capture_on_commit_callbacks
):
    w = province.world
    client = login(w.admin)
    url = reverse("evaluations:dashboard", args=[w.province.pk])
    client.get(url)
    present_cuong(province)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.get(url).context["board"].stale
    later = TODAY + timedelta(minutes=2)
    with time_machine.travel(later, tick=False):
        assert dashboard_refresh_task(w.province.pk, YEAR) is True
        # Run twice, it counts once: the figures kept are current.
        assert dashboard_refresh_task(w.province.pk, YEAR) is False
        response = client.get(url)
    board = response.context["board"]
    assert not board.stale and presented(board) == 5 and board.as_of == later
    html = response.content.decode()
    assert 'data-figures="fresh"' in html and 'data-figures="stale"' not in html
    assert "17:02" in html
    # The refresh released its lock: the next change queues the next refresh.
    audit_record(actor=w.admin, action="referral.report", target=province.members["an"])
    with django_capture_on_commit_callbacks(execute=True):
        assert client.get(url).context["board"].stale
    assert worker == [(w.province.pk, YEAR)] * 2


def test_a_slow_side_holds_back_the_quick_figures_of_its_dashboard(
    province, login, worker, django_capture_on_commit_callbacks
):
    """The workplace side took long; the residence side and the months chart were quick, but
    the refresh counts them too: none is counted in the page."""
    w = province.world
    client = login(w.admin)
    url = reverse("evaluations:dashboard", args=[w.province.pk])
    client.get(url)
    key = cached.key(Side.WORKPLACE, w.province, YEAR)
    cache.set(key, {**cache.get(key), "seconds": 5.0})
    present_cuong(province)
    with django_capture_on_commit_callbacks(execute=True):
        board = client.get(url).context["board"]
    assert board.stale and presented(board) == 4
    assert board.totals[Side.RESIDENCE].presented == 4  # not yet the fifth
    assert worker == [(w.province.pk, YEAR)]
    assert dashboard_refresh_task(w.province.pk, YEAR) is True
    board = client.get(url).context["board"]
    assert not board.stale and board.totals[Side.RESIDENCE].presented == 5


def test_quick_figures_are_counted_in_the_page_after_a_change(
    province, login, worker, quick, django_capture_on_commit_callbacks
):
    w = province.world
    client = login(w.admin)
    url = reverse("evaluations:dashboard", args=[w.bloc.pk])
    assert presented(client.get(url).context["board"]) == BLOC["presented"]
    present_cuong(province)
    with django_capture_on_commit_callbacks(execute=True):
        board = client.get(url).context["board"]
    assert not board.stale and presented(board) == BLOC["presented"] + 1
    assert worker == []


def test_figures_older_than_the_cache_time_are_refreshed_too(
    province, login, worker, slow, django_capture_on_commit_callbacks
):
    """Rows written without an audit entry (a bulk load) show once the cache time is up."""
    w = province.world
    client = login(w.admin)
    url = reverse("evaluations:dashboard", args=[w.province.pk])
    client.get(url)
    with time_machine.travel(TODAY + timedelta(seconds=cached.CACHE_SECONDS - 1), tick=False):
        assert not client.get(url).context["board"].stale
    expired = TODAY + timedelta(seconds=cached.CACHE_SECONDS + 1)
    with (
        time_machine.travel(expired, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert client.get(url).context["board"].stale
    assert worker == [(w.province.pk, YEAR)]


def test_without_a_worker_the_page_counts_itself(province, login, slow):
    """Tasks run in-process (the embedded site): a background count would hold up the page
    just the same, so the page counts and shows fresh figures."""
    w = province.world
    client = login(w.admin)
    url = reverse("evaluations:dashboard", args=[w.province.pk])
    client.get(url)
    present_cuong(province)
    board = client.get(url).context["board"]
    assert not board.stale and presented(board) == 5


def test_a_broker_down_leaves_the_stale_figures_and_a_later_view_retries(
    province, login, worker, slow, monkeypatch, django_capture_on_commit_callbacks
):
    w = province.world
    client = login(w.admin)
    url = reverse("evaluations:dashboard", args=[w.province.pk])
    client.get(url)
    present_cuong(province)

    def refused(args, **options):
        raise KombuOperationalError("Connection refused")

    monkeypatch.setattr(dashboard_refresh_task, "apply_async", refused)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(url)
    assert response.status_code == 200 and response.context["board"].stale
    monkeypatch.setattr(dashboard_refresh_task, "apply_async", lambda args, **o: worker.append(1))
    with django_capture_on_commit_callbacks(execute=True):
        client.get(url)
    assert worker == [1]


def test_documents_are_counted_afresh_even_when_the_page_is_stale(
    province, login, worker, slow, monkeypatch, django_capture_on_commit_callbacks
):
    w = province.world
    client = login(w.admin)
    client.get(reverse("evaluations:dashboard", args=[w.province.pk]))
    present_cuong(province)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(reverse("evaluations:dashboard_export", args=[w.province.pk]))
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = book.worksheets[0]  # workplace
    column = 1 + [c.key for c in dash.SIDE_COLUMNS[Side.WORKPLACE]].index("presented")
    total = list(sheet.iter_rows(values_only=True))[-1]
    assert total[column] == 5
    reported = []
    monkeypatch.setattr(
        dashboard_views.report, "report_pdf", lambda board: reported.append(board) or b"%PDF-"
    )
    audit_record(actor=w.admin, action="referral.report", target=province.members["an"])
    with django_capture_on_commit_callbacks(execute=True):
        client.get(reverse("evaluations:dashboard_report", args=[w.province.pk]))
    (board,) = reported
    assert not board.stale and presented(board) == 5 and board.as_of == TODAY
    # Counted live, never queued.
    assert worker == []


def test_home_page_worst_rows_say_how_old_they_are(
    province, login, worker, slow, django_capture_on_commit_callbacks
):
    w = province.world
    client = login(w.admin)
    client.get(reverse("home"))
    present_cuong(province)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(reverse("home"))
    (board,) = response.context["boards"]
    assert board["board"].stale and board["worst"]
    html = response.content.decode()
    assert 'data-figures="stale"' in html and SHOWN_AS_OF in html
    assert worker == [(w.province.pk, YEAR)]


def test_cache_down_the_page_counts_afresh(province, login, worker, slow, monkeypatch):
    w = province.world

    class Down:
        def get(self, *args, **kwargs):
            raise ConnectionError("cache down")

        set = add = delete = get

    client = login(w.admin)
    url = reverse("evaluations:dashboard", args=[w.province.pk])
    client.get(url)
    present_cuong(province)
    monkeypatch.setattr(cached, "cache", Down())
    response = client.get(url)
    board = response.context["board"]
    assert response.status_code == 200 and not board.stale and presented(board) == 5
    assert worker == []
    assert dashboard_refresh_task(w.province.pk, YEAR) is True  # counts, keeps nothing


def test_midnight_warm_up_counts_the_top_dashboards_once(province, login):
    w = province.world
    schedule = celery_app.conf.beat_schedule["dashboards-warm"]
    assert celery_app.tasks[schedule["task"]] is dashboards_warm_task._get_current_object()
    assert dashboards_warm_task() == [w.province.pk]
    assert dashboards_warm_task() == []
    board = login(w.admin).get(reverse("evaluations:dashboard", args=[w.province.pk]))
    assert board.context["board"].as_of == TODAY
    with time_machine.travel(TODAY + timedelta(days=1), tick=False):
        # A new day: a new stamp, counted again.
        assert dashboards_warm_task() == [w.province.pk]
