"""The daily reminder scan over the province (100,000 members) on PostgreSQL.

Runs on its own database, partyreg_bench_reminders, copied from partyreg_bench (the province
demo) on first use so the other benchmarks' data is left alone (without that database, the
province demo is loaded into it, about 100 s on a loaded machine). Each run clears what the
previous one made, then builds what is due at scale with bulk inserts:

- a login for 30% of the members (half of them with an email address), a secretary for every
  grassroots organisation and residence cell, an officer for every commune;
- a referral for 80% of the live members who can have one, in every state, due dates spread
  from 40 days ago to 20 days ahead (so a large share is overdue or close);
- a comment request for every placed member, due from 3 days ago to 5 days ahead;
- a meeting in two days for every residence cell, with its placed members invited;
- an unacknowledged change notice for 2% of the members, recorded 10 days ago.

Then it times ``reminders_scan`` (find what is due, insert the reminder rows, notifications and
deliveries in one statement, queue one email task each into Celery's in-memory broker, eager
mode off) and counts its queries: first with the due items of half the members, then of all.
The three phases are shown apart: *find* (the rules' reads), *create* (the rows), *enqueue*
(one ``apply_async`` per email: Celery's own cost, about a millisecond each, grows with the
emails and dominates at this size). Target: under 30 s; the query count must be the same at
both sizes. Figures depend on the machine's load: say what else ran when quoting them.

.venv/bin/python -m bench reminders
"""

import os
import random
import time
from datetime import timedelta
from unittest import mock

from bench import _django

DATABASE_URL = "postgres://postgres@127.0.0.1:5432/partyreg_bench_reminders"
TEMPLATE = "partyreg_bench"
TARGET_SECONDS = 30


def _clone_template() -> None:
    """Copies the province demo into this benchmark's database if it does not exist yet."""
    import dj_database_url
    import psycopg

    config = dj_database_url.parse(os.environ["DATABASE_URL"])
    with psycopg.connect(
        dbname="postgres", host=config["HOST"], port=config["PORT"], user=config["USER"],
        autocommit=True,
    ) as conn:  # fmt: skip
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]]
        ).fetchone()
        has_template = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [TEMPLATE]
        ).fetchone()
        if exists or not has_template:
            return
        try:
            conn.execute(f'CREATE DATABASE "{config["NAME"]}" TEMPLATE "{TEMPLATE}"')
            print(f"Copied {TEMPLATE} into {config['NAME']}.", flush=True)
        except psycopg.Error as error:
            # Someone is connected to the template: the demo is loaded afresh instead.
            print(f"Could not copy {TEMPLATE} ({error}); loading the demo instead.", flush=True)


def _reset() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE partyreg_delivery, partyreg_notification, partyreg_reminder, "
            "evaluations_criterionanswer, evaluations_commentrequest, "
            "residence_attendance, residence_attendancecorrection, residence_meeting, "
            "residence_changenotice, residence_nonparticipationreport CASCADE"
        )
        cursor.execute("DELETE FROM evaluations_campaign")
        cursor.execute("DELETE FROM residence_referral")
        cursor.execute("UPDATE members_member SET user_id = NULL WHERE user_id IS NOT NULL")
        cursor.execute(
            "DELETE FROM members_role WHERE user_id IN "
            "(SELECT id FROM auth_user WHERE username LIKE 'bench-%%')"
        )
        cursor.execute("DELETE FROM auth_user WHERE username LIKE 'bench-%%'")


def _users_and_roles(rng: random.Random) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection

    from members.models import Member, Organisation, Role

    User = get_user_model()
    member_ids = list(Member.objects.values_list("id", flat=True))
    chosen = rng.sample(member_ids, int(len(member_ids) * 0.3))
    User.objects.bulk_create(
        [
            User(
                username=f"bench-m{pk}",
                password="!",
                email=f"m{pk}@bench.partyreg.vn" if i % 2 == 0 else "",
            )
            for i, pk in enumerate(chosen)
        ],
        batch_size=5000,
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE members_member m SET user_id = u.id FROM auth_user u "
            "WHERE u.username = 'bench-m' || m.id"
        )
    K = Organisation.Kind
    orgs = list(
        Organisation.objects.filter(
            kind__in=[K.GRASSROOTS, K.RESIDENCE_CELL, K.COMMUNE]
        ).values_list("id", "kind")
    )
    users = User.objects.bulk_create(
        [
            User(username=f"bench-o{pk}", password="!", email=f"o{pk}@bench.partyreg.vn")
            for pk, _ in orgs
        ],
        batch_size=5000,
    )
    Role.objects.bulk_create(
        [
            Role(
                user=user,
                organisation_id=pk,
                kind=Role.Kind.OFFICER if kind == K.COMMUNE else Role.Kind.SECRETARY,
            )
            for user, (pk, kind) in zip(users, orgs, strict=True)
        ],
        batch_size=5000,
    )


