"""The widest lists at national size: 100,000, 1,000,000 and 5,600,000 members.

    .venv/bin/python -m bench national                    # builds what is missing, measures all
    .venv/bin/python -m bench.national --sizes 100k,1m    # some sizes only
    .venv/bin/python -m bench.national --profile 1m       # and cProfile a list request at 1m
    BENCH_NATIONAL_SIZES=100k,1m .venv/bin/python -m bench national

The instrument of issue 17's third target: a list for the widest reach must answer in ≤ 100 ms
of server time at 5.6 million members, and its web CPU must not grow with the size of the
country. Each size is a PostgreSQL database of its own, built once (a row of the table
``pb_national`` says it is complete; a database without it is built on from where it stopped):

- ``partyreg_pb_100k``: the province-sized demo (``load_demo --size province``: 100,000 members,
  about 9,400 organisations), hung under a national root organisation (``organisation_move``),
  a referral for about 40% of the members who can have one (the share of working members in
  a province: Nghệ An, 80,000 of 193,584), and the login ``national``, supervising staff at the
  root (two-factor: the demo key, marked as shown for the bench);
- ``partyreg_pb_1m``: a copy of it (``CREATE DATABASE … TEMPLATE``) and 9 more provinces;
- ``partyreg_pb_5m``: a copy of that and 46 more: 56 provinces, 5.6 million members.

A new province repeats the demo province's organisations (new ids, paths and codes), members
(new card numbers, no logins) and referrals, written with ``COPY`` (psycopg's
``cursor.copy``), one transaction per province, foreign-key triggers off for the load
(``session_replication_role = replica``; the rows are copies of checked ones and a count
of orphans is checked at the end) and the secondary indexes of the two big tables dropped
during the load and made again after it; then the identity sequences are moved past the
new ids and the tables vacuumed and analysed. So every demo login keeps its reach at every
size (coquan 71 members, khoi 2,700) and ``national`` sees the whole country.

Then, for each size, in a process of its own with Django's test client (in-process: the
server's share only, no HTTP), for coquan, khoi, admin and national: the member list's first
page, its last page (the deepest the user can reach), the search "nguyen van" and the
workplace referral list's first page; and the admin changelist of members
(``/admin/members/member/``, as admin) for the first page, its last page and the search,
printed on the right of each row. Each case: a warm-up, then up to REPEATS requests (fewer
when a case takes more than CASE_SECONDS): the medians of the server time, of the time spent
in SQL (an execute_wrapper), of the process's CPU (``time.process_time``: the web CPU) and
of the PostgreSQL backend's CPU (its /proc schedstat), and the number of queries. The machine
is shared: the load average is printed with every table. Target: ≤ 100 ms (✗ marks a miss).

Disk: about 0.1, 1 and 5 GB for the three databases. ``DROP DATABASE partyreg_pb_5m`` (and
the others) when done with them.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench._national_build import (
    SERVER,
    SIZES,
    TEMPLATE_OF,
    _django,
    _load,
    build,
    built,
    database,
    database_size,
)
from bench._server import BASE_DIR, loopback_only, thread_cpu

USERS = ("coquan", "khoi", "admin", "national")
REPEATS = int(os.environ.get("BENCH_NATIONAL_REPEATS", "5"))
CASE_SECONDS = float(os.environ.get("BENCH_NATIONAL_CASE_SECONDS", "20"))
TARGET_MS = 100
SEARCH = "nguyen van"

# --- Measuring (a process of its own per size) -------------------------------------------------


class SqlTimer:
    def __init__(self):
        self.seconds = 0.0
        self.queries = 0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started
            self.queries += 1


def _clients() -> dict:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from partyreg.twofactor import client_mark_verified, policy_requires

    clients = {}
    for user in get_user_model().objects.filter(username__in=USERS):
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        # khoi, admin and national must use two-factor login: without this every row would
        # time the redirect to the code page, not the list.
        if policy_requires(user):
            client_mark_verified(client, user)
        clients[user.username] = (client, user)
    return clients


def _request(client, url: str, params: dict) -> dict:
    from django.db import connection

    connection.ensure_connection()
    backend = connection.connection.info.backend_pid
    timer = SqlTimer()
    pg_before = thread_cpu(backend) or 0.0
    cpu_before = time.process_time()
    started = time.perf_counter()
    with connection.execute_wrapper(timer):
        response = client.get(url, params)
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu_before
    pg = (thread_cpu(backend) or pg_before) - pg_before
    if response.status_code != 200:
        raise RuntimeError(f"{url} {params}: HTTP {response.status_code}")
    return {
        "ms": 1000 * wall,
        "sql": 1000 * timer.seconds,
        "cpu": 1000 * cpu,
        "pg": 1000 * pg,
        "queries": timer.queries,
    }


def _case(client, url: str, params: dict) -> dict:
    _request(client, url, params)  # warm-up: templates, the user's roles, caches
    runs = []
    started = time.perf_counter()
    while len(runs) < REPEATS and (not runs or time.perf_counter() - started < CASE_SECONDS):
        runs.append(_request(client, url, params))
    result = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
    result["queries"] = max(r["queries"] for r in runs)
    result["runs"] = len(runs)
    return result


def cases(clients) -> list[tuple]:
    """(user, reach, page, url, params, the changelist's case beside it) rows."""
    from django.urls import reverse

    from members.selectors import members_visible_to
    from members.views import MEMBERS_PER_PAGE

    members = reverse("members:member_list")
    referrals = reverse("residence:referral_list", args=["workplace"])
    rows = []
    for username in USERS:
        _client, user = clients[username]
        reach = members_visible_to(user).count()
        last = max(1, -(-reach // MEMBERS_PER_PAGE))
        rows += [
            (username, reach, "members p1", members, {}, "p1"),
            (username, reach, f"members p{last:,}", members, {"page": last}, "last"),
            (username, reach, f"search “{SEARCH}”", members, {"q": SEARCH}, "search"),
            (username, reach, "referrals p1", referrals, {}, None),
        ]
    return rows


def changelist_cases() -> dict:
    from django.contrib import admin

    from members.models import Member

    per_page = admin.site._registry[Member].list_per_page
    last = max(1, -(-Member.objects.count() // per_page))
    url = "/admin/members/member/"
    return {
        "p1": ("p1", url, {}),
        "last": (f"p{last:,}", url, {"p": last}),
        "search": ("search", url, {"q": SEARCH}),
    }


def _flush_cache() -> None:
    from django.core.cache import cache

    cache.clear()


def measure(size: str, out: Path | None) -> None:
    _django(size)
    _flush_cache()
    clients = _clients()
    marker = built(size)
    header_load = _load()
    admin_client = clients["admin"][0]
    changelist = {
        key: (label, _case(admin_client, url, params))
        for key, (label, url, params) in changelist_cases().items()
    }
    rows = []
    for username, reach, page, url, params, counterpart in cases(clients):
        result = _case(clients[username][0], url, params)
        rows.append(
            {"user": username, "reach": reach, "page": page, "counterpart": counterpart, **result}
        )
    end_load = _load()
    print(
        f"\n{database(size)}: {marker['provinces']} provinces, {marker['members']:,} members, "
        f"{marker['referrals']:,} referrals, {database_size(size)}. Medians of up to {REPEATS} "
        f"requests after a warm-up (server side, in-process). {header_load} at the start, "
        f"{end_load} at the end."
    )
    head = f"{'ms':>7} {'SQL':>6} {'CPU':>6} {'PG':>6} {'q':>3}"
    header = f"{'user':<8} {'reach':>9} {'page':<24} {head} │ {'changelist':<11} {head}"
    print(header)
    print("─" * len(header))

    def figures(r):
        return (
            f"{r['ms']:>7.0f} {r['sql']:>6.0f} {r['cpu']:>6.0f} {r['pg']:>6.0f} {r['queries']:>3}"
        )

    for row in rows:
        mark = " ✗" if row["ms"] > TARGET_MS else "  "
        right = ""
        if row["counterpart"]:
            label, other = changelist[row["counterpart"]]
            right = f"{label:<11} {figures(other)}"
        print(
            f"{row['user']:<8} {row['reach']:>9,} {row['page'][:24]:<24} {figures(row)}{mark}│ "
            f"{right}"
        )
    print(
        "ms: server time; SQL: of it in queries; CPU: web process CPU; PG: the PostgreSQL "
        f"backend's CPU (all ms per request); q: queries. ✗: over {TARGET_MS} ms."
    )
    if out:
        out.write_text(
            json.dumps(
                {
                    "size": size,
                    "members": marker["members"],
                    "rows": rows,
                    "changelist": {k: v[1] for k, v in changelist.items()},
                    "load": [header_load, end_load],
                }
            )
        )


def profile(size: str) -> None:
    """cProfile of one member-list request (first page) for coquan and national: the project's
    own functions by cumulative time (the middleware chain left out: it wraps everything),
    then every function by its own time."""
    import cProfile
    import pstats

    _django(size)
    clients = _clients()
    own_code = r"/(members|residence|evaluations|partyreg|templates)/(?!.*middleware)"
    for username in ("coquan", "national"):
        client = clients[username][0]
        client.get("/members/")
        profiler = cProfile.Profile()
        profiler.enable()
        client.get("/members/")
        profiler.disable()
        print(f"\n{database(size)}: member list, first page, {username} [{_load()}]")
        stats = pstats.Stats(profiler)
        stats.sort_stats("cumulative").print_stats(own_code, 10)
        stats.sort_stats("tottime").print_stats(10)


# --- The whole run -------------------------------------------------------------------------


def _child(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "bench.national", *args], cwd=BASE_DIR, check=True)


def summary(results: list[dict]) -> None:
    if not results:
        return
    print(f"\nSide by side (server ms / web CPU ms per request; ✗ over {TARGET_MS} ms) [{_load()}]")
    head = "".join(f"{r['size'] + ' ({:,})'.format(r['members']):>24}" for r in results)
    print(f"{'user':<8} {'page':<24}{head}")
    for i, first in enumerate(results[0]["rows"]):
        cells = []
        for r in results:
            row = r["rows"][i]
            cells.append(
                f"{row['ms']:>9.0f} / {row['cpu']:>6.0f}{' ✗' if row['ms'] > TARGET_MS else '  '}"
                f"{'':>5}"
            )
        label = first["page"]
        if label.startswith("members p") and label != "members p1":
            label = "members last page"
        print(f"{first['user']:<8} {label[:24]:<24}" + "".join(f"{c:>24}" for c in cells))
    for key, label in (("p1", "p1"), ("last", "last page"), ("search", "search")):
        cells = []
        for r in results:
            other = r["changelist"][key]
            cells.append(
                f"{other['ms']:>9.0f} / {other['cpu']:>6.0f}"
                f"{' ✗' if other['ms'] > TARGET_MS else '  '}{'':>5}"
            )
        print(f"{'admin':<8} {'changelist ' + label:<24}" + "".join(f"{c:>24}" for c in cells))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--sizes",
        default=os.environ.get("BENCH_NATIONAL_SIZES", ",".join(SIZES)),
        help="comma-separated among 100k, 1m, 5m (default all, or BENCH_NATIONAL_SIZES)",
    )
    parser.add_argument("--build-only", action="store_true")
    parser.add_argument(
        "--profile",
        default="",
        help="sizes (among the measured) at which to cProfile one member-list request too",
    )
    parser.add_argument("--_build", help=argparse.SUPPRESS)
    parser.add_argument("--_measure", help=argparse.SUPPRESS)
    parser.add_argument("--_profile", help=argparse.SUPPRESS)
    parser.add_argument("--_out", help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    loopback_only(SERVER + "postgres", "DATABASE_URL")
    if options._build:
        build(options._build)
        return 0
    if options._measure:
        measure(options._measure, Path(options._out) if options._out else None)
        return 0
    if options._profile:
        profile(options._profile)
        return 0
    sizes = [s.strip() for s in options.sizes.split(",") if s.strip()]
    unknown = set(sizes) - set(SIZES)
    if unknown:
        sys.exit(f"Unknown size(s) {', '.join(sorted(unknown))}; choose among {', '.join(SIZES)}.")
    # A size is copied from the next smaller one: build those too (they are not measured).
    needed = set(sizes)
    for size in sizes:
        while size in TEMPLATE_OF:
            size = TEMPLATE_OF[size]
            needed.add(size)
    for size in SIZES:
        if size in needed and not built(size):
            print(f"Building {database(size)} [{_load()}]", flush=True)
            _child("--_build", size)
    for size in SIZES:
        marker = built(size)
        if size in needed and marker:
            print(
                f"{database(size)}: built in {marker['seconds']:.0f} s on "
                f"{marker['built_at']:%Y-%m-%d %H:%M}, {database_size(size)}"
            )
    if options.build_only:
        return 0
    results = []
    work = Path(tempfile.mkdtemp(prefix="partyreg-national-"))
    for size in sizes:
        out = work / f"{size}.json"
        _child("--_measure", size, "--_out", str(out))
        results.append(json.loads(out.read_text()))
        if size in options.profile.split(","):
            _child("--_profile", size)
    summary(results)
    return 0


def run() -> None:
    main([])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
