"""Throwaway PostgreSQL and Redis servers for the fault tests, and the processes that use them.

Every server here is private to the test run: its own data directory under /tmp, its own free
port on 127.0.0.1, stopped at the end. The machine's shared servers are never touched, so a
test may restart or stop them at will. Django itself runs in subprocesses (gunicorn, Celery
workers, manage.py) pointed at these servers through DATABASE_URL and REDIS_URL: the data
they share must be committed, which pytest's transactional test database is not.

Missing binaries skip the tests here (``missing()``: a failure in CI).
"""

import glob
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from tests.conftest import missing

BASE_DIR = Path(__file__).resolve().parents[2]
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, timeout: float, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


def postgres_bin() -> Path | None:
    configured = os.environ.get("PARTYREG_PG_BIN")
    candidates = [configured] if configured else glob.glob("/usr/lib/postgresql/*/bin")
    found = [Path(c) for c in candidates if (Path(c) / "initdb").exists()]
    return (
        max(found, key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)
        if (found)
        else None
    )


class PostgresServer:
    """A private cluster: initdb into a temporary directory, pg_ctl to start, restart, stop."""

    def __init__(self, bin_dir: Path):
        self.bin_dir = bin_dir
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="partyreg-ops-pg-"))
        self.data = self.root / "data"
        # initdb refuses to run as root: the cluster then belongs to the postgres account.
        self.owner = "postgres" if os.geteuid() == 0 else None
        if self.owner:
            account = pwd.getpwnam(self.owner)
            os.chown(self.root, account.pw_uid, account.pw_gid)
        self._run(
            "initdb",
            "-D",
            self.data,
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--locale",
            "C.UTF-8",
        )
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write("fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n")

    def _run(self, program: str, *args, timeout: float = 60) -> None:
        command = [str(self.bin_dir / program), *map(str, args)]
        if self.owner:
            command = ["runuser", "-u", self.owner, "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=timeout)

    def _ctl(self, action: str, *extra: str) -> None:
        self._run(
            "pg_ctl", action, "-D", self.data, "-w", "-t", "30", "-l", self.root / "server.log",
            "-o", f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1", *extra,
        )  # fmt: skip

    def start(self) -> None:
        self._ctl("start")

    def ensure_started(self) -> None:
        """Start the server again if a test left it stopped."""
        status = [str(self.bin_dir / "pg_ctl"), "status", "-D", str(self.data)]
        if self.owner:
            status = ["runuser", "-u", self.owner, "--", *status]
        if subprocess.run(status, capture_output=True).returncode != 0:
            self.start()

    def restart(self) -> None:
        self._ctl("restart", "-m", "fast")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "stop", "-D", self.data, "-m", mode, "-w")

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def sql(self, statement: str, params=(), database: str = "postgres"):
        import psycopg

        with psycopg.connect(self.url(database), autocommit=True) as conn:
            cursor = conn.execute(statement, params)
            return cursor.fetchall() if cursor.description else None

    def create_database(self, name: str, template: str | None = None) -> str:
        suffix = f' TEMPLATE "{template}"' if template else ""
        self.sql(f'CREATE DATABASE "{name}"{suffix}')
        return self.url(name)


class RedisServer:
    """redis-server as a child process, without persistence: a stop loses every queued task."""

    def __init__(self):
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--daemonize", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for_port(self.port, 10, self.process)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"


@pytest.fixture(scope="session")
def pg_server():
    bin_dir = postgres_bin()
    if bin_dir is None:
        missing("needs the PostgreSQL server binaries: apt install postgresql")
    if os.geteuid() == 0 and not shutil.which("runuser"):
        missing("as root, needs runuser (util-linux) to run initdb as postgres")
    server = PostgresServer(bin_dir)
    server.start()
    yield server
    try:
        server.stop()
    finally:
        shutil.rmtree(server.root, ignore_errors=True)


