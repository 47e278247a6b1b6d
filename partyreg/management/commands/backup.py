"""Back up the configured database to one file.

PostgreSQL: ``pg_dump --format=custom`` (compressed; restored with ``manage.py restore`` or
pg_restore). SQLite, the embedded default: SQLite's online backup API, which copies a consistent
snapshot while the site keeps running. Uploaded and generated files (MEDIA_ROOT) are not part of
the database: copy them beside the dump (README, "Backup and restore").
"""

import os
import sqlite3
import subprocess
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone


def backup_directory() -> Path:
    return Path(settings.VAR_DIR) / "backups"


def pg_command(program: str) -> str:
    """``program`` from PARTYREG_PG_BIN when set (to match a server's version), else PATH."""
    directory = os.environ.get("PARTYREG_PG_BIN")
    return str(Path(directory) / program) if directory else program


def pg_connection_args(database: dict) -> tuple[list[str], dict]:
    """Command-line options and environment for a libpq client of ``database``."""
    args = []
    if database.get("HOST"):
        args += ["--host", str(database["HOST"])]
    if database.get("PORT"):
        args += ["--port", str(database["PORT"])]
    if database.get("USER"):
        args += ["--username", str(database["USER"])]
    env = {**os.environ}
    if database.get("PASSWORD"):
        env["PGPASSWORD"] = str(database["PASSWORD"])
    return args, env


def run_client(command: list[str], env: dict) -> None:
    try:
        result = subprocess.run(command, env=env, capture_output=True, text=True)
    except FileNotFoundError as error:
        raise CommandError(
            f"{command[0]} was not found. Install the PostgreSQL client (apt install "
            "postgresql-client) or set PARTYREG_PG_BIN to the directory that holds it."
        ) from error
    if result.returncode != 0:
        raise CommandError(f"{Path(command[0]).name} failed: {result.stderr.strip()}")


class Command(BaseCommand):
    help = "Back up the database to var/backups/ (or --output): pg_dump -Fc, or SQLite's backup."

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            help="File to write; default var/backups/partyreg-<date>-<time>.<dump|sqlite3>.",
        )

    def handle(self, *args, output=None, **options):
        vendor = connection.vendor
        if vendor not in ("postgresql", "sqlite"):
            raise CommandError(f"Backups of a {vendor} database are not supported.")
        suffix = "dump" if vendor == "postgresql" else "sqlite3"
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
        target = (
            Path(output) if output else backup_directory() / f"partyreg-{stamp}.{suffix}"
        ).resolve()
        if target.exists():
            raise CommandError(f"{target} exists already: choose another --output.")
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        try:
            if vendor == "postgresql":
                self._pg_dump(connection.settings_dict, partial)
            else:
                self._sqlite_backup(connection.settings_dict, partial)
            partial.rename(target)
        finally:
            partial.unlink(missing_ok=True)
        size = target.stat().st_size
        self.stdout.write(f"Backup written to {target} ({size / 1e6:.1f} MB).")

    def _pg_dump(self, database: dict, target: Path) -> None:
        args, env = pg_connection_args(database)
        run_client(
            [pg_command("pg_dump"), "--format=custom", "--no-owner", "--file", str(target),
             *args, "--dbname", str(database["NAME"])],
            env,
        )  # fmt: skip

    def _sqlite_backup(self, database: dict, target: Path) -> None:
        source = sqlite3.connect(str(database["NAME"]))
        copy = sqlite3.connect(str(target))
        try:
            with copy:
                source.backup(copy)
        finally:
            copy.close()
            source.close()
