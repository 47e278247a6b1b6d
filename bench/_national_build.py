"""The national-size databases of bench/national.py: their names and state, and their building
(each in a process of its own, Django set up on the database being built): the demo province,
then more provinces by COPY."""

import os
import sys
import time

SERVER = "postgres://postgres@127.0.0.1:5432/"
# Database 12 of the local Redis: this bench's own (emptied before each size: the databases
# share organisation ids, so cached figures of one must not be read in another).
REDIS_URL = "redis://127.0.0.1:6379/12"
PROVINCE_MEMBERS = 100_000
SIZES = {"100k": 1, "1m": 10, "5m": 56}  # provinces of 100,000 members
TEMPLATE_OF = {"1m": "100k", "5m": "1m"}
NATION_CODE = "pb-nation"
NATION_NAME = "Ban Chấp hành Trung ương Đảng"
REFERRAL_SHARE = 40  # per cent of the members who can have one
REFERRAL_YEAR = 2026
# Tables whose secondary indexes are dropped while provinces are copied in.
BIG_TABLES = ("members_member", "residence_referral")


def _load() -> str:
    return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def database(size: str) -> str:
    return f"partyreg_pb_{size}"


def _server():
    import psycopg

    return psycopg.connect(SERVER + "postgres", autocommit=True)


def built(size: str) -> dict | None:
    """The marker row of a complete database of that size, or None."""
    import psycopg

    try:
        with psycopg.connect(SERVER + database(size), autocommit=True) as conn:
            row = conn.execute(
                "SELECT provinces, members, referrals, seconds, built_at FROM pb_national "
                "WHERE size = %s",
                [size],
            ).fetchone()
    except (psycopg.OperationalError, psycopg.errors.UndefinedTable):
        return None
    if row is None:
        return None
    return dict(zip(["provinces", "members", "referrals", "seconds", "built_at"], row, strict=True))


def database_size(size: str) -> str:
    with _server() as conn:
        return conn.execute(
            "SELECT pg_size_pretty(pg_database_size(%s))", [database(size)]
        ).fetchone()[0]


def _django(size: str) -> None:
    os.environ["DATABASE_URL"] = SERVER + database(size)
    os.environ["REDIS_URL"] = REDIS_URL
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partyreg.settings")
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ.setdefault("PARTYREG_LOG_LEVEL", "WARNING")
    # One connection for the whole measurement: its backend's CPU is read around each request.
    os.environ["PARTYREG_DB_CONN_MAX_AGE"] = "3600"
    import warnings

    import django

    # whitenoise, once per process: static files are not collected for an in-process client.
    warnings.filterwarnings("ignore", message="No directory at")

    django.setup()


def _create(size: str) -> None:
    """The database, copied from the next smaller size when there is one."""
    with _server() as conn:
        if conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [database(size)]
        ).fetchone():
            return
        template = TEMPLATE_OF.get(size)
        if template:
            conn.execute(f'CREATE DATABASE "{database(size)}" TEMPLATE "{database(template)}"')
            print(f"  copied {database(template)} into {database(size)}", flush=True)
        else:
            conn.execute(f'CREATE DATABASE "{database(size)}"')


def build(size: str) -> None:
    if size in TEMPLATE_OF and not built(TEMPLATE_OF[size]):
        sys.exit(f"{database(TEMPLATE_OF[size])} must be complete first.")
    started = time.perf_counter()
    _create(size)
    _django(size)
    from django.core.management import call_command
    from django.db import connection
    from members.demo import demo_loaded

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS pb_national (size text PRIMARY KEY, provinces int, "
            "members bigint, referrals bigint, seconds float, built_at timestamptz)"
        )
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS pb_national_index (name text PRIMARY KEY, definition text)"
        )
    call_command("migrate", verbosity=0)
    if not demo_loaded():
        print("  loading the province-sized demo (100,000 members)…", flush=True)
        call_command("load_demo", size="province", verbosity=0)
    nation = _nationalise()
    _base_referrals()
    _restore_indexes()
    provinces = _provinces(nation)
    if provinces < SIZES[size]:
        _copy_provinces(nation, SIZES[size] - provinces)
    _restore_indexes()
    _finish(size, time.perf_counter() - started)


