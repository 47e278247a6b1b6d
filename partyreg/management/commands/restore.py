"""Restore a backup made by ``manage.py backup`` into the configured database.

It replaces what the database holds, so it asks for ``--yes``. Stop the web processes, workers
and beat first (README, "Backup and restore"): a restore under their feet mixes old and new.
"""

import sqlite3
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from .backup import pg_command, pg_connection_args, run_client


class Command(BaseCommand):
    help = "Restore a backup file (from manage.py backup) into the configured database."

    def add_arguments(self, parser):
        parser.add_argument("file", help="the .dump (PostgreSQL) or .sqlite3 file to restore")
        parser.add_argument(
            "--yes",
            action="store_true",
            help="confirm that the database's present contents may be replaced",
        )

    def handle(self, *args, file, yes=False, **options):
        source = Path(file)
        if not source.is_file():
            raise CommandError(f"{source} is not a file: give the path of a backup.")
        database = connection.settings_dict
        if not yes:
            raise CommandError(
                f"This replaces everything in the database {database['NAME']} with {source}. "
                "Stop the site and the workers, then run again with --yes."
            )
        connection.close()
        if connection.vendor == "postgresql":
            args, env = pg_connection_args(database)
            run_client(
                [pg_command("pg_restore"), "--clean", "--if-exists", "--no-owner",
                 "--single-transaction", "--exit-on-error", *args,
                 "--dbname", str(database["NAME"]), str(source)],
                env,
            )  # fmt: skip
        elif connection.vendor == "sqlite":
            self._sqlite_restore(source, Path(database["NAME"]))
        else:
            raise CommandError(f"Restoring a {connection.vendor} database is not supported.")
        self.stdout.write(f"Restored {source} into {database['NAME']}.")

    def _sqlite_restore(self, source: Path, target: Path) -> None:
        with source.open("rb") as header:
            if header.read(16) != b"SQLite format 3\x00":
                raise CommandError(f"{source} is not an SQLite backup (wrong database type?).")
        backup = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        live = sqlite3.connect(str(target))
        try:
            with live:
                backup.backup(live)
        finally:
            live.close()
            backup.close()
