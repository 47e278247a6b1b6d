"""What the load test and the page bench share: gunicorn on a free loopback port, signed-in
sessions made without the login form, and the CPU time of processes read from /proc.

Not a benchmark itself (the leading underscore keeps ``python -m bench`` from running it).
"""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def loopback_only(url: str, what: str) -> None:
    import dj_database_url

    host = dj_database_url.parse(url)["HOST"] if what == "DATABASE_URL" else url.split("/")[2]
    if host.split(":")[0] not in ("127.0.0.1", "localhost", "::1", ""):
        sys.exit(f"The load test runs on loopback only; {what} points at {host}.")


def signed_in(user, count: int, *, verified: bool = False) -> list[str]:
    """Session keys of ``count`` sessions of the user, as a login through the form leaves them.

    Journeys start signed in, as people who log in once and work for an hour do: 50 logins at
    the same second would measure password hashing (PBKDF2, about a second of CPU each, on
    purpose) rather than the pages. The login itself is a journey of its own.

    ``verified``: the session has also shown a two-factor code (khoi, admin: users the policy
    makes use one), as ``partyreg.twofactor.client_mark_verified`` marks a test client.
    """
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django_otp import DEVICE_ID_SESSION_KEY

    from partyreg.twofactor import SESSION_KEY as TWO_FACTOR_KEY
    from partyreg.twofactor import confirmed_device, totp_device_create

    device = None
    if verified:
        device = confirmed_device(user) or totp_device_create(user=user, confirmed=True)
    keys = []
    for _ in range(count):
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        if device is not None:
            session[TWO_FACTOR_KEY] = "required"
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        else:
            session[TWO_FACTOR_KEY] = "optional"
        session.create()
        keys.append(session.session_key)
    return keys


class Started:
    """Child processes in their own process groups, stopped in reverse order."""

    def __init__(self, log_dir: Path):
        self.log_dir = log_dir
        self.processes: list[subprocess.Popen] = []

    def start(self, name: str, command: list[str], env: dict) -> subprocess.Popen:
        log = (self.log_dir / f"{name}.log").open("wb")
        process = subprocess.Popen(
            command, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        self.processes.append(process)
        return process

    def stop_all(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in reversed(self.processes):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


def start_gunicorn(
    started: Started, port: int, env: dict, *, workers: int = 2, threads: int = 4
) -> subprocess.Popen:
    """gunicorn as the load test runs it: gthread workers, on 127.0.0.1 only."""
    return started.start(
        "gunicorn",
        [str(BIN / "gunicorn"), "partyreg.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--threads", str(threads),
         "--worker-class", "gthread", "--timeout", "30", "--keep-alive", "10"],
        env,
    )  # fmt: skip


def wait_for(url: str, process: subprocess.Popen, seconds: float = 30) -> None:
    import urllib.request

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("gunicorn exited while starting; see its log")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer within {seconds} s")


# --- CPU time from /proc ----------------------------------------------------------------------


def process_cpu(pid: int) -> float | None:
    """User + system CPU seconds of one process so far (None once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def thread_cpu(pid: int) -> float | None:
    """CPU seconds of a single-threaded process (a PostgreSQL backend) in nanoseconds' precision
    (/proc/PID/schedstat counts the main thread only; /proc/PID/stat counts in clock ticks)."""
    try:
        with open(f"/proc/{pid}/schedstat") as f:
            return int(f.read().split()[0]) / 1e9
    except (OSError, ValueError, IndexError):
        return process_cpu(pid)


def children(pid: int) -> list[int]:
    """Direct children of a process (every thread's)."""
    found = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as f:
                found += [int(p) for p in f.read().split()]
        except OSError:
            continue
    return found


def process_tree(pid: int) -> list[int]:
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo += children(current)
    return tree


def postmaster_pid() -> int | None:
    """The local PostgreSQL server's main process: the parent of a backend of ours."""
    import psycopg

    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn:
        backend = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
    try:
        with open(f"/proc/{backend}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except OSError:
        return None  # PostgreSQL in another PID namespace: its CPU cannot be read here


def backends_of(postmaster: int, database: str) -> list[int]:
    """PostgreSQL backends connected to ``database`` ("postgres: user db host(port) state")."""
    pids = []
    for pid in children(postmaster):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                title = f.read().replace(b"\0", b" ").decode(errors="replace").split()
        except OSError:
            continue
        # With a cluster name the title reads "postgres: 15/main: user db host(port) state".
        if title[:1] == ["postgres:"] and database in title[1:5]:
            pids.append(pid)
    return pids
