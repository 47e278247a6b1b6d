"""Load test: mixed journeys of 50 users against gunicorn, PostgreSQL, Redis and a Celery worker.

    .venv/bin/python -m bench.load                        # make load: 50 users, 60 s
    .venv/bin/python -m bench.load --users 5 --seconds 5  # a smoke run

It prepares a PostgreSQL database (DATABASE_URL, default partyreg_load on the local server:
migrated, the bloc-sized demo with its workflows, a meeting, sessions for the journeys),
starts gunicorn on a free loopback port and one Celery worker, runs locust headless (--users,
spawn rate 10/s, --seconds, bounded by a timeout) and prints requests/s, failures, median and
p95 per page and overall, and the CPU time the web processes and PostgreSQL spent per request
(the figure docs/SCALING.md scales up; latencies on a shared machine are mostly queueing).
Everything it starts it stops; it only ever talks to 127.0.0.1. Exit status 1 on any failure.
"""

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
from datetime import date, timedelta
from datetime import time as clock
from pathlib import Path

from bench._server import (
    BASE_DIR,
    BIN,
    Started,
    free_port,
    loopback_only,
    signed_in,
    start_gunicorn,
    wait_for,
)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/partyreg_load"
# Database 7 of the local Redis: apart from the queues of a site using database 0.
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/7"
REFERRALS = 300
# The demo logins the journeys use (none needs a second factor), and sessions made for each.
ROLES = ("coquan", "phuong", "chibo", "dangvien")
SESSIONS = 60


