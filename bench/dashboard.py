"""The compliance dashboard on the province-sized demo (100,000 members), on PostgreSQL.

Runs on its own database (partyreg_bench_dashboard unless DATABASE_URL says otherwise): the
province from ``load_demo --size province``, then a year of workflow rows written here with
bulk_create, the shares drawn from a fixed seed so every run sees the same figures:

- a referral for 92% of the working members who have a commune of residence, to that commune
  and one of its residence cells: 74% presented (most on time), the rest waiting at each step,
  some overdue, some closed;
- two confirmed regular meetings in most residence cells (one in some, none in a few), every
  assigned member invited, 80% present;
- a comment campaign per grassroots organisation, a request for 70% of the presented members,
  half of them certified, some flagged near-identical; a sitting per cell;
- change notices for 2% of the members, 70% acknowledged.

Then, for each page, two warm-up requests, one counted (queries), and REPEATS timed requests:
the table shows the median and the slowest, with the dashboard's figures kept in the cache
and current ("warm": every view until a change is recorded). Then what a user sees after a
change (evaluations/dashboard/cached.py): COLD_REPEATS requests each under a new stamp, with
the previous figures kept and a worker behind the broker ("changed"): figures whose last count
was quick are counted in the page ("live"), slow ones are served as they are, marked with
their time ("stale"), and one refresh is queued; that refresh is then run here and timed
("refresh ms": the background count no page waits for). Last, COLD_REPEATS requests with
nothing kept at all ("first": the very first view, or after the cache was emptied). The
target: every dashboard and home page under 500 ms (median), warm and after a change; the
first view is printed as it is. The machine may be shared; the load average is printed.

.venv/bin/python -m bench dashboard
"""

import contextlib
import itertools
import os
import random
import statistics
import time
from datetime import date, datetime, timedelta

from bench import _django

DATABASE_URL = "postgres://postgres@127.0.0.1:5432/partyreg_bench_dashboard"
WARM_UPS = 2
REPEATS = int(os.environ.get("BENCH_REPEATS", "10"))
COLD_REPEATS = int(os.environ.get("BENCH_COLD_REPEATS", "3"))
TARGET_MS = 500
SEED = 213
# Makes every stamp (or cache key) of a measured request new, across all the pages measured.
FRESH = itertools.count()


