"""Django set up for benchmarks: PostgreSQL from DATABASE_URL, migrated, demo province loaded."""

import os
import sys

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/partyreg_bench"
# Below this many members the database holds the bloc-sized demo, too small to measure.
PROVINCE_MIN_MEMBERS = 90_000


def setup() -> None:
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partyreg.settings")
    # Measure what production runs: cached templates, no per-query debug bookkeeping.
    os.environ.setdefault("DJANGO_DEBUG", "0")
    # Figures only: no login chatter from django-axes between the rows.
    os.environ.setdefault("PARTYREG_LOG_LEVEL", "WARNING")
    _create_database(os.environ["DATABASE_URL"])

    import django

    django.setup()

    from django.core.management import call_command

    from evaluations.demo.tree import demo_loaded
    from members.models import Member

    call_command("migrate", verbosity=0)
    if not demo_loaded():
        print("Loading the province-sized demo (about 100,000 members)…", flush=True)
        call_command("load_demo", size="province")
    elif Member.objects.count() < PROVINCE_MIN_MEMBERS:
        sys.exit(
            "This database holds a smaller demo. Point DATABASE_URL at an empty database "
            "(or drop this one) so the benchmark can load --size province."
        )


def _create_database(url: str) -> None:
    import dj_database_url
    import psycopg

    config = dj_database_url.parse(url)
    if "postgresql" not in config["ENGINE"]:
        sys.exit(f"Benchmarks run on PostgreSQL; DATABASE_URL is {url!r}.")
    params = {
        "host": config["HOST"] or None,
        "port": config["PORT"] or None,
        "user": config["USER"] or None,
        "password": config["PASSWORD"] or None,
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]]
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{config["NAME"]}"')
            print(f"Created database {config['NAME']}.", flush=True)
