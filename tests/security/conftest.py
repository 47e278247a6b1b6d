"""The world of the URL walk (walk_world.py), built once per module that asks for it."""

import pytest
from django.db import connection, transaction
from django.test import override_settings

from .walk_world import build_shared, build_tree, site_models, snapshot


def ids_from(start: int) -> None:
    """Every table of the snapshot numbers its next rows from ``start`` on."""
    with connection.cursor() as cursor:
        for model in site_models():
            table, column = model._meta.db_table, model._meta.pk.column
            if not model._meta.pk.get_internal_type().endswith("AutoField"):
                continue
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, %s), %s, false)",
                    [table, column, start],
                )
            else:
                cursor.execute("DELETE FROM sqlite_sequence WHERE name = %s", [table])
                cursor.execute(
                    "INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, start - 1]
                )


@pytest.fixture(scope="module")
def walk(django_db_setup, django_db_blocker, tmp_path_factory):
    """Trees A and B, each with ``ids`` (the rows its building wrote) and ``media``."""
    media = tmp_path_factory.mktemp("walk-media")
    with (
        override_settings(MEDIA_ROOT=media),
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        province, admin = build_shared()
        start = snapshot()
        a = build_tree("A", province, admin)
        middle = snapshot()
        # Tree B's ids follow every id of tree A, whatever the table: a form that sends one
        # tree's ids of one kind where another kind is expected never names the other tree's
        # row by chance.
        ids_from(1 + max(pk for _model, pk in middle if isinstance(pk, int)))
        b = build_tree("B", province, admin)
        # The rows each tree's building wrote are that tree's.
        a.ids, b.ids = middle.keys() - start.keys(), snapshot().keys() - middle.keys()
        a.media = b.media = media
        yield a, b
        transaction.set_rollback(True)