def _nationalise():
    """A root above the demo province, and the login ``national`` at it."""
    from django.contrib.auth import get_user_model
    from members.demo import DEMO_PASSWORD, DEMO_TOTP_KEY, ROOT_CODE

    from members.models import Organisation, Role
    from members.services import organisation_move, organisations_bulk_create, role_grant
    from partyreg.twofactor import confirmed_device, totp_device_create

    nation = Organisation.objects.filter(code=NATION_CODE).first()
    if nation is None:
        (nation,) = organisations_bulk_create(
            nodes=[
                Organisation(
                    name=NATION_NAME,
                    code=NATION_CODE,
                    kind=Organisation.Kind.SUPERVISING,
                    place_name="Hà Nội",
                    superior_name="ĐẢNG CỘNG SẢN VIỆT NAM",
                )
            ]
        )
    province = Organisation.objects.get(code=ROOT_CODE)
    if province.parent_id != nation.pk:
        organisation_move(actor=None, organisation=province, new_parent=nation)
    User = get_user_model()
    user = User.objects.filter(username="national").first()
    if user is None:
        user = User.objects.create_user(
            "national",
            email="national@demo.partyreg.vn",
            password=DEMO_PASSWORD,
            first_name="Nguyễn Văn",
            last_name="Trung",
        )
    role_grant(actor=None, user=user, organisation=nation, kind=Role.Kind.STAFF)
    if confirmed_device(user) is None:
        totp_device_create(user=user, confirmed=True, key=DEMO_TOTP_KEY)
    return Organisation.objects.get(pk=nation.pk)


