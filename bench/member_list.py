"""The member list page against Django's admin changelist, on the province-sized demo.

For each case: two warm-up requests, one request under CaptureQueriesContext for the query
count, then 20 timed requests; the table shows the median and the slowest.
"""

import statistics
import time

from bench import _django

WARM_UPS = 2
REPEATS = 20


def _measure(client, url: str, params: dict) -> dict:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    for _ in range(WARM_UPS):
        response = client.get(url, params)
        if response.status_code != 200:
            return {"status": response.status_code}
    # The log is a bounded deque: once full, its length stops telling how many were added.
    reset_queries()
    with CaptureQueriesContext(connection) as captured:
        client.get(url, params)
    # Read now: the captured list is a view on a log that the next request clears.
    queries = [q["sql"] for q in captured.captured_queries]
    timings = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        client.get(url, params)
        timings.append((time.perf_counter() - started) * 1000)
    return {
        "status": 200,
        "median": statistics.median(timings),
        "max": max(timings),
        "queries": len(queries),
        "sql": queries,
    }


def cases():
    from django.urls import reverse

    from members.models import Organisation

    agency = Organisation.objects.get(code="demo-b01-g01")
    cell = agency.children.order_by("code").first()
    members = reverse("members:member_list")
    admin = "/admin/members/member/"
    rows = []
    for username in ("khoi", "admin"):
        rows += [
            (username, "member list", "page 1", members, {}),
            (username, "member list", "page 50", members, {"page": 50}),
            (username, "member list", "search “nguyen van”", members, {"q": "nguyen van"}),
            (
                username,
                "member list",
                f"org {agency.name} (subtree)",
                members,
                {"organisation": agency.pk},
            ),
            (username, "member list", f"org {cell.name} of it", members, {"organisation": cell.pk}),
        ]
    rows += [
        ("admin", "admin changelist", "page 1", admin, {}),
        ("admin", "admin changelist", "page 50", admin, {"p": 50}),
        ("admin", "admin changelist", "search “nguyen van”", admin, {"q": "nguyen van"}),
        (
            "admin",
            "admin changelist",
            f"org {cell.name} of it",
            admin,
            {"workplace_org__id__exact": cell.pk},
        ),
    ]
    return rows


def run() -> None:
    _django.setup()

    from django.contrib.auth import get_user_model
    from django.test import Client

    from members.models import Member
    from partyreg.twofactor import client_mark_verified, policy_requires

    users = {u.username: u for u in get_user_model().objects.filter(username__in=["khoi", "admin"])}
    clients = {}
    for username, user in users.items():
        clients[username] = Client()
        clients[username].force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        # khoi and admin must use two-factor login: without this every row would time the
        # redirect to the code page, not the list.
        if policy_requires(user):
            client_mark_verified(clients[username], user)
    print(
        f"{Member.objects.count():,} members; {REPEATS} requests per row after {WARM_UPS} warm-ups"
    )
    header = f"{'user':<6} {'page':<17} {'case':<38} {'median ms':>9} {'max ms':>8} {'queries':>7}"
    print(header)
    print("-" * len(header))
    results = []
    for username, page, case, url, params in cases():
        result = _measure(clients[username], url, params)
        results.append((username, page, case, result))
        if result["status"] != 200:
            print(f"{username:<6} {page:<17} {case[:38]:<38} HTTP {result['status']}")
            continue
        print(
            f"{username:<6} {page:<17} {case[:38]:<38} {result['median']:>9.1f} "
            f"{result['max']:>8.1f} {result['queries']:>7}"
        )
    slow = [r for r in results if r[3]["status"] == 200 and r[3]["median"] > 200]
    if slow:
        print("\nSlower than 200 ms (median): " + "; ".join(f"{u} {p} {c}" for u, p, c, _ in slow))
