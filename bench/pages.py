"""CPU per request of every page of the load test, beside /healthz and the Django admin index.

    .venv/bin/python -m bench pages                          # 200 requests a page, 4 connections
    .venv/bin/python -m bench.pages --requests 400 --connections 4 --rounds 2

The measuring instrument of issue 17. It prepares the load test's database (bench/load.py:
the bloc-sized demo with its workflows, 300 referrals, a meeting) in partyreg_pb_demo unless
DATABASE_URL says otherwise, starts gunicorn as the load test does (2 processes × 4 threads,
Redis database 12 for the cache), and signs in the demo users without the form (khoi and
admin as having shown their two-factor code). Then, for each page, a bounded load: the same
number of GET requests over a few keep-alive connections (one session each, as different
people), with a time cap, in ``--rounds`` passes over all pages so a change in the machine's
load falls on every page alike.

For each page it prints the requests, the web CPU per request (user + system time of every
gunicorn process, from /proc, before and after), the PostgreSQL CPU per request (the backends
connected to the database, followed from /proc during the run, so one closed meanwhile still
counts up to its last sample), the ratio of the web CPU to the admin index's, and the median and
95th percentile of the wall time seen by the client. The load average is printed at the start
and the end: the machine is shared, so wall times are mostly queueing; CPU per request is the
figure that transfers. The targets (issue 17): web CPU per request at most the admin index's
(ratio ≤ 1.0) and PostgreSQL CPU ≤ 3 ms for every page; rows that miss are marked.

Left out: the two POSTs of the load test, "referrals: receive" (each referral once) and the
login (PBKDF2, about a second of CPU on purpose).
"""

import argparse
import http.client
import itertools
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench._server import (
    Started,
    backends_of,
    free_port,
    loopback_only,
    postmaster_pid,
    process_cpu,
    process_tree,
    signed_in,
    start_gunicorn,
    thread_cpu,
    wait_for,
)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/partyreg_pb_demo"
# Database 12 of the local Redis: this bench's own.
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/12"
REQUESTS = int(os.environ.get("BENCH_PAGES_REQUESTS", "200"))
CONNECTIONS = int(os.environ.get("BENCH_PAGES_CONNECTIONS", "4"))
ROUNDS = int(os.environ.get("BENCH_PAGES_ROUNDS", "2"))
# Seconds one page may take in one round; what was done by then is counted.
TIME_CAP = float(os.environ.get("BENCH_PAGES_TIME_CAP", "60"))
WARM_UPS = 8
SEARCHES = ["nguyen van", "tran thi", "le", "pham minh", "hoang"]
ADMIN_INDEX = "admin index"
TARGET_PG_MS = 3.0


def _load() -> str:
    return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def pages(fixtures: dict) -> list[tuple[str, str | None, list[str]]]:
    """(name, user or None for anonymous, the URLs its requests cycle through)."""
    return [
        ("healthz", None, ["/healthz"]),
        (ADMIN_INDEX, "admin", ["/admin/"]),
        ("home", "coquan", ["/"]),
        ("home (own record)", "dangvien", ["/"]),
        ("members: list", "coquan", ["/members/"]),
        ("members: search", "coquan", [f"/members/?q={q.replace(' ', '+')}" for q in SEARCHES]),
        ("members: detail", "coquan", [f"/members/{pk}/" for pk in fixtures["coquan_members"]]),
        ("referrals: workplace list", "coquan", ["/residence/referrals/workplace/"]),
        ("referrals: residence list", "phuong", ["/residence/referrals/residence/"]),
        (
            "referrals: detail",
            "phuong",
            [f"/residence/referral/{pk}/" for pk in fixtures["phuong_referrals"]],
        ),
        ("meetings: cell list", "chibo", [f"/residence/meetings/cell/{fixtures['chibo_cell']}/"]),
        (
            "meetings: attendance marking",
            "chibo",
            [f"/residence/meetings/{fixtures['chibo_meeting']}/attendance/"],
        ),
        ("meetings: my invitations", "dangvien", ["/residence/meetings/mine/"]),
        ("comments: inbox", "chibo", ["/evaluations/inbox/"]),
        ("login page", None, ["/accounts/login/"]),
    ]


