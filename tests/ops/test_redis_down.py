"""Redis stopped under a running site and worker: pages keep working, a print job started
meanwhile is saved and shown as queued, the reminder scan still creates its notifications; once
Redis is back the job is printed and each reminder email is sent, once."""

import time

import psycopg
import pytest
from django.utils.html import escape
from django.utils.translation import gettext, override

from tests.ops.conftest import django_env, manage, seed, start_gunicorn, start_worker, wait_until
from tests.ops.conftest import web_login as login_as

pytestmark = [pytest.mark.ops, pytest.mark.timeout(240)]

# A publish to a stopped Redis must fail fast: the page may not wait on the broker, which would
# last until gunicorn's 30 s timeout (normally well under a second; generous for a busy machine).
ANSWER_WITHIN = 20.0


def job_row(url: str, job_id: int | None = None):
    with psycopg.connect(url) as conn:
        if job_id is None:
            return conn.execute("SELECT id, status FROM evaluations_printjob").fetchall()
        return conn.execute(
            "SELECT status, done, total FROM evaluations_printjob WHERE id = %s", [job_id]
        ).fetchone()


def email_deliveries(url: str) -> list[tuple]:
    """Every email delivery: (id, status, rule, address)."""
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT d.id, d.status, n.rule, d.address FROM partyreg_delivery d "
            "JOIN partyreg_notification n ON n.id = d.notification_id "
            "WHERE d.channel = 'email' ORDER BY d.id"
        ).fetchall()


def mails(mail_dir) -> list[str]:
    """The messages the file backend wrote (one file per connection, maybe several messages)."""
    found = []
    for path in sorted(mail_dir.glob("*.log")) if mail_dir.exists() else []:
        found += [m for m in path.read_text(errors="replace").split("-" * 79) if m.strip()]
    return found


def test_site_works_without_redis_and_print_job_resumes(ops_database, redis_server, tmp_path):
    var = tmp_path / "var"
    env = django_env(ops_database, redis_server.url(), var)
    seeded = seed(env, "campaign", "3", "due")
    due = seeded["due"]
    web, base_url = start_gunicorn(env, tmp_path / "gunicorn.log")
    worker = start_worker(env, tmp_path / "worker.log")
    try:
        browser = login_as(base_url, seeded["username"], seeded["password"])
        redis_server.stop()

        for path in ("/", "/members/", "/evaluations/print/", "/notifications/"):
            started = time.monotonic()
            response = browser.get(base_url + path, timeout=25)
            assert response.status_code == 200, (path, response.status_code)
            assert time.monotonic() - started < ANSWER_WITHIN, path

        new = f"{base_url}/evaluations/print/new/"
        started = time.monotonic()
        response = browser.post(
            new,
            data={
                "campaign": seeded["campaign"],
                "csrfmiddlewaretoken": browser.cookies["csrftoken"],
            },
            headers={"Referer": new},
            timeout=25,
        )
        assert time.monotonic() - started < ANSWER_WITHIN
        assert response.status_code == 200, response.text[:500]
        [(job_id, status)] = job_row(ops_database)
        assert status == "queued"
        assert response.url.endswith(f"/evaluations/print/{job_id}/")
        with override("vi"):
            waiting = gettext(
                "Waiting for a printing worker. You can leave this page and come back from "
                "“My print jobs”."
            )
        assert escape(waiting) in response.text or waiting in response.text

        # The daily reminder scan, run meanwhile (manage.py run_reminders, as an operator
        # would while beat cannot reach Redis): notifications are committed and shown under
        # the bell; their email waits, pending, since no task could be queued.
        manage(env, "run_reminders", "--date", "2026-11-28")
        pending = email_deliveries(ops_database)
        assert {status for _, status, _, _ in pending} == {"pending"}, pending
        assert ("comment_due", due["email"]) in {(rule, to) for _, _, rule, to in pending}
        bell = login_as(base_url, "chibo", seeded["password"])
        assert "30/11/2026" in bell.get(f"{base_url}/notifications/", timeout=25).text

        time.sleep(2)
        assert job_row(ops_database, job_id)[0] == "queued"  # nothing could carry it
        assert mails(var / "mail") == []

        redis_server.start()  # empty: whatever was queued before the stop is gone
        # The requeue sweep (Celery beat, every 5 minutes) finds the job and sends it.
        sent = manage(
            env,
            "shell",
            "-c",
            "from datetime import timedelta; from evaluations.printing import jobs; "
            "print(jobs.print_jobs_requeue(queued_for=timedelta(0)))",
        )
        assert sent.strip().splitlines()[-1] == "1"
        wait_until(
            lambda: job_row(ops_database, job_id)[0] == "done",
            90,
            interval=0.5,
            what=f"the job printed after Redis came back (log: {tmp_path / 'worker.log'})",
        )
        assert job_row(ops_database, job_id) == ("done", 3, 3)
        page = browser.get(f"{base_url}/evaluations/print/{job_id}/", timeout=25)
        assert f"/evaluations/print/{job_id}/files/0.pdf" in page.text

        # The delivery sweep (Celery beat, every 10 minutes; "now" moved past its grace
        # period) queues the pending email: the worker sends it, once.
        sweep = (
            "from datetime import timedelta; from django.utils import timezone; "
            "from partyreg.notifications import delivery as notifications; "
            "print(notifications.deliveries_sweep(timezone.now() + timedelta(minutes=5)))"
        )
        queued = manage(env, "shell", "-c", sweep).strip().splitlines()[-1]
        assert queued == str(len(pending))
        wait_until(
            lambda: {d[1] for d in email_deliveries(ops_database)} == {"sent"},
            60,
            interval=0.5,
            what=f"the reminder emails sent after Redis came back (log: {tmp_path / 'worker.log'})",
        )
        # Scan and sweep again, as beat will: nothing new, nothing sent twice.
        manage(env, "run_reminders", "--date", "2026-11-28")
        assert manage(env, "shell", "-c", sweep).strip().splitlines()[-1] == "0"
        time.sleep(2)
        assert email_deliveries(ops_database) == [
            (pk, "sent", rule, to) for pk, _, rule, to in pending
        ]
        sent = mails(var / "mail")
        assert len(sent) == len(pending)
        for pk, _, _, to in pending:
            [mail] = [m for m in sent if f"<delivery-{pk}@partyreg>" in m]
            assert f"To: {to}" in mail
    finally:
        worker.stop()
        web.stop()
