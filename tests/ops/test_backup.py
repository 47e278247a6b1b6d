"""manage.py backup and restore: a backup restored into an empty database holds every member,
referral and comment, field for field."""

import sqlite3
import subprocess

import psycopg
import pytest

from tests.ops.conftest import BASE_DIR, PYTHON, django_env, manage, seed

pytestmark = [pytest.mark.ops, pytest.mark.timeout(240)]

# What must survive, table by table: the rows' ids and the fields people rely on.
CHECKED = {
    "members_member": "id, full_name, card_number, date_of_birth, workplace_org_id, "
    "residence_commune_id, status, category",
    "residence_referral": "id, member_id, issuing_org_id, commune_id, residence_cell_id, year, "
    "number, state, due_on",
    "evaluations_commentrequest": "id, member_id, campaign_id, residence_cell_id, state, "
    "other_comments, verification_code, certified_at",
    "evaluations_criterionanswer": "id, request_id, criterion_id, level, comment",
}


def rows(cursor_source, table: str) -> list[tuple]:
    return cursor_source.execute(f"SELECT {CHECKED[table]} FROM {table} ORDER BY id").fetchall()


def test_postgres_backup_restores_into_an_empty_database(pg_server, ops_database, tmp_path):
    env = django_env(ops_database, "", tmp_path / "var")
    seeded = seed(env, "campaign", "12")
    dump = tmp_path / "partyreg.dump"

    output = manage(env, "backup", "--output", str(dump))
    assert str(dump) in output and dump.stat().st_size > 0
    default_name = manage(env, "backup")  # var/backups/partyreg-<stamp>.dump
    assert list((tmp_path / "var" / "backups").glob("partyreg-*.dump")), default_name

    empty_url = pg_server.create_database("restored_" + ops_database.rsplit("_", 1)[1])
    restore_env = django_env(empty_url, "", tmp_path / "var-restore")
    refused = subprocess.run(
        [PYTHON, "manage.py", "restore", str(dump)],
        cwd=BASE_DIR,
        env=restore_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode != 0 and "--yes" in refused.stderr
    with psycopg.connect(empty_url) as empty:
        assert empty.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
        ).fetchone() == (0,)

    manage(restore_env, "restore", str(dump), "--yes")

    with psycopg.connect(ops_database) as original, psycopg.connect(empty_url) as restored:
        for table in CHECKED:
            before, after = rows(original, table), rows(restored, table)
            assert before, f"the seed left {table} empty: the comparison would prove nothing"
            assert after == before, table
        requests = [r[0] for r in rows(restored, "evaluations_commentrequest")]
        assert requests == sorted(seeded["requests"])
        members = restored.execute("SELECT count(*) FROM members_member").fetchone()[0]
        assert members == 12 + 5
    # The restored database is a working site: Django sees every migration applied.
    plan = manage(restore_env, "migrate", "--plan")
    assert "No planned migration operations." in plan


def test_sqlite_backup_restores_into_an_empty_database(tmp_path, migrated_sqlite):
    source_var, source_db = migrated_sqlite
    env = django_env("", "", source_var)
    env.pop("DATABASE_URL")
    seed(env, "campaign", "3")
    backup = tmp_path / "copy.sqlite3"
    manage(env, "backup", "--output", str(backup))

    fresh_var = tmp_path / "fresh"
    restore_env = django_env("", "", fresh_var)
    restore_env.pop("DATABASE_URL")
    manage(restore_env, "restore", str(backup), "--yes")

    original = sqlite3.connect(source_db)
    restored = sqlite3.connect(fresh_var / "partyreg.sqlite3")
    try:
        for table in CHECKED:
            before, after = rows(original, table), rows(restored, table)
            assert before and after == before, table
    finally:
        original.close()
        restored.close()


@pytest.fixture
def migrated_sqlite(tmp_path):
    var = tmp_path / "embedded"
    env = django_env("", "", var)
    env.pop("DATABASE_URL")
    manage(env, "migrate", "--no-input", timeout=240)
    return var, var / "partyreg.sqlite3"