def prepare(connections: int) -> tuple[dict, dict[str, list[str]]]:
    """The load test's database and fixtures, and ``connections`` sessions of every user."""
    from bench.load import ROLES, prepare_database

    fixtures = prepare_database(sessions=connections)
    from django.contrib.auth import get_user_model

    from partyreg.twofactor import policy_requires

    sessions = dict(fixtures["sessions"])
    for user in get_user_model().objects.filter(username__in=["khoi", "admin"]):
        sessions[user.username] = signed_in(user, connections, verified=policy_requires(user))
    assert set(ROLES) <= set(sessions)
    return fixtures, sessions


class CpuFollower:
    """CPU seconds used by the gunicorn processes and by the database's PostgreSQL backends
    since ``start()``. A thread samples /proc every ``every`` seconds, so a process that ends
    during the run still counts up to its last sample (and one that starts counts in full)."""

    def __init__(self, web_root: int, postmaster: int | None, database: str, every=0.05):
        self.web_root, self.postmaster, self.database, self.every = (
            web_root,
            postmaster,
            database,
            every,
        )
        self._stop = threading.Event()

    def _pids(self) -> dict[str, list[int]]:
        backends = backends_of(self.postmaster, self.database) if self.postmaster else []
        return {"web": process_tree(self.web_root), "pg": backends}

    def _sample(self) -> None:
        for group, pids in self._pids().items():
            # Backends are single-threaded: the precise per-thread clock; gunicorn's processes
            # have many threads, read whole (in clock ticks, every thread counted).
            read = thread_cpu if group == "pg" else process_cpu
            for pid in pids:
                seconds = read(pid)
                if seconds is None:
                    continue
                self.first[group].setdefault(pid, 0.0 if self._running else seconds)
                self.last[group][pid] = seconds

    def start(self) -> None:
        self.first = {"web": {}, "pg": {}}
        self.last = {"web": {}, "pg": {}}
        self._running = False
        self._sample()
        self._running = True
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            self._sample()

    def stop(self) -> dict[str, float]:
        self._stop.set()
        self._thread.join()
        self._sample()
        return {
            group: sum(self.last[group][pid] - self.first[group][pid] for pid in self.last[group])
            for group in ("web", "pg")
        }


