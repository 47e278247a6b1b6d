"""Printing tasks, all on the "printing" queue so a long print never delays mail or imports.

Each task takes primary keys and calls evaluations.printing; running one twice does nothing twice:
a sheet whose content hash is unchanged is not rendered again, a job is claimed only from
"queued", and a chunk whose file exists is skipped.
"""

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.db import InterfaceError, OperationalError

from . import jobs, sheets

logger = logging.getLogger("partyreg.evaluations.tasks")

QUEUE = "printing"
# Database hiccups are worth retrying; anything else is a fault the user should see.
PASSING_ERRORS = (OperationalError, InterfaceError)


@shared_task(
    name="evaluations.tasks.render_sheet_task",
    acks_late=True,
    autoretry_for=PASSING_ERRORS,
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=5,
    soft_time_limit=60,
    time_limit=90,
)
def render_sheet_task(request_ids: list[int] | int) -> int:
    """Render the certified requests' sheets whose content changed since they were last
    printed; how many were rendered. (A single id: a task queued before batches existed.)"""
    return sheets.sheet_render([request_ids] if isinstance(request_ids, int) else request_ids)


@shared_task(
    name="evaluations.tasks.print_job_task",
    acks_late=True,
    soft_time_limit=60,
    time_limit=90,
)
def print_job_task(job_id: int) -> int:
    """Start a queued job: one chunk task per file still missing. Returns the chunks queued."""
    chunks = jobs.print_job_claim(job_id)
    for chunk in chunks:
        print_job_chunk_task.apply_async(args=[job_id, chunk.position, chunk.size], queue=QUEUE)
    return len(chunks)


@shared_task(
    name="evaluations.tasks.print_job_chunk_task",
    bind=True,
    acks_late=True,
    max_retries=3,
    soft_time_limit=300,
    time_limit=330,
)
def print_job_chunk_task(self, job_id: int, position: int, size: int) -> bool:
    """Render the missing sheets of one file of a job and merge them into that file."""
    try:
        return jobs.print_job_chunk(job_id, position, size)
    except PASSING_ERRORS as error:
        if self.request.retries < self.max_retries:
            raise self.retry(exc=error, countdown=5 * 2**self.request.retries) from error
        logger.exception("Print job %s, file %s: database unavailable", job_id, position)
        jobs.print_job_failed(job_id, jobs.Cause.DATABASE)
    except SoftTimeLimitExceeded:
        logger.warning("Print job %s, file %s: time limit reached", job_id, position)
        jobs.print_job_failed(job_id, jobs.Cause.TIME_LIMIT)
    except jobs.SheetFailed as error:
        logger.exception("Print job %s, file %s failed", job_id, position)
        jobs.print_job_failed(job_id, jobs.Cause.SHEET, error)
    except Exception:
        logger.exception("Print job %s, file %s failed", job_id, position)
        jobs.print_job_failed(job_id, jobs.Cause.INTERNAL)
    return False


@shared_task(name="evaluations.tasks.print_jobs_requeue_task", soft_time_limit=60, time_limit=90)
def print_jobs_requeue_task() -> int:
    """Send again the print jobs whose task was lost (broker down, worker lost)."""
    return jobs.print_jobs_requeue()
