"""Journeys of the load test (bench/load.py runs this file with locust; not a benchmark itself).

Each simulated user starts with a session of a demo login that needs no second factor, then walks
the pages of its role with a pause between pages; two more users log in through the form again
and again (PBKDF2 at each login). The ids it visits come from the JSON file named by
PARTYREG_LOAD_FIXTURES, written by bench/load.py from the database under test.
"""

import json
import os
import random
import re
from pathlib import Path

from locust import HttpUser, between, events, task

FIXTURES = json.loads(Path(os.environ["PARTYREG_LOAD_FIXTURES"]).read_text(encoding="utf-8"))
PASSWORD = os.environ.get("PARTYREG_LOAD_PASSWORD", "partyreg-demo")
THINK = tuple(float(s) for s in os.environ.get("PARTYREG_LOAD_THINK", "1,3").split(","))
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
# Referrals waiting for receipt, shared by the commune users of this process: each once.
TO_RECEIVE = list(FIXTURES["to_receive"])
SESSIONS = {name: list(keys) for name, keys in FIXTURES["sessions"].items()}
random.shuffle(TO_RECEIVE)
# Every response time by page, written at the end: bench/load.py computes the percentiles of
# the pages without the login, which locust's summary only gives all together.
TIMINGS: dict[str, list[float]] = {}


@events.request.add_listener
def _record(name, response_time, exception, **kwargs):
    TIMINGS.setdefault(name, []).append(response_time)


@events.quitting.add_listener
def _write(environment, **kwargs):
    path = os.environ.get("PARTYREG_LOAD_TIMINGS")
    if path:
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(TIMINGS, handle)


class Role(HttpUser):
    abstract = True
    username = ""
    wait_time = between(*THINK)

    def on_start(self):
        # Signed in already (bench/load.py made the sessions): the login is LoggingIn's work.
        self.client.cookies.set("sessionid", SESSIONS[self.username].pop())
        self.page("/", "home")  # and the CSRF cookie for the forms

    def page(self, url: str, name: str):
        with self.client.get(url, name=name, catch_response=True) as response:
            # A redirect to the login page would pass as 200: only the page itself counts.
            if response.status_code == 200 and "/accounts/login/" in response.url:
                response.failure("sent to the login page")
            return response

    def post(self, url: str, name: str):
        with self.client.post(
            url,
            {"csrfmiddlewaretoken": self.client.cookies.get("csrftoken", "")},
            headers={"Referer": self.host + url},
            name=name,
            catch_response=True,
        ) as response:
            if response.status_code != 200 or "/accounts/login/" in response.url:
                response.failure(f"HTTP {response.status_code} at {response.url}")
            return response


class WorkplaceSecretary(Role):
    """coquan: the member list, a search, a member's record."""

    username = "coquan"
    weight = 4

    @task(3)
    def member_list(self):
        self.page("/members/", "members: list")

    @task(2)
    def search(self):
        query = random.choice(["nguyen van", "tran thi", "le", "pham minh", "hoang"])
        self.page(f"/members/?q={query}", "members: search")

    @task(3)
    def member_detail(self):
        member = random.choice(FIXTURES["coquan_members"])
        self.page(f"/members/{member}/", "members: detail")

    @task(1)
    def referrals(self):
        self.page("/residence/referrals/workplace/", "referrals: workplace list")


class CommuneOfficer(Role):
    """phuong: incoming referrals, one referral, receiving one."""

    username = "phuong"
    weight = 3

    @task(3)
    def referral_list(self):
        self.page("/residence/referrals/residence/", "referrals: residence list")

    @task(3)
    def referral_detail(self):
        referral = random.choice(FIXTURES["phuong_referrals"])
        self.page(f"/residence/referral/{referral}/", "referrals: detail")

    @task(1)
    def receive(self):
        if TO_RECEIVE:
            referral = TO_RECEIVE.pop()
            self.post(f"/residence/referral/{referral}/receive/", "referrals: receive (POST)")


class ResidenceSecretary(Role):
    """chibo: meetings, the attendance marking page, the comment inbox."""

    username = "chibo"
    weight = 2

    @task(2)
    def meetings(self):
        self.page(f"/residence/meetings/cell/{FIXTURES['chibo_cell']}/", "meetings: cell list")

    @task(2)
    def marking(self):
        self.page(
            f"/residence/meetings/{FIXTURES['chibo_meeting']}/attendance/",
            "meetings: attendance marking",
        )

    @task(1)
    def inbox(self):
        self.page("/evaluations/inbox/", "comments: inbox")


class Member(Role):
    """dangvien: own record and meeting invitations."""

    username = "dangvien"
    weight = 1

    @task(1)
    def home(self):
        self.page("/", "home (own record)")

    @task(1)
    def invitations(self):
        self.page("/residence/meetings/mine/", "meetings: my invitations")


class LoggingIn(HttpUser):
    """Two users logging in through the form, one login every 5 to 10 seconds each: about one
    login for every 30 pages, the share of people who log in once and work for a while."""

    fixed_count = 2
    wait_time = between(5, 10)

    @task
    def login(self):
        self.client.cookies.clear()
        page = self.client.get("/accounts/login/", name="login page")
        with self.client.post(
            "/accounts/login/",
            {
                "username": "chibo",
                "password": PASSWORD,
                "csrfmiddlewaretoken": self.client.cookies.get("csrftoken", ""),
            },
            headers={"Referer": page.url},
            name="login (POST, then home)",
            catch_response=True,
        ) as response:
            if response.status_code != 200 or "/accounts/login/" in response.url:
                response.failure(f"HTTP {response.status_code} at {response.url}")
