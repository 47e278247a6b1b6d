"""Compiles every locale/**/LC_MESSAGES/*.po to .mo with polib, so no gettext tools are needed.

The .mo files are not in git; ``make run``, ``make test`` and the Docker build run this.
"""

from pathlib import Path

import polib
from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


def locale_directories() -> list[Path]:
    """LOCALE_PATHS and the locale/ of the project's own apps; never installed packages, whose
    catalogues ship compiled."""
    base = Path(settings.BASE_DIR).resolve()
    directories = [Path(p) for p in settings.LOCALE_PATHS]
    directories += [
        Path(app.path) / "locale"
        for app in apps.get_app_configs()
        if Path(app.path).resolve().is_relative_to(base) and ".venv" not in Path(app.path).parts
    ]
    return [d for d in dict.fromkeys(directories) if d.is_dir()]


def compile_catalogue(po_path: Path) -> Path:
    mo_path = po_path.with_suffix(".mo")
    try:
        catalogue = polib.pofile(str(po_path))
    except (OSError, ValueError) as error:
        raise CommandError(
            f"{po_path}: {error}. Fix the file and run this command again."
        ) from error
    catalogue.save_as_mofile(str(mo_path))
    return mo_path


class Command(BaseCommand):
    help = "Compile the .po translation catalogues to .mo files (uses polib, not msgfmt)."
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--locale-dir",
            action="append",
            type=Path,
            dest="locale_dirs",
            help="Compile this directory instead of LOCALE_PATHS and the apps' locale/ "
            "(repeatable).",
        )

    def handle(self, *args, locale_dirs=None, **options):
        directories = locale_dirs or locale_directories()
        compiled = []
        for directory in directories:
            if not directory.is_dir():
                raise CommandError(f"{directory} is not a directory.")
            for po_path in sorted(directory.glob("*/LC_MESSAGES/*.po")):
                compiled.append(compile_catalogue(po_path))
                if options["verbosity"] >= 2:
                    self.stdout.write(f"{po_path} -> {compiled[-1].name}")
        self.stdout.write(f"Compiled {len(compiled)} translation catalogue(s).")
