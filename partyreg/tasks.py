"""Infrastructure tasks that know no domain (the notification tasks live in notifications/)."""

from celery import shared_task


@shared_task(name="partyreg.ping", ignore_result=False)
def ping(token: str) -> str:
    """Answers with its argument: used to prove that a task travels to a worker and back."""
    return f"pong:{token}"
