"""The embedded scheduler: without Redis, the web process runs Celery beat's schedule itself.

Why a thread in the web process rather than a scan on some request: the scan of a province
takes seconds, which no visitor should wait for, and a site nobody opens early in the morning
should still remind on time. The thread reads the same ``beat_schedule`` as Celery beat (one
schedule in code), wakes every minute, and runs each entry that is due in-process. Several
web processes each run one: harmless, since a reminder is a unique row and an email is
claimed before it is sent. On start every entry runs once, so a site started after 06:00
still scans that day.
"""

import logging
import threading
import time
from datetime import datetime

from django.db import close_old_connections

logger = logging.getLogger("partyreg.scheduler")

TICK_SECONDS = 60

_started = threading.Event()


class EmbeddedScheduler:
    def __init__(self, app):
        self.app = app
        self.last_run: dict[str, datetime] = {}

    def due(self, name: str, entry: dict) -> bool:
        last = self.last_run.get(name)
        if last is None:
            return True
        is_due, _next = entry["schedule"].is_due(last)
        return is_due

    def tick(self) -> list[str]:
        """Runs every entry that is due; returns their names."""
        self.app.loader.import_default_modules()
        ran = []
        for name, entry in self.app.conf.beat_schedule.items():
            if not self.due(name, entry):
                continue
            self.last_run[name] = self.app.now()
            try:
                self.app.tasks[entry["task"]].apply(throw=True)
            except Exception:
                logger.exception("Scheduled task %s failed; it runs again at its next time", name)
            finally:
                close_old_connections()
            ran.append(name)
        return ran

    def run_forever(self) -> None:
        while True:
            self.tick()
            time.sleep(TICK_SECONDS)


def start_embedded_scheduler() -> bool:
    """Starts the thread once per process, only when tasks run in-process (no Redis)."""
    from django.conf import settings

    from .celery import app

    if settings.REDIS_URL or not settings.CELERY_TASK_ALWAYS_EAGER or _started.is_set():
        return False
    _started.set()
    thread = threading.Thread(
        target=EmbeddedScheduler(app).run_forever, name="partyreg-scheduler", daemon=True
    )
    thread.start()
    logger.info("Embedded scheduler started: reminders and email run in this process")
    return True