def _base_referrals() -> None:
    """Referrals of the demo province, in every state, for REFERRAL_SHARE% of those who can
    have one: to their commune, signed by the grassroots organisation above their cell."""
    from django.db import connection

    from residence.models import Referral

    if Referral.objects.exists():
        return
    started = time.perf_counter()
    # Fixed pseudo-random numbers from the member id (no random(): the same rows every build).
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH cells AS (
                SELECT parent_id AS commune_id, array_agg(id ORDER BY id) AS ids
                FROM members_organisation WHERE kind = 'residence_cell' GROUP BY parent_id
            ), chosen AS (
                SELECT m.id, m.workplace_org_id, m.residence_commune_id, m.category,
                       CASE WHEN w.kind = 'grassroots' THEN w.id ELSE w.parent_id END AS signing,
                       c.ids[1 + (m.id * 7919) %% array_length(c.ids, 1)] AS cell,
                       (m.id * 2654435761) %% 1000 AS roll,
                       ((m.id * 40503) %% 320)::int AS day
                FROM members_member m
                JOIN members_organisation w ON w.id = m.workplace_org_id
                JOIN cells c ON c.commune_id = m.residence_commune_id
                WHERE m.status IN ('active', 'disciplined')
                  AND m.category <> 'exempt_introduction'
                  AND (m.id * 104729) %% 100 < %s
            ), dated AS (
                SELECT *,
                       CASE WHEN roll < 740 THEN 'reported' WHEN roll < 840 THEN 'assigned'
                            WHEN roll < 900 THEN 'received' WHEN roll < 970 THEN 'issued'
                            ELSE 'closed' END AS state,
                       make_timestamptz(%s, 1, 5, 9, 0, 0, 'Asia/Ho_Chi_Minh')
                           + make_interval(days => day) AS issued
                FROM chosen
            )
            INSERT INTO residence_referral (
                member_id, issuing_org_id, signing_org_id, commune_id, residence_cell_id, year,
                number, exempt_activity, state, due_on, issued_at, received_at, assigned_at,
                presented_on, reported_at, closed_at, close_reason, close_note)
            SELECT id, workplace_org_id, signing, residence_commune_id,
                   CASE WHEN state IN ('assigned', 'reported') THEN cell END, %s,
                   row_number() OVER (PARTITION BY signing ORDER BY issued, id),
                   category = 'exempt_activity', state, (issued + interval '30 days')::date,
                   issued,
                   CASE WHEN state <> 'issued' THEN issued + interval '3 days' END,
                   CASE WHEN state IN ('assigned', 'reported') THEN issued + interval '6 days' END,
                   CASE WHEN state = 'reported' THEN (issued + interval '12 days')::date END,
                   CASE WHEN state = 'reported' THEN issued + interval '13 days' END,
                   CASE WHEN state = 'closed' THEN issued + interval '20 days' END,
                   CASE WHEN state = 'closed' THEN 'moved' ELSE '' END, ''
            FROM dated
            """,
            [REFERRAL_SHARE, REFERRAL_YEAR, REFERRAL_YEAR],
        )
        print(
            f"  {cursor.rowcount:,} referrals for the demo province in "
            f"{time.perf_counter() - started:.1f} s",
            flush=True,
        )


def _provinces(nation) -> int:
    return nation.children.count()


def _columns(cursor, table: str) -> list[str]:
    cursor.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
        "ORDER BY ordinal_position",
        [table],
    )
    return [name for (name,) in cursor.fetchall()]


def _drop_indexes(cursor) -> None:
    """Secondary indexes of the big tables (not those behind a constraint), kept in
    pb_national_index so an interrupted build makes them again when it starts over."""
    cursor.execute(
        """
        SELECT i.indexname, i.indexdef FROM pg_indexes i
        WHERE i.tablename = ANY(%s) AND i.schemaname = 'public'
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
        """,
        [list(BIG_TABLES)],
    )
    indexes = cursor.fetchall()
    for name, definition in indexes:
        cursor.execute(
            "INSERT INTO pb_national_index VALUES (%s, %s) ON CONFLICT DO NOTHING",
            [name, definition],
        )
    for name, _definition in indexes:
        cursor.execute(f'DROP INDEX "{name}"')


def _restore_indexes() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT name, definition FROM pb_national_index ORDER BY name")
        indexes = cursor.fetchall()
        if not indexes:
            return
        started = time.perf_counter()
        cursor.execute("SET maintenance_work_mem = '512MB'")
        for name, definition in indexes:
            cursor.execute("SELECT 1 FROM pg_indexes WHERE indexname = %s", [name])
            if not cursor.fetchone():
                cursor.execute(definition)
            cursor.execute("DELETE FROM pb_national_index WHERE name = %s", [name])
        cursor.execute("RESET maintenance_work_mem")
    print(
        f"  {len(indexes)} indexes made again in {time.perf_counter() - started:.1f} s", flush=True
    )


def _copy_provinces(nation, count: int) -> None:
    """``count`` more provinces, each a copy of the demo province, one transaction each."""
    from django.db import connection, transaction
    from members.demo import ROOT_CODE

    from members.models import path_segment

    connection.ensure_connection()
    raw = connection.connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT path FROM members_organisation WHERE code = %s", [ROOT_CODE])
        (base_path,) = cursor.fetchone()
        assert base_path.replace("/", "").isdigit()  # written into the COPY statements below
        org_columns = _columns(cursor, "members_organisation")
        member_columns = _columns(cursor, "members_member")
        referral_columns = _columns(cursor, "residence_referral")
    with raw.cursor() as cur:
        cur.execute(
            f"SELECT {', '.join(org_columns)} FROM members_organisation "
            "WHERE path LIKE %s ORDER BY path",
            [base_path + "%"],
        )
        base_orgs = cur.fetchall()
        in_base = f"SELECT id FROM members_organisation WHERE path LIKE '{base_path}%'"
        base_members = _copy_out(
            cur,
            f"SELECT {', '.join(member_columns)} FROM members_member "
            f"WHERE workplace_org_id IN ({in_base}) ORDER BY id",
        )
        base_referrals = _copy_out(
            cur,
            f"SELECT {', '.join(referral_columns)} FROM residence_referral WHERE member_id IN "
            f"(SELECT id FROM members_member WHERE workplace_org_id IN ({in_base})) ORDER BY id",
        )
        cur.execute("SELECT count(*) FROM members_organisation WHERE parent_id = %s", [nation.pk])
        done = cur.fetchone()[0]
    o = {name: i for i, name in enumerate(org_columns)}
    m = {name: i for i, name in enumerate(member_columns)}
    r = {name: i for i, name in enumerate(referral_columns)}
    print(
        f"  copying the demo province ({len(base_orgs):,} organisations, "
        f"{len(base_members):,} members, {len(base_referrals):,} referrals) {count} times",
        flush=True,
    )
    with transaction.atomic(), connection.cursor() as cursor:
        _drop_indexes(cursor)
    for n in range(count):
        started = time.perf_counter()
        number = done + n + 1  # the demo province is number 1
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role = replica")
                next_ids = {}
                for table in ("members_organisation", "members_member", "residence_referral"):
                    cursor.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {table}")
                    next_ids[table] = cursor.fetchone()[0]
            with raw.cursor() as cur:
                org_map = _copy_organisations(
                    cur, base_orgs, o, org_columns, next_ids["members_organisation"],
                    nation, number, path_segment,
                )  # fmt: skip
                member_map = _copy_lines(
                    cur, "members_member", member_columns, base_members,
                    next_ids["members_member"],
                    {m["workplace_org_id"]: org_map, m["residence_commune_id"]: org_map},
                    user_column=m["user_id"], card_column=m["card_number"], number=number,
                )  # fmt: skip
                _copy_lines(
                    cur, "residence_referral", referral_columns, base_referrals,
                    next_ids["residence_referral"],
                    {r["member_id"]: member_map, r["issuing_org_id"]: org_map,
                     r["signing_org_id"]: org_map, r["commune_id"]: org_map,
                     r["residence_cell_id"]: org_map},
                    number=number,
                )  # fmt: skip
        print(f"  province {number}: {time.perf_counter() - started:.1f} s [{_load()}]", flush=True)


def _copy_out(cur, query: str) -> list[list[str]]:
    """Rows of ``query`` as COPY's text format gives them: lists of fields (\\N for NULL)."""
    data = bytearray()
    with cur.copy(f"COPY ({query}) TO STDOUT") as copy:
        for block in copy:
            data += block
    return [line.split("\t") for line in data.decode().split("\n") if line]