@pytest.fixture
def redis_server():
    if not shutil.which("redis-server"):
        missing("needs redis-server: apt install redis-server")
    server = RedisServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def migrated_template(pg_server, tmp_path_factory):
    """A migrated database that each test copies (CREATE DATABASE … TEMPLATE): one migrate."""
    name = "partyreg_ops_template"
    url = pg_server.create_database(name)
    env = django_env(url, "", tmp_path_factory.mktemp("template-var"))
    manage(env, "migrate", "--no-input", timeout=240)
    return name


@pytest.fixture
def ops_database(pg_server, migrated_template) -> str:
    """A fresh, migrated, committed database on the throwaway server; its DATABASE_URL."""
    return pg_server.create_database(f"ops_{uuid.uuid4().hex[:12]}", template=migrated_template)


def django_env(database_url: str, redis_url: str, var_dir: Path, **extra) -> dict:
    """The environment of a Django subprocess of these tests: production-like, quiet."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_URL", "REDIS_URL", "PARTYREG_", "DJANGO_"))
    }
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="partyreg.settings",
        DJANGO_DEBUG="0",
        PARTYREG_VAR_DIR=str(var_dir),
        PARTYREG_MEDIA_ROOT=str(var_dir / "media"),
        PARTYREG_EMBEDDED_SCHEDULER="0",
        PARTYREG_LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    if redis_url:
        env["REDIS_URL"] = redis_url
    env.update({key: str(value) for key, value in extra.items()})
    return env


def manage(env: dict, *args: str, timeout: float = 120) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, f"manage.py {' '.join(args)}:\n{result.stdout}{result.stderr}"
    return result.stdout


def seed(env: dict, what: str, *args: str) -> dict:
    """Runs tests/ops/seed.py in the environment; returns the JSON it prints."""
    result = subprocess.run(
        [PYTHON, "-m", "tests.ops.seed", what, *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


class Process:
    """A long-running child (gunicorn, a Celery worker) with its log in a file."""

    def __init__(self, command: list[str], env: dict, log_path: Path):
        self.log_path = log_path
        self.log = log_path.open("ab")
        self.process = subprocess.Popen(
            command, cwd=BASE_DIR, env=env, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    @property
    def pid(self) -> int:
        return self.process.pid

    def kill(self) -> None:
        """SIGKILL to the whole process group: a worker's pool children die with it."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self, timeout: float = 20) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()

    def text(self) -> str:
        return self.log_path.read_text(errors="replace")


def start_gunicorn(env: dict, log_path: Path) -> tuple[Process, str]:
    port = free_port()
    process = Process(
        [PYTHON, "-m", "gunicorn", "partyreg.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", "1", "--threads", "4", "--timeout", "30", "--graceful-timeout", "5"],
        env,
        log_path,
    )  # fmt: skip
    try:
        wait_for_port(port, 30, process.process)
    except Exception:
        process.stop()
        raise AssertionError(process.text()) from None
    return process, f"http://127.0.0.1:{port}"


def start_worker(env: dict, log_path: Path, queues: str = "default,printing") -> Process:
    return Process(
        [PYTHON, "-m", "celery", "-A", "partyreg", "worker", "--pool", "solo", "-Q", queues,
         "--hostname", f"ops-{uuid.uuid4().hex[:8]}@%h", "--without-gossip", "--without-mingle",
         "--without-heartbeat", "--loglevel", "INFO"],
        env,
        log_path,
    )  # fmt: skip


def wait_until(predicate, timeout: float, interval: float = 0.2, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"{what} not reached within {timeout} s")


def web_login(base_url: str, username: str, password: str):
    """A requests session logged in through the login form, as a browser does."""
    import requests

    session = requests.Session()
    login_url = f"{base_url}/accounts/login/"
    # Generous: a login hashes the password (PBKDF2, about a second of CPU on a busy machine
    # several); the timeouts only guard against a hang.
    session.get(login_url, timeout=60).raise_for_status()
    response = session.post(
        login_url,
        data={
            "username": username,
            "password": password,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        headers={"Referer": login_url},
        timeout=60,
        allow_redirects=False,
    )
    assert response.status_code == 302, f"login of {username} failed: {response.status_code}"
    return session