def _due_items(rng: random.Random, parity: int) -> dict:
    """Referrals, requests, meetings and notices for the members whose id % 2 == parity."""
    from django.db.models import F
    from django.utils import timezone

    from evaluations.models import Campaign, CommentRequest, SheetForm
    from members.models import Member, Organisation
    from residence.meetings.models import Attendance, Meeting
    from residence.models import ChangeNotice, Referral

    today = timezone.localdate()
    now = timezone.now()
    K = Organisation.Kind
    org_rows = Organisation.objects.values_list("id", "kind", "path", "parent_id")
    kind_of = {pk: kind for pk, kind, _, _ in org_rows}
    path_of = {pk: path for pk, _, path, _ in org_rows}
    cells_of: dict[int, list[int]] = {}
    for pk, kind, _, parent in org_rows:
        if kind == K.RESIDENCE_CELL:
            cells_of.setdefault(parent, []).append(pk)

    def grassroots(org_id: int) -> int:
        ids = [int(s) for s in path_of[org_id].split("/") if s]
        return next((i for i in reversed(ids) if kind_of[i] == K.GRASSROOTS), org_id)

    members = (
        Member.objects.annotate(parity=F("id") % 2)
        .filter(
            parity=parity,
            status__in=Member.LIVE_STATUSES,
            residence_commune__isnull=False,
        )
        .exclude(category=Member.Category.EXEMPT_INTRODUCTION)
        .values_list("id", "workplace_org_id", "residence_commune_id")
    )
    S = Referral.State
    referrals = []
    for member_id, org_id, commune_id in members:
        if rng.random() > 0.8:
            continue
        state = rng.choice([S.ISSUED, S.RECEIVED, S.ASSIGNED, S.ASSIGNED, S.REPORTED])
        cells = cells_of.get(commune_id)
        if state in (S.ASSIGNED, S.REPORTED) and not cells:
            state = S.RECEIVED
        issued = now - timedelta(days=rng.randint(10, 70))
        referrals.append(
            Referral(
                member_id=member_id,
                issuing_org_id=org_id,
                signing_org_id=grassroots(org_id),
                commune_id=commune_id,
                residence_cell_id=rng.choice(cells) if state in (S.ASSIGNED, S.REPORTED) else None,
                year=today.year,
                number=member_id,
                state=state,
                due_on=today + timedelta(days=rng.randint(-40, 20)),
                issued_at=issued,
                presented_on=today if state == S.REPORTED else None,
            )
        )
    Referral.objects.bulk_create(referrals, batch_size=5000)
    placed = [r for r in referrals if r.state in (S.ASSIGNED, S.REPORTED)]

    campaigns = {}
    for org_id in sorted({grassroots(r.issuing_org_id) for r in placed}):
        campaigns[org_id] = Campaign(
            organisation_id=org_id,
            year=today.year,
            title=f"bench {org_id} {parity}",
            due_on=today,
        )
    existing = {
        c.organisation_id: c for c in Campaign.objects.filter(organisation_id__in=list(campaigns))
    }
    Campaign.objects.bulk_create([c for k, c in campaigns.items() if k not in existing])
    campaigns.update(existing)
    requests = CommentRequest.objects.bulk_create(
        [
            CommentRequest(
                campaign=campaigns[grassroots(r.issuing_org_id)],
                member_id=r.member_id,
                referral=r,
                workplace_org_id=r.issuing_org_id,
                residence_cell_id=r.residence_cell_id,
                commune_id=r.commune_id,
                form=SheetForm.NORMAL,
                due_on=today + timedelta(days=rng.randint(-3, 5)),
            )
            for r in placed
        ],
        batch_size=5000,
    )

    by_cell: dict[int, list[Referral]] = {}
    for r in placed:
        by_cell.setdefault(r.residence_cell_id, []).append(r)
    meetings = Meeting.objects.bulk_create(
        [
            Meeting(
                residence_cell_id=cell_id,
                held_on=today + timedelta(days=2),
                starts_at="19:30",
                place="Nhà văn hóa",
                agenda=f"bench {parity}",
            )
            for cell_id in by_cell
        ]
    )
    attendances = Attendance.objects.bulk_create(
        [
            Attendance(meeting=meeting, member_id=r.member_id, referral=r)
            for meeting in meetings
            for r in by_cell[meeting.residence_cell_id]
        ],
        batch_size=5000,
    )
    notices = ChangeNotice.objects.bulk_create(
        [
            ChangeNotice(
                member_id=r.member_id,
                kind=ChangeNotice.Kind.DISCIPLINED,
                effective_on=today - timedelta(days=12),
                workplace_org_id=r.issuing_org_id,
                commune_id=r.commune_id,
                residence_cell_id=r.residence_cell_id,
                created_at=now - timedelta(days=10),
            )
            for r in referrals
            if rng.random() < 0.025
        ],
        batch_size=5000,
    )
    return {
        "referrals": len(referrals),
        "requests": len(requests),
        "meetings": len(meetings),
        "invitations": len(attendances),
        "notices": len(notices),
    }