def _load() -> str:
    return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def prepare(year: int) -> None:
    """A year of referrals, meetings, comments and notices for the province; once."""
    from django.db import connection, transaction
    from django.utils import timezone

    from evaluations.models import Campaign, CommentRequest, SheetForm, Sitting
    from members.models import Member, Organisation
    from residence.meetings.models import Attendance, Meeting
    from residence.models import ChangeNotice, Referral

    if Referral.objects.count() >= 50_000:
        return
    started = time.perf_counter()
    rng = random.Random(SEED)
    K = Organisation.Kind
    S = Referral.State
    aware = timezone.make_aware
    cells_of: dict[int, list[int]] = {}
    for pk, parent in (
        Organisation.objects.filter(kind=K.RESIDENCE_CELL, is_active=True)
        .order_by("pk")
        .values_list("pk", "parent_id")
    ):
        cells_of.setdefault(parent, []).append(pk)
    parent_of = dict(Organisation.objects.values_list("pk", "parent_id"))
    kind_of = dict(Organisation.objects.values_list("pk", "kind"))
    members = list(
        Member.objects.filter(status__in=Member.LIVE_STATUSES, residence_commune__in=list(cells_of))
        .exclude(category=Member.Category.EXEMPT_INTRODUCTION)
        .order_by("pk")
        .values_list("pk", "workplace_org_id", "residence_commune_id", "category")
    )
    issued_on = date(year, 1, 10)
    referrals, cell_of = [], {}
    for number, (pk, org, commune, category) in enumerate(members, start=1):
        if rng.random() > 0.92:
            continue
        cells = cells_of[commune]
        cell = cells[pk % len(cells)]
        roll = rng.random()
        state = (
            S.REPORTED
            if roll < 0.74
            else S.ASSIGNED
            if roll < 0.84
            else S.RECEIVED
            if roll < 0.90
            else S.ISSUED
            if roll < 0.97
            else S.CLOSED
        )
        # Letters of the last weeks are not due yet; the others are.
        late_issue = rng.random() < 0.4
        issued = date(year, 11, 20) if late_issue else issued_on
        due = issued + timedelta(days=30)
        presented = None
        if state == S.REPORTED:
            presented = issued + timedelta(days=rng.choice([5, 12, 20, 28, 40]))
        referrals.append(
            Referral(
                member_id=pk,
                issuing_org_id=org,
                signing_org_id=org,
                commune_id=commune,
                residence_cell_id=cell if state in (S.ASSIGNED, S.REPORTED) else None,
                year=year,
                number=number,
                exempt_activity=category == Member.Category.EXEMPT_ACTIVITY,
                state=state,
                due_on=due,
                issued_at=aware(datetime(issued.year, issued.month, issued.day, 9)),
                presented_on=presented,
                close_reason="withdrawn" if state == S.CLOSED else "",
            )
        )
        if state in (S.ASSIGNED, S.REPORTED):
            cell_of[pk] = cell
    with transaction.atomic():
        Referral.objects.bulk_create(referrals, batch_size=5000)
        referral_of = {r.member_id: r for r in referrals if r.state != S.CLOSED}
        members_of_cell: dict[int, list[int]] = {}
        for member, cell in cell_of.items():
            members_of_cell.setdefault(cell, []).append(member)
        meetings, held = [], {}
        for cell in sorted(members_of_cell):
            count = rng.choices([2, 1, 0], weights=[80, 15, 5])[0]
            for month in [3, 9][:count]:
                meetings.append(
                    Meeting(
                        residence_cell_id=cell,
                        kind=Meeting.Kind.REGULAR,
                        held_on=date(year, month, 8 + cell % 14),
                        starts_at=datetime.min.time().replace(hour=19, minute=30),
                        place="Nhà văn hóa",
                        agenda="Sinh hoạt định kỳ với đảng viên đang công tác",
                        state=Meeting.State.CONFIRMED,
                        confirmed_at=aware(datetime(year, month, 28, 20)),
                    )
                )
        Meeting.objects.bulk_create(meetings, batch_size=5000)
        for meeting in meetings:
            held.setdefault(meeting.residence_cell_id, []).append(meeting)
        statuses = [Attendance.Status.PRESENT, Attendance.Status.EXCUSED]
        statuses.append(Attendance.Status.UNEXCUSED)
        attendances = [
            Attendance(
                meeting=meeting,
                member_id=member,
                referral=referral_of[member],
                status=rng.choices(statuses, weights=[80, 10, 10])[0],
            )
            for cell, cell_meetings in held.items()
            for meeting in cell_meetings
            for member in members_of_cell[cell]
        ]
        Attendance.objects.bulk_create(attendances, batch_size=10_000)
        sittings = {
            cell: Sitting(
                residence_cell_id=cell,
                year=year,
                held_on=date(year, 11, 8),
                place="Nhà văn hóa",
                cell_committee_attendees="Bí thư chi bộ\nPhó Bí thư",
                front_committee_attendees="Trưởng ban công tác Mặt trận",
            )
            for cell in members_of_cell
            if rng.random() < 0.9
        }
        Sitting.objects.bulk_create(sittings.values(), batch_size=5000)
        grassroots = {
            org: org if kind_of[org] != K.CELL else parent_of[org]
            for org in {r.issuing_org_id for r in referrals}
        }
        campaigns = {
            org: Campaign(
                organisation_id=org,
                year=year,
                title=f"Lấy ý kiến nhận xét đảng viên năm {year}",
                due_on=date(year, 11, 30),
            )
            for org in sorted(set(grassroots.values()))
        }
        Campaign.objects.bulk_create(campaigns.values(), batch_size=5000)
        C = CommentRequest.State
        requests = []
        for referral in referrals:
            if referral.state != S.REPORTED or rng.random() > 0.7:
                continue
            cell = referral.residence_cell_id
            state = rng.choices([C.REQUESTED, C.SUBMITTED, C.CERTIFIED], weights=[25, 25, 50])[0]
            if cell not in sittings:
                state = C.REQUESTED
            returned = state != C.REQUESTED
            submitted = date(year, 11, rng.choice([20, 25, 29, 30])) if returned else None
            if returned and rng.random() < 0.15:
                submitted = date(year, 12, 2)
            requests.append(
                CommentRequest(
                    campaign=campaigns[grassroots[referral.issuing_org_id]],
                    member_id=referral.member_id,
                    referral=referral,
                    workplace_org_id=grassroots[referral.issuing_org_id],
                    residence_cell_id=cell,
                    commune_id=referral.commune_id,
                    form=SheetForm.EXEMPT if referral.exempt_activity else SheetForm.NORMAL,
                    due_on=date(year, 11, 30),
                    state=state,
                    sitting=sittings[cell] if returned else None,
                    submitted_at=aware(datetime.combine(submitted, datetime.min.time()))
                    if returned
                    else None,
                    certified_at=aware(datetime(year, 12, 3, 9)) if state == C.CERTIFIED else None,
                    similarity=0.96 if returned and rng.random() < 0.05 else None,
                )
            )
        CommentRequest.objects.bulk_create(requests, batch_size=5000)
        previous = {}
        for request in requests:
            if request.similarity is not None and request.residence_cell_id in previous:
                request.similar_to = previous[request.residence_cell_id]
            elif request.similarity is not None:
                request.similarity = None
            if request.state != C.REQUESTED:
                previous[request.residence_cell_id] = request
        CommentRequest.objects.bulk_update(
            [r for r in requests if r.similar_to_id or r.similarity is None],
            ["similar_to", "similarity"],
            batch_size=5000,
        )
        notices = [
            ChangeNotice(
                member_id=referral.member_id,
                kind=ChangeNotice.Kind.DISCIPLINED,
                effective_on=date(year, 6, 1),
                workplace_org_id=referral.issuing_org_id,
                old_referral=referral,
                commune_id=referral.commune_id,
                residence_cell_id=referral.residence_cell_id,
                created_at=aware(datetime(year, 6, 5, 9)),
                acknowledged_at=aware(datetime(year, 6, 12, 9)) if rng.random() < 0.7 else None,
            )
            for referral in referrals
            if referral.state != S.CLOSED and rng.random() < 0.02
        ]
        ChangeNotice.objects.bulk_create(notices, batch_size=5000)
    # Fresh planner statistics, as autovacuum would gather them after such a load.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(
        f"Prepared {len(referrals):,} referrals, {len(meetings):,} meetings, "
        f"{len(attendances):,} attendances, {len(requests):,} comment requests, "
        f"{len(notices):,} change notices in {time.perf_counter() - started:.1f} s",
        flush=True,
    )