def drive(port: int, urls: list[str], sessions: list[str] | None, requests: int, connections: int):
    """``requests`` GETs over ``connections`` keep-alive connections, stopped at TIME_CAP.
    Returns (wall times in ms of the answered ones, failures as "status url")."""
    counter = itertools.count()
    deadline = time.monotonic() + TIME_CAP
    timings: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()

    def one_connection(index: int) -> None:
        headers = {"Host": "127.0.0.1"}
        if sessions:
            headers["Cookie"] = f"sessionid={sessions[index % len(sessions)]}"
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIME_CAP)
        try:
            while time.monotonic() < deadline:
                n = next(counter)
                if n >= requests:
                    return
                url = urls[n % len(urls)]
                started = time.perf_counter()
                try:
                    conn.request("GET", url, headers=headers)
                    response = conn.getresponse()
                    response.read()
                except (OSError, http.client.HTTPException) as error:
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIME_CAP)
                    with lock:
                        failures.append(f"{type(error).__name__} {url}")
                    continue
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    if response.status == 200:
                        timings.append(elapsed)
                    else:
                        # A redirect (to the login or the code page) is not the page.
                        location = response.getheader("Location", "")
                        failures.append(f"HTTP {response.status} {url} {location}".strip())
        finally:
            conn.close()

    threads = [threading.Thread(target=one_connection, args=(i,)) for i in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return timings, failures


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def report(results: dict, started_load: str) -> int:
    admin = results[ADMIN_INDEX]
    admin_web = 1000 * admin["web"] / max(1, len(admin["timings"]))
    header = (
        f"{'page':<30} {'user':<8} {'requests':>8} {'fail':>4} {'web CPU':>8} {'PG CPU':>7} "
        f"{'ratio':>6} {'median':>7} {'p95':>7}"
    )
    print(f"\n{header}\n{'':<30} {'':<8} {'':>8} {'':>4} {'ms/req':>8} {'ms/req':>7} "
          f"{'/admin':>6} {'ms':>7} {'ms':>7}")  # fmt: skip
    print("-" * len(header))
    missed = 0
    for name, r in results.items():
        done = len(r["timings"])
        if not done:
            print(f"{name:<30} {r['user'] or '-':<8} {0:>8} {len(r['failures']):>4}  no answer")
            missed += 1
            continue
        web = 1000 * r["web"] / done
        pg = 1000 * r["pg"] / done
        ratio = web / admin_web if admin_web else float("nan")
        mark = ""
        if name not in (ADMIN_INDEX, "healthz", "login page") and (
            ratio > 1.0 or pg > TARGET_PG_MS
        ):
            mark = "  ✗"
            missed += 1
        print(
            f"{name:<30} {r['user'] or '-':<8} {done:>8} {len(r['failures']):>4} {web:>8.1f} "
            f"{pg:>7.2f} {ratio:>6.2f} {statistics.median(r['timings']):>7.0f} "
            f"{percentile(r['timings'], 0.95):>7.0f}{mark}"
        )
    print(
        f"\nLoad at the start: {started_load}; at the end: {_load()} "
        f"({os.cpu_count()} cores, shared). ✗: a page of the load test over the targets "
        f"(web CPU ratio ≤ 1.0 to the admin index, PostgreSQL ≤ {TARGET_PG_MS:g} ms per request)."
    )
    failures = [f for r in results.values() for f in r["failures"]]
    if failures:
        print(f"\n{len(failures)} failed requests, e.g.: " + "; ".join(sorted(set(failures))[:5]))
    return missed


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=REQUESTS, help="per page, all rounds")
    parser.add_argument("--connections", type=int, default=CONNECTIONS)
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--only", help="comma-separated page names (the admin index is added)")
    options = parser.parse_args(argv)

    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    os.environ.setdefault("REDIS_URL", DEFAULT_REDIS_URL)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partyreg.settings")
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ.setdefault("PARTYREG_LOG_LEVEL", "WARNING")
    import dj_database_url

    loopback_only(os.environ["DATABASE_URL"], "DATABASE_URL")
    loopback_only(os.environ["REDIS_URL"], "REDIS_URL")
    database = dj_database_url.parse(os.environ["DATABASE_URL"])["NAME"]

    fixtures, sessions = prepare(options.connections)
    plan = pages(fixtures)
    if options.only:
        wanted = {n.strip() for n in options.only.split(",")} | {ADMIN_INDEX}
        plan = [p for p in plan if p[0] in wanted]
    work = Path(tempfile.mkdtemp(prefix="partyreg-pages-"))
    env = {
        **os.environ,
        "PARTYREG_EMBEDDED_SCHEDULER": "0",
        "PARTYREG_MEDIA_ROOT": str(work / "media"),
    }
    postmaster = postmaster_pid()
    port = free_port()
    started_load = _load()
    per_round = -(-options.requests // options.rounds)
    print(
        f"{fixtures['members']:,} members in {database}. gunicorn {options.workers} workers × "
        f"{options.threads} threads on 127.0.0.1:{port}; {per_round} requests a page per round "
        f"× {options.rounds} rounds over {options.connections} connections (cap {TIME_CAP:g} s "
        f"a page a round). Logs: {work}. {started_load}",
        flush=True,
    )
    if postmaster is None:
        print("PostgreSQL's processes are not visible here: its CPU is not counted.")
    started = Started(work)
    results = {
        name: {"user": user, "timings": [], "failures": [], "web": 0.0, "pg": 0.0}
        for name, user, _urls in plan
    }
    try:
        web = start_gunicorn(started, port, env, workers=options.workers, threads=options.threads)
        wait_for(f"http://127.0.0.1:{port}/healthz", web)
        follower = CpuFollower(web.pid, postmaster, database)
        # Warm-up, not measured: each gunicorn worker loads its templates on its first pages.
        for _name, user, urls in plan:
            drive(port, urls, sessions.get(user), WARM_UPS * options.workers, options.connections)
        for _round in range(options.rounds):
            for name, user, urls in plan:
                follower.start()
                timings, failures = drive(
                    port, urls, sessions.get(user), per_round, options.connections
                )
                used = follower.stop()
                result = results[name]
                result["timings"] += timings
                result["failures"] += failures
                result["web"] += used["web"]
                result["pg"] += used["pg"]
    finally:
        started.stop_all()
    missed = report(results, started_load)
    return 1 if any(r["failures"] for r in results.values()) else (2 if missed else 0)


def run() -> None:
    main([])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