def _analyze() -> None:
    """Statistics as autovacuum would have them after a day's writes."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _scan() -> dict:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from evaluations.reminders import scan as reminders
    from partyreg.models import Delivery, Notification, Reminder
    from partyreg.notifications import delivery as notifications
    from partyreg.notifications.tasks import send_delivery_task

    # Every run starts from nothing sent, so both sizes find and create everything due.
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE partyreg_delivery, partyreg_notification, partyreg_reminder")
    queued = []
    original = send_delivery_task.apply_async

    def counting(*args, **kwargs):
        queued.append(1)
        return original(*args, **kwargs)

    # The phases, timed where the scan calls them: finding what is due, then queueing.
    phases = {"find": 0.0, "enqueue": 0.0}

    def timed(name, function):
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                phases[name] += time.perf_counter() - started

        return wrapper

    send_delivery_task.apply_async = counting
    reset_queries()
    with (
        mock.patch.object(reminders, "reminders_due", timed("find", reminders.reminders_due)),
        mock.patch.object(
            notifications, "enqueue_deliveries", timed("enqueue", notifications.enqueue_deliveries)
        ),
    ):
        try:
            started = time.perf_counter()
            with CaptureQueriesContext(connection) as captured:
                result = reminders.reminders_scan(timezone.localdate())
            seconds = time.perf_counter() - started
        finally:
            del send_delivery_task.apply_async
    return {
        "find": phases["find"],
        "enqueue": phases["enqueue"],
        "create": seconds - phases["find"] - phases["enqueue"],
        "seconds": seconds,
        "queries": len(captured),
        "found": result.found,
        "created": result.created,
        "emails": result.emails,
        "queued": len(queued),
        "by_rule": result.by_rule,
        "rows": (Reminder.objects.count(), Notification.objects.count(), Delivery.objects.count()),
    }


def _print(label: str, data: dict, figures: dict) -> None:
    print(
        f"{label:<14} {data['referrals']:>9,} {data['requests']:>9,} {figures['created']:>9,} "
        f"{figures['queued']:>8,} {figures['find']:>6.1f} {figures['create']:>6.1f} "
        f"{figures['enqueue']:>7.1f} {figures['seconds']:>7.1f} {figures['queries']:>7}"
    )


def run() -> None:
    os.environ.setdefault("DATABASE_URL", DATABASE_URL)
    os.environ.pop("REDIS_URL", None)
    _clone_template()
    _django.setup()

    from partyreg import celery_app

    # Tasks queued for real, into Celery's in-memory broker: the cost of queueing is measured,
    # the sending is not (that is the workers' job).
    celery_app.conf.task_always_eager = False
    celery_app.conf.broker_url = "memory://localhost/"

    from django.urls import reverse

    from members.models import Member

    # A worker that has run the scan before has its URLs loaded; the first ``reverse`` of a
    # fresh process imports every view (seconds), which is not the scan's cost.
    reverse("home")

    rng = random.Random(213)
    started = time.perf_counter()
    _reset()
    _users_and_roles(rng)
    half = _due_items(rng, 0)
    _analyze()
    print(f"{Member.objects.count():,} members; built in {time.perf_counter() - started:.0f} s")
    small = _scan()
    rest = _due_items(rng, 1)
    _analyze()
    full = {k: half[k] + rest[k] for k in half}
    large = _scan()
    header = (
        f"{'due items of':<14} {'referrals':>9} {'requests':>9} {'messages':>9} {'emails':>8} "
        f"{'find':>6} {'create':>6} {'enqueue':>7} {'total s':>7} {'queries':>7}"
    )
    print(header)
    print("-" * len(header))
    _print("half", half, small)
    _print("all members", full, large)
    print(
        "messages by rule (all):",
        ", ".join(f"{k} {v:,}" for k, v in sorted(large["by_rule"].items())),
    )
    verdict = "met" if large["seconds"] < TARGET_SECONDS else "MISSED"
    same = "the same" if large["queries"] == small["queries"] else "NOT the same"
    print(
        f"Target under {TARGET_SECONDS} s: {verdict}. Queries at both sizes: {same} "
        f"({small['queries']} and {large['queries']})."
    )