def prepare_database(sessions: int = SESSIONS) -> dict:
    """Migrate, load the demo, add workflow rows once; the ids the journeys visit (and
    ``sessions`` signed-in sessions of each role)."""
    from bench._django import _create_database

    _create_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from evaluations.demo.tree import demo_loaded
    from members.models import Member, Role
    from residence import services
    from residence.meetings import services as meeting_services
    from residence.meetings.models import Meeting
    from residence.models import Referral

    call_command("migrate", verbosity=0)
    if not demo_loaded():
        print("Loading the bloc-sized demo…", flush=True)
        call_command("load_demo", verbosity=0)
    users = {u.username: u for u in get_user_model().objects.all()}
    coquan, phuong, chibo = users["coquan"], users["phuong"], users["chibo"]
    agency = Role.objects.get(user=coquan).organisation
    commune = Role.objects.get(user=phuong).organisation
    cell = Role.objects.get(user=chibo).organisation
    ours = Member.objects.filter(workplace_org__path__startswith=agency.path)
    if not Referral.objects.filter(commune=commune).exists():
        print("Issuing, receiving and assigning referrals…", flush=True)
        movers = list(ours.filter(residence_commune=commune).order_by("id")[:REFERRALS])
        issued = services.referral_issue_many(actor=coquan, members=movers).issued
        received = services.referral_receive_many(
            actor=phuong, referrals=issued[: len(issued) // 2]
        )
        services.referral_assign_many(
            actor=phuong, referrals=received[: len(received) // 2], residence_cell=cell
        )
    if not Meeting.objects.filter(residence_cell=cell).exists():
        meeting_services.meeting_schedule(
            actor=chibo,
            residence_cell=cell,
            held_on=date.today() + timedelta(days=7),
            starts_at=clock(19, 30),
            place="Nhà văn hóa tổ dân phố",
            agenda="Sinh hoạt định kỳ với đảng viên đang công tác",
        )
    referrals = Referral.objects.filter(commune=commune)
    return {
        "sessions": {name: signed_in(users[name], sessions) for name in ROLES},
        "members": Member.objects.count(),
        "coquan_members": list(ours.order_by("?").values_list("id", flat=True)[:200]),
        "phuong_referrals": list(referrals.values_list("id", flat=True)),
        "to_receive": list(
            referrals.filter(state=Referral.State.ISSUED).values_list("id", flat=True)
        ),
        "chibo_cell": cell.pk,
        "chibo_meeting": Meeting.objects.filter(residence_cell=cell).order_by("-id").first().pk,
    }


def cpu_seconds(root_pids: list[int], database: str) -> dict[str, float]:
    """CPU time so far of the web and worker process trees, and of the PostgreSQL backends
    serving the database (those alive now: a backend closed meanwhile is not counted)."""
    import psutil
    import psycopg

    def tree(pid: int) -> float:
        try:
            parent = psutil.Process(pid)
            processes = [parent, *parent.children(recursive=True)]
        except psutil.NoSuchProcess:
            return 0.0
        total = 0.0
        for process in processes:
            try:
                times = process.cpu_times()
            except psutil.NoSuchProcess:
                continue
            total += times.user + times.system
        return total

    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn:
        backends = [
            pid
            for (pid,) in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                [database],
            )
        ]
    return {
        "web": tree(root_pids[0]),
        "worker": tree(root_pids[1]),
        "postgres": sum(tree(pid) for pid in backends),
    }


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def report_pages(timings_json: Path, seconds: float) -> None:
    """The pages a user reads once logged in, all together: the figure that scales."""
    timings = json.loads(timings_json.read_text(encoding="utf-8"))
    pages = [t for name, values in timings.items() if "login" not in name for t in values]
    if pages:
        print(
            f"{'ALL but the login':<32} {len(pages):>8} {'':>5} {len(pages) / seconds:>6.1f} "
            f"{percentile(pages, 0.5):>7.0f} {percentile(pages, 0.95):>6.0f} {max(pages):>6.0f}"
        )


def total_requests(stats_csv: Path) -> int:
    with stats_csv.open(newline="", encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(handle) if row["Name"] == "Aggregated"]
    return int(rows[0]["Request Count"]) if rows else 0


def report(stats_csv: Path, seconds: float) -> int:
    """Prints the locust figures; returns the number of failures."""
    with stats_csv.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    header = (
        f"{'page':<32} {'requests':>8} {'fail':>5} {'req/s':>6} {'median':>7} {'p95':>6} {'max':>6}"
    )
    print(header + "   (ms)")
    print("-" * len(header))
    failures = 0
    for row in rows:
        name = row["Name"] if row["Name"] != "Aggregated" else "ALL"
        if name == "ALL":
            print("-" * len(header))
        failures = int(row["Failure Count"]) if name == "ALL" else failures
        print(
            f"{name[:32]:<32} {int(row['Request Count']):>8} {int(row['Failure Count']):>5} "
            f"{float(row['Requests/s']):>6.1f} {row['50%']:>7} {row['95%']:>6} "
            f"{float(row['Max Response Time']):>6.0f}"
        )
    return failures


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument(
        "--think", default="1,3", help="pause between pages, seconds: min,max (default 1,3)"
    )
    options = parser.parse_args(argv)

    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    os.environ.setdefault("REDIS_URL", DEFAULT_REDIS_URL)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partyreg.settings")
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ.setdefault("PARTYREG_LOG_LEVEL", "WARNING")
    import dj_database_url

    loopback_only(os.environ["DATABASE_URL"], "DATABASE_URL")
    loopback_only(os.environ["REDIS_URL"], "REDIS_URL")

    fixtures = prepare_database()
    work = Path(tempfile.mkdtemp(prefix="partyreg-load-"))
    (work / "fixtures.json").write_text(json.dumps(fixtures))
    env = {
        **os.environ,
        "PARTYREG_EMBEDDED_SCHEDULER": "0",
        "PARTYREG_LOAD_FIXTURES": str(work / "fixtures.json"),
        "PARTYREG_LOAD_THINK": options.think,
        "PARTYREG_MEDIA_ROOT": str(work / "media"),
        "PARTYREG_LOAD_TIMINGS": str(work / "timings.json"),
    }
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    started = Started(work)
    print(
        f"{fixtures['members']:,} members. gunicorn {options.workers} workers × "
        f"{options.threads} threads on {base_url}, 1 Celery worker; {options.users} users "
        f"(spawn {options.spawn_rate:g}/s) for {options.seconds} s, {options.think} s between "
        f"pages. Logs: {work}",
        flush=True,
    )
    try:
        web = start_gunicorn(started, port, env, workers=options.workers, threads=options.threads)
        worker = started.start(
            "worker",
            [str(BIN / "celery"), "-A", "partyreg", "worker", "-Q", "default,printing",
             "--concurrency", "1", "--without-gossip", "--without-mingle", "--loglevel", "WARNING"],
            env,
        )  # fmt: skip
        wait_for(f"{base_url}/healthz", web)
        # Warm-up, not measured: each gunicorn worker loads its templates on its first pages.
        for _ in range(4 * options.workers):
            wait_for(f"{base_url}/accounts/login/", web)
        database = dj_database_url.parse(os.environ["DATABASE_URL"])["NAME"]
        before = cpu_seconds([web.pid, worker.pid], database)
        locust = subprocess.run(
            [str(BIN / "locust"), "-f", str(BASE_DIR / "bench" / "_locustfile.py"), "--headless",
             "--host", base_url, "--users", str(options.users),
             "--spawn-rate", str(options.spawn_rate), "--run-time", f"{options.seconds}s",
             "--stop-timeout", "10", "--csv", str(work / "locust"), "--only-summary",
             "--loglevel", "WARNING", "--exit-code-on-error", "0"],
            cwd=BASE_DIR, env=env, capture_output=True, text=True,
            timeout=options.seconds + 120,
        )  # fmt: skip
        (work / "locust.log").write_text(locust.stdout + locust.stderr)
        after = cpu_seconds([web.pid, worker.pid], database)
    finally:
        started.stop_all()
    stats = work / "locust_stats.csv"
    if not stats.exists():
        print(locust.stdout[-3000:], locust.stderr[-3000:])
        return 1
    failures = report(stats, options.seconds)
    if (work / "timings.json").exists():
        report_pages(work / "timings.json", options.seconds)
    requests = total_requests(stats)
    if requests:
        used = {name: after[name] - before[name] for name in after}
        print(
            "\nCPU used during the run (s): "
            + ", ".join(f"{name} {seconds:.1f}" for name, seconds in used.items())
            + f"; per request: web {1000 * used['web'] / requests:.0f} ms, PostgreSQL "
            f"{1000 * used['postgres'] / requests:.0f} ms (backends alive at the end only). "
            f"Load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores."
        )
    errors = (work / "locust_failures.csv").read_text(encoding="utf-8").strip().splitlines()
    if failures or len(errors) > 1:
        print("\nFailures:\n" + "\n".join(errors[1:]))
        return 1
    print("\nNo failures.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