def _timed(client, url: str, params: dict, repeats: int, before=None) -> list[float]:
    timings = []
    for _ in range(repeats):
        if before is not None:
            before()
        started = time.perf_counter()
        client.get(url, params)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def _queries(client, url: str, params: dict) -> tuple[int, str]:
    """The queries of one request, and its page (to tell stale figures from fresh ones)."""
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    reset_queries()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    return len(captured.captured_queries), response.content.decode(errors="replace")


@contextlib.contextmanager
def _after_changes():
    """Every request as the first after a recorded change (a new stamp each time), with a
    worker behind the broker: the refreshes a page queues are collected, not run."""
    from evaluations.dashboard import cached
    from evaluations.dashboard.tasks import dashboard_refresh_task
    from partyreg.celery import app

    queued: list[tuple[int, int]] = []
    real_stamp, was_eager = cached.stamp, app.conf.task_always_eager
    cached.stamp = lambda: f"{real_stamp()}:changed-{next(FRESH)}"
    app.conf.task_always_eager = False
    dashboard_refresh_task.apply_async = lambda args, **options: queued.append(tuple(args))
    try:
        yield queued
    finally:
        del dashboard_refresh_task.apply_async
        app.conf.task_always_eager = was_eager
        cached.stamp = real_stamp


def _measure(client, url: str, params: dict) -> dict:
    """Warm: the figures kept and current, as every view until a change is recorded.
    After a change: a new stamp with the previous figures kept; slow figures are served as
    they are (stale) and their refresh is queued, which is then run here and timed.
    First view: nothing kept at all, everything counted in the page."""
    from evaluations.dashboard import cached, dashboard_refresh

    for _ in range(WARM_UPS):
        response = client.get(url, params)
        if response.status_code != 200:
            return {"status": response.status_code}
    queries, _page = _queries(client, url, params)
    warm = _timed(client, url, params, REPEATS)
    with _after_changes() as queued:
        changed_queries, page = _queries(client, url, params)
        stale = 'data-figures="stale"' in page
        changed = _timed(client, url, params, COLD_REPEATS)
        refreshes = sorted(set(queued))
        refresh_ms = []
        for organisation_id, year in refreshes:
            started = time.perf_counter()
            dashboard_refresh(organisation_id, year)
            refresh_ms.append((time.perf_counter() - started) * 1000)
    real_prefix = cached.KEY_PREFIX

    def nothing_kept():
        cached.KEY_PREFIX = f"{real_prefix}-first-{next(FRESH)}"

    try:
        nothing_kept()
        first_queries, _page = _queries(client, url, params)
        first = _timed(client, url, params, COLD_REPEATS, before=nothing_kept)
    finally:
        cached.KEY_PREFIX = real_prefix
    return {
        "status": 200,
        "median": statistics.median(warm),
        "max": max(warm),
        "queries": queries,
        "changed": statistics.median(changed),
        "changed_queries": changed_queries,
        "stale": stale,
        "refreshes": len(queued),
        "refresh_ms": sum(refresh_ms),
        "first": statistics.median(first),
        "first_queries": first_queries,
    }


