"""A Celery worker killed (SIGKILL) mid-task: the task it held goes back to the queue (acks_late,
visibility timeout) and a new worker finishes it. A print job: every sheet is in the output
exactly once. An email: it is sent once, and its notification is not created again."""

import re
import socket
import time

import pikepdf
import psycopg
import pytest

from tests.ops.conftest import django_env, manage, seed, start_worker, wait_until

pytestmark = [pytest.mark.ops, pytest.mark.timeout(240)]

SHEETS = 24
PER_FILE = 4
FILES = SHEETS // PER_FILE
# Seconds after which Redis hands an unacknowledged task to another worker (3600 in production).
VISIBILITY = 3


def job_state(url: str, job_id: int) -> dict:
    with psycopg.connect(url) as conn:
        status, done, attempts = conn.execute(
            "SELECT status, done, attempts FROM evaluations_printjob WHERE id = %s", [job_id]
        ).fetchone()
        files = conn.execute(
            "SELECT position, sheets, file FROM evaluations_printjobfile WHERE job_id = %s "
            "ORDER BY position",
            [job_id],
        ).fetchall()
    return {"status": status, "done": done, "attempts": attempts, "files": files}


def test_killed_worker_job_completes_once(ops_database, redis_server, tmp_path):
    var = tmp_path / "var"
    env = django_env(
        ops_database,
        redis_server.url(),
        var,
        PARTYREG_SHEETS_PER_PDF=PER_FILE,
        PARTYREG_CELERY_VISIBILITY_SECONDS=VISIBILITY,
        PARTYREG_LOG_LEVEL="INFO",  # the workers' "received"/"succeeded" lines
    )
    seeded = seed(env, "campaign", str(SHEETS))
    first = start_worker(env, tmp_path / "worker-1.log", queues="printing")
    second = None
    try:
        job_id = seed(env, "print", str(seeded["campaign"]), seeded["username"])["job"]
        # Killed once a file is made and while the next is being made: mid-job. "Being made"
        # is read from the worker's log (a chunk received, not yet succeeded): killed just
        # after a chunk ends and before the next arrives, the worker would hold nothing.
        at_kill = wait_until(
            lambda: job_state(ops_database, job_id)["files"] and _chunks_in_hand(first.text()),
            90,
            interval=0.05,
            what="the first file of the job, with the next chunk in the worker's hands",
        )
        first.kill()
        at_kill = job_state(ops_database, job_id)
        assert at_kill["status"] == "running" and len(at_kill["files"]) < FILES, at_kill

        time.sleep(VISIBILITY + 1)
        second = start_worker(env, tmp_path / "worker-2.log", queues="printing")
        wait_until(
            lambda: job_state(ops_database, job_id)["status"] == "done",
            120,
            interval=0.5,
            what=f"job done after the kill (worker 2 log: {tmp_path / 'worker-2.log'})",
        )
    finally:
        first.stop()
        if second is not None:
            second.stop()

    final = job_state(ops_database, job_id)
    positions = [position for position, _, _ in final["files"]]
    assert positions == list(range(FILES)), positions  # each file once, none missing
    assert sum(sheets for _, sheets, _ in final["files"]) == SHEETS
    assert final["attempts"] == 1 and final["done"] == SHEETS

    with psycopg.connect(ops_database) as conn:
        sheet_pages = conn.execute(
            "SELECT sum(pages), count(*), count(DISTINCT request_id) "
            "FROM evaluations_printedsheet WHERE request_id = ANY(%s)",
            [seeded["requests"]],
        ).fetchone()
    assert sheet_pages[1:] == (SHEETS, SHEETS)  # one kept sheet per comment, none twice
    pages = 0
    for _, _, name in final["files"]:
        with pikepdf.open(var / "media" / name) as document:
            pages += len(document.pages)
    assert pages == sheet_pages[0]

    # The chunk the first worker held was handed to the second one: same task id.
    redelivered = set(re.findall(r"print_job_chunk_task\[([0-9a-f-]+)\] received", second.text()))
    assert _chunks_in_hand(first.text()) & redelivered, (
        first.text()[-2000:],
        second.text()[-2000:],
    )


