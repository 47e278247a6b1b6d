"""Tasks travel through Redis to a real worker; without Redis they run in-process."""

import json
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from partyreg import celery_app
from partyreg.tasks import ping

BASE_DIR = Path(settings.BASE_DIR)


def start_worker(queues: str, log_path: Path) -> subprocess.Popen:
    log = log_path.open("wb")
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "partyreg",
            "worker",
            "--pool",
            "solo",
            "-Q",
            queues,
            "--hostname",
            f"test-{uuid.uuid4().hex[:8]}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel",
            "INFO",
        ],
        cwd=BASE_DIR,
        env={**os.environ, "REDIS_URL": os.environ["REDIS_URL"]},
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def stop_worker(worker: subprocess.Popen) -> int:
    """Warm shutdown; killed if it has not stopped in 30 seconds."""
    if worker.poll() is None:
        worker.send_signal(signal.SIGTERM)
        try:
            return worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(timeout=10)
            pytest.fail("the Celery worker did not stop within 30 s of SIGTERM")
    return worker.returncode


@pytest.fixture
def sent_for_real():
    """Settings were loaded once for the test run; make sure .delay() really publishes."""
    was_eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    yield
    celery_app.conf.task_always_eager = was_eager


@pytest.mark.redis
@pytest.mark.timeout(180)
def test_ping_travels_through_redis_to_a_worker_and_back(sent_for_real, tmp_path):
    assert celery_app.conf.broker_url.startswith("redis://")
    assert str(celery_app.conf.result_backend).startswith("redis://")
    # A queue of this run only: a stale worker on "default" cannot take the first task.
    token = uuid.uuid4().hex
    own_queue = f"test-{token}"
    log_path = tmp_path / "worker.log"
    worker = start_worker(f"default,{own_queue}", log_path)
    try:
        on_own_queue = ping.apply_async(args=[token], queue=own_queue)
        assert on_own_queue.get(timeout=60) == f"pong:{token}"

        on_default_queue = ping.delay(f"{token}-default")
        assert on_default_queue.get(timeout=60) == f"pong:{token}-default"
    finally:
        returncode = stop_worker(worker)
    log = log_path.read_text(errors="replace")
    assert returncode == 0, log
    assert f"Task partyreg.ping[{on_own_queue.id}] received" in log
    assert f"Task partyreg.ping[{on_own_queue.id}] succeeded" in log


def run_in_fresh_python(code: str, tmp_path, **env) -> object:
    """Runs ``code`` with Django set up from a clean environment; returns the JSON it prints."""
    result = subprocess.run(
        [sys.executable, "-c", "import json, django; django.setup()\n" + code],
        cwd=BASE_DIR,
        env={
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "PARTYREG_VAR_DIR": str(tmp_path / "var"),
            "DJANGO_SETTINGS_MODULE": "partyreg.settings",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_without_redis_url_tasks_run_in_process(tmp_path):
    state = run_in_fresh_python(
        "from partyreg import celery_app\n"
        "from partyreg.tasks import ping\n"
        "result = ping.delay('in-process')\n"
        "print(json.dumps({\n"
        "    'eager': celery_app.conf.task_always_eager,\n"
        "    'broker': celery_app.conf.broker_url,\n"
        "    'result_class': type(result).__name__,\n"
        "    'value': result.get(timeout=1) if result.ready() else None,\n"
        "}))\n",
        tmp_path,
    )

    assert state == {
        "eager": True,
        "broker": "memory://localhost/",
        "result_class": "EagerResult",
        "value": "pong:in-process",
    }


def test_with_redis_url_tasks_are_not_eager(tmp_path):
    state = run_in_fresh_python(
        "from partyreg import celery_app\n"
        "print(json.dumps([celery_app.conf.task_always_eager, celery_app.conf.broker_url]))\n",
        tmp_path,
        REDIS_URL="redis://redis.invalid:6379/3",
    )

    assert state == [False, "redis://redis.invalid:6379/3"]
