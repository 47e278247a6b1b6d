from datetime import date

from django.core.management.base import BaseCommand, CommandError

from evaluations.reminders.scan import reminders_scan
from partyreg.notifications.delivery import deliveries_sweep


class Command(BaseCommand):
    help = (
        "Finds the reminders due today (or on --date), creates the notifications never created "
        "before and queues their email; then queues email left pending. Safe to run any number "
        "of times."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--date", dest="day", help="Scan as if today were this day (YYYY-MM-DD)."
        )

    def handle(self, *args, day: str | None = None, **options):
        today = None
        if day:
            try:
                today = date.fromisoformat(day)
            except ValueError as error:
                raise CommandError(f"--date must look like 2026-11-22: {error}") from error
        result = reminders_scan(today)
        swept = deliveries_sweep()
        self.stdout.write(
            f"{result.found} reminders due, {result.created} new notifications, "
            f"{result.emails} emails queued; {swept} pending emails queued again."
        )