def _chunks_in_hand(log: str) -> set[str]:
    """Chunk tasks a worker's log shows received and not (yet) succeeded."""
    held = set(re.findall(r"print_job_chunk_task\[([0-9a-f-]+)\] received", log))
    finished = set(re.findall(r"print_job_chunk_task\[([0-9a-f-]+)\] succeeded", log))
    return held - finished


def test_killed_worker_email_is_sent_once(ops_database, redis_server, tmp_path):
    """Killed while talking to the mail server (claimed, not sent): the message goes out later,
    once, and the in-app notification is not created again."""
    var = tmp_path / "var"
    # A mail server that accepts the connection and never greets: the send hangs there.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()
    common = {
        "PARTYREG_CELERY_VISIBILITY_SECONDS": VISIBILITY,
        # A claim counts as abandoned at once (15 minutes in production): the redelivered task
        # may take it over without the test waiting a quarter of an hour.
        "PARTYREG_DELIVERY_CLAIM_MINUTES": 0,
        "PARTYREG_LOG_LEVEL": "INFO",
    }
    env = django_env(ops_database, redis_server.url(), var, **common)
    seeded = seed(env, "campaign", "1")
    hanging = {**env, "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(silent.getsockname()[1])}
    hanging["EMAIL_USE_TLS"] = "0"
    first = start_worker(hanging, tmp_path / "worker-1.log", queues="default")
    second = None
    try:
        manage(
            env,
            "shell",
            "-c",
            "from django.contrib.auth import get_user_model; "
            "from partyreg.notifications import delivery as notifications; "
            f"notifications.notification_send_test(user=get_user_model().objects.get("
            f"username={seeded['username']!r}))",
        )
        wait_until(
            lambda: deliveries(ops_database) and deliveries(ops_database)[0][2] is not None,
            60,
            what=f"the email claimed by worker 1 (log: {tmp_path / 'worker-1.log'})",
        )
        first.kill()
        [(delivery_id, status, claimed_at, attempts)] = deliveries(ops_database)
        assert (status, attempts) == ("pending", 1)

        # As in the print-job test: the second worker starts once the message's visibility
        # timeout has run out, so Redis hands the unacknowledged task back when it asks.
        time.sleep(VISIBILITY + 1)
        # The second worker writes mail to files (no EMAIL_HOST): var/mail.
        second = start_worker(env, tmp_path / "worker-2.log", queues="default")
        wait_until(
            lambda: deliveries(ops_database)[0][1] == "sent",
            60,
            interval=0.5,
            what=f"the email sent after the kill (log: {tmp_path / 'worker-2.log'})",
        )
        swept = manage(
            env,
            "shell",
            "-c",
            "from partyreg.notifications import delivery as notifications; "
            "print(notifications.deliveries_sweep())",
        )
        assert swept.strip().splitlines()[-1] == "0"
        time.sleep(2)
    finally:
        first.stop()
        if second is not None:
            second.stop()
        silent.close()

    assert [(d[0], d[1], d[3]) for d in deliveries(ops_database)] == [(delivery_id, "sent", 2)]
    with psycopg.connect(ops_database) as conn:
        assert conn.execute("SELECT count(*) FROM partyreg_notification").fetchone() == (1,)
    written = [
        message
        for path in sorted((var / "mail").glob("*.log"))
        for message in path.read_text(errors="replace").split("-" * 79)
        if message.strip()
    ]
    assert len(written) == 1 and f"<delivery-{delivery_id}@partyreg>" in written[0]
    # The task the first worker held was handed to the second: the same task id.
    held = set(re.findall(r"send_delivery\[([0-9a-f-]+)\] received", first.text()))
    redelivered = set(re.findall(r"send_delivery\[([0-9a-f-]+)\] received", second.text()))
    assert held & redelivered, (first.text()[-2000:], second.text()[-2000:])


def deliveries(url: str) -> list[tuple]:
    """Email deliveries: (id, status, claimed_at, attempts)."""
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT id, status, claimed_at, attempts FROM partyreg_delivery "
            "WHERE channel = 'email' ORDER BY id"
        ).fetchall()
