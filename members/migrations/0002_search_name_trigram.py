"""On PostgreSQL, a trigram index lets name search (LIKE '%…%') skip the full scan.

Other databases have no trigram indexes; there the search scans, which is fine at their size.
"""

from django.db import migrations

CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS member_search_name_trgm "
    "ON members_member USING gin (search_name gin_trgm_ops)",
]
DROP = ["DROP INDEX IF EXISTS member_search_name_trgm"]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in CREATE:
            schema_editor.execute(sql)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in DROP:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("members", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