def _copy_organisations(cur, base, o, columns, next_id, nation, number, path_segment) -> dict:
    """The province's organisations under new ids; returns {old id (text): new id (text)}."""
    mapping: dict[int, int] = {}
    for row in base:
        mapping[row[o["id"]]] = next_id
        next_id += 1
    nation_segment = nation.path
    with cur.copy(f"COPY members_organisation ({', '.join(columns)}) FROM STDIN") as copy:
        for row in base:
            row = list(row)
            old_id = row[o["id"]]
            segments = [int(s) for s in row[o["path"]].split("/") if s][1:]  # below the nation
            row[o["id"]] = mapping[old_id]
            row[o["path"]] = nation_segment + "".join(path_segment(mapping[s]) for s in segments)
            row[o["code"]] = f"{row[o['code']]}-p{number:02d}"
            if row[o["parent_id"]] == nation.pk:
                row[o["name"]] = f"{row[o['name']]} {number:02d}"
            else:
                row[o["parent_id"]] = mapping[row[o["parent_id"]]]
            if row[o["merged_into_id"]] is not None:
                row[o["merged_into_id"]] = mapping[row[o["merged_into_id"]]]
            copy.write_row(row)
    return {str(old): str(new) for old, new in mapping.items()}


def _copy_lines(
    cur, table, columns, base, next_id, foreign, *, number, user_column=None, card_column=None
) -> dict:
    """Text rows of ``base`` again under new ids, their foreign keys through ``foreign``
    ({column index: {old id: new id}}); returns {old id: new id}."""
    mapping = {}
    block = []
    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for fields in base:
            fields = list(fields)
            new_id = str(next_id)
            next_id += 1
            mapping[fields[0]] = new_id
            fields[0] = new_id
            for index, ids in foreign.items():
                if fields[index] != "\\N":
                    fields[index] = ids[fields[index]]
            if user_column is not None:
                fields[user_column] = "\\N"
            if card_column is not None:
                fields[card_column] = f"{number:02d}{fields[card_column]}"
            block.append("\t".join(fields))
            if len(block) >= 5000:
                copy.write(("\n".join(block) + "\n").encode())
                block = []
        if block:
            copy.write(("\n".join(block) + "\n").encode())
    return mapping


def _finish(size: str, seconds: float) -> None:
    from django.db import connection

    from members.models import Member, Organisation
    from residence.models import Referral

    started = time.perf_counter()
    with connection.cursor() as cursor:
        for table in ("members_organisation", "members_member", "residence_referral"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            )
        # The foreign keys the load did not check.
        cursor.execute(
            "SELECT (SELECT count(*) FROM members_member m LEFT JOIN members_organisation o "
            "ON o.id = m.workplace_org_id WHERE o.id IS NULL) + (SELECT count(*) FROM "
            "residence_referral r LEFT JOIN members_member m ON m.id = r.member_id "
            "WHERE m.id IS NULL) + (SELECT count(*) FROM members_organisation c LEFT JOIN "
            "members_organisation p ON p.id = c.parent_id WHERE c.parent_id IS NOT NULL "
            "AND p.id IS NULL)"
        )
        orphans = cursor.fetchone()[0]
        if orphans:
            sys.exit(f"{orphans} rows point at nothing: the build is wrong.")
    with connection.cursor() as cursor:  # autocommit: VACUUM runs outside a transaction
        for table in ("members_organisation", "members_member", "residence_referral"):
            cursor.execute(f"VACUUM (ANALYZE) {table}")
    nation = Organisation.objects.get(code=NATION_CODE)
    members, referrals = Member.objects.count(), Referral.objects.count()
    seconds += time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO pb_national VALUES (%s, %s, %s, %s, %s, now()) ON CONFLICT (size) DO "
            "UPDATE SET provinces = EXCLUDED.provinces, members = EXCLUDED.members, "
            "referrals = EXCLUDED.referrals, seconds = EXCLUDED.seconds, built_at = now()",
            [size, nation.children.count(), members, referrals, seconds],
        )
    print(
        f"  {database(size)} complete: {nation.children.count()} provinces, {members:,} members, "
        f"{referrals:,} referrals in {seconds:.0f} s [{_load()}]",
        flush=True,
    )