def cases() -> list[tuple[str, str, str, dict, bool]]:
    """(user, what, url, params, under the target): the pages people open most."""
    from django.db.models import Count
    from django.urls import reverse

    from members.models import Member, Organisation

    root = Organisation.objects.get(code="demo-province")
    bloc = Organisation.objects.get(code="demo-b01")
    commune = Organisation.objects.get(code="demo-c001")
    biggest = (
        Member.objects.filter(workplace_org__kind=Organisation.Kind.CELL)
        .values("workplace_org")
        .order_by()
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    cell = Organisation.objects.get(pk=biggest["workplace_org"])
    residence_cell = commune.children.order_by("pk").first()

    def page(org, **params):
        return reverse("evaluations:dashboard", args=[org.pk]), params

    def export(org):
        return reverse("evaluations:dashboard_export", args=[org.pk]), {}

    return [
        ("admin", "dashboard: the province (both sides)", *page(root), True),
        ("admin", "dashboard: province, sorted by name", *page(root, sort="name"), True),
        ("khoi", f"dashboard: {bloc.name}", *page(bloc), True),
        ("admin", f"dashboard: {cell.parent.name}", *page(cell.parent), True),
        ("admin", f"members: {cell.name} ({biggest['n']})", *page(cell), True),
        ("phuong", f"dashboard: {commune.name}", *page(commune), True),
        ("phuong", f"members: {residence_cell.name}", *page(residence_cell), True),
        ("admin", "home (worst rows of the province)", reverse("home"), {}, True),
        ("khoi", "home (worst rows of the bloc)", reverse("home"), {}, True),
        ("coquan", "home (workplace secretary)", reverse("home"), {}, True),
        ("phuong", "home (commune officer)", reverse("home"), {}, True),
        ("chibo", "home (residence cell secretary)", reverse("home"), {}, True),
        ("admin", "export .xlsx: the province", *export(root), False),
        (
            "admin",
            "yearly report PDF: the province",
            reverse("evaluations:dashboard_report", args=[root.pk]),
            {},
            False,
        ),
    ]


def run() -> None:
    os.environ.setdefault("DATABASE_URL", DATABASE_URL)
    _django.setup()

    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.utils import timezone

    from members.models import Member
    from partyreg.twofactor import client_mark_verified, policy_requires
    from residence.meetings.models import Attendance
    from residence.models import Referral

    prepare(timezone.localdate().year)
    clients = {}
    for user in get_user_model().objects.filter(
        username__in=["admin", "khoi", "coquan", "phuong", "chibo"]
    ):
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        if policy_requires(user):
            client_mark_verified(client, user)
        clients[user.username] = client
    print(
        f"{Member.objects.count():,} members, {Referral.objects.count():,} referrals, "
        f"{Attendance.objects.count():,} attendances; {REPEATS} requests per row after "
        f"{WARM_UPS} warm-ups; {_load()}"
    )
    header = (
        f"{'user':<7} {'page':<46} {'warm ms':>8} {'max ms':>7} {'q':>3} | "
        f"{'changed ms':>10} {'q':>3} {'served':>6} {'refresh ms':>10} | {'first ms':>8} {'q':>3}"
    )
    print(header)
    print("-" * len(header))
    slow, slow_changed, slow_first, refresh_longest = [], [], [], 0.0
    for username, what, url, params, targeted in cases():
        result = _measure(clients[username], url, params)
        if result["status"] != 200:
            print(f"{username:<7} {what[:46]:<46} HTTP {result['status']}")
            slow.append(what)
            continue
        served = "stale" if result["stale"] else "live"
        refresh = f"{result['refresh_ms']:>10.1f}" if result["refreshes"] else f"{'–':>10}"
        print(
            f"{username:<7} {what[:46]:<46} {result['median']:>8.1f} {result['max']:>7.1f} "
            f"{result['queries']:>3} | {result['changed']:>10.1f} {result['changed_queries']:>3} "
            f"{served:>6} {refresh} | {result['first']:>8.1f} {result['first_queries']:>3}",
            flush=True,
        )
        refresh_longest = max(refresh_longest, result["refresh_ms"])
        if not targeted:
            continue
        if result["median"] > TARGET_MS:
            slow.append(what)
        if result["changed"] > TARGET_MS:
            slow_changed.append(what)
        if result["first"] > TARGET_MS:
            slow_first.append(what)
    print(_load())
    print(
        "\nwarm: figures kept and current; changed: the first view after a recorded change "
        "(slow figures served stale, marked with their time, refresh queued; 'refresh ms' is "
        "that background count, run here); first: nothing kept at all (median of "
        f"{COLD_REPEATS}). Target: {TARGET_MS} ms for every dashboard and home page."
    )
    verdicts = [
        ("warm", slow),
        ("after a change", slow_changed),
        ("first view ever (nothing kept)", slow_first),
    ]
    for label, over in verdicts:
        if over:
            print(f"NOT MET {label}: over {TARGET_MS} ms (median) or failed: " + "; ".join(over))
        else:
            print(f"MET     {label}: every dashboard and home page under {TARGET_MS} ms (median)")
    print(f"Longest background refresh: {refresh_longest:.0f} ms (not seen by any page).")
