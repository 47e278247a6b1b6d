import os

from celery import Celery
from celery.schedules import crontab
from django.conf import settings
from kombu.exceptions import OperationalError as KombuOperationalError
from redis.exceptions import ConnectionError as RedisConnectionError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partyreg.settings")

# What sending a task raises when the broker cannot take it (Redis down): callers that only
# queue a head start catch these, log, and leave the work to a later sweep or view.
BROKER_ERRORS = (KombuOperationalError, RedisConnectionError)

app = Celery("partyreg")
# The CELERY_* settings, read once. Given Django's lazy settings object instead, Celery looks
# each option up through it every time it sends a task: about a third of the cost of queueing
# the tens of thousands of emails of a daily reminder scan (bench/reminders.py).
app.config_from_object(
    {name: getattr(settings, name) for name in dir(settings) if name.startswith("CELERY_")},
    namespace="CELERY",
)
# Every package with a tasks module, named once (sub-packages are not found by app name).
app.autodiscover_tasks(
    [
        "partyreg",
        "partyreg.notifications",
        "evaluations.printing",
        "evaluations.dashboard",
        "evaluations.reminders",
    ]
)

# The one schedule. Celery beat runs it with Redis; without Redis the web process runs the
# same entries in a thread (partyreg.scheduler). Times are in CELERY_TIMEZONE
# (Asia/Ho_Chi_Minh). Running an entry twice is harmless: reminders are unique rows and
# each email is claimed before it is sent.
app.conf.beat_schedule = {
    # Every morning before offices open: find every reminder due today, create the
    # notifications and queue one email task each.
    "reminders-daily-scan": {
        "task": "evaluations.reminders_scan",
        "schedule": crontab(hour=6, minute=0),
        "options": {"expires": 6 * 60 * 60},
    },
    # After the reminder scan, so the morning's reminders travel in it: the daily summary of
    # everyone who chose one email a day (their notifications of the past day). Running it
    # again the same day sends nothing twice: a summary is one row per user and day.
    "digests-daily": {
        "task": "partyreg.compose_digests",
        "schedule": crontab(hour=6, minute=30),
        "options": {"expires": 6 * 60 * 60},
    },
    # Emails and daily summaries left pending (broker down when they were queued, a worker
    # that died mid-send): queued again. Expires before the next run so a backlog does not
    # pile up sweeps.
    "deliveries-sweep": {
        "task": "partyreg.sweep_deliveries",
        "schedule": crontab(minute="*/10"),
        "options": {"expires": 9 * 60},
    },
    # Print jobs whose task was lost (broker down when started, Redis restarted empty, a
    # worker gone for good): sent again. A job is claimed once, so a second send does nothing.
    "print-jobs-requeue": {
        "task": "evaluations.tasks.print_jobs_requeue_task",
        "schedule": crontab(minute="*/5"),
        "options": {"expires": 4 * 60},
    },
    # The top supervising organisations' dashboards, too slow to count inside a page, counted
    # here once what is kept is out of date (kept figures are current for ten minutes,
    # evaluations/dashboard/cached.py), so that no page has to count them: after midnight
    # (overdue counts change with the day), after the cache was emptied (Redis restarted).
    # About a second of a worker's time per province.
    "dashboards-warm": {
        "task": "evaluations.dashboard_tasks.dashboards_warm_task",
        "schedule": crontab(minute="*/10"),
        "options": {"expires": 9 * 60},
    },
}
