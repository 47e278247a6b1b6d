"""``manage.py load_demo``: the demo province (evaluations.demo.tree), then its workflows
(evaluations.demo.workflows).

It lives in evaluations, the top app, because it calls both: members may not import evaluations.
"""

import time

from django.core.management.base import BaseCommand
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from evaluations.demo.plan import (
    BLOC_MEMBERS,
    DEFAULT_SEED,
    DEMO_PASSWORD,
    SIZES,
    DemoAlreadyLoaded,
    generate,
)
from evaluations.demo.tree import demo_loaded, load
from evaluations.demo.workflows import WorkflowsUnavailable, load_workflows, workflows_loaded
from members.models import Member
from residence.models import Referral


class Command(BaseCommand):
    help = _(
        "Loads a demo province (organisations, members, demo logins) and, for the bloc size, "
        "referrals, meetings and a comment campaign. Run it again and nothing is added."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--size",
            choices=SIZES,
            default="bloc",
            help=_(
                "bloc: one agencies bloc, about 2,700 members, with workflow data; province: "
                "about 100,000, without (benchmarks write their own)."
            ),
        )
        parser.add_argument(
            "--seed", type=int, default=DEFAULT_SEED, help=_("Another seed, other names.")
        )
        parser.add_argument(
            "--without-workflows",
            action="store_false",
            dest="workflows",
            help=_("Organisations, members and logins only: no referrals, meetings or comments."),
        )

    def handle(self, *args, size, seed, workflows, **options):
        added = self._load_members(size, seed)
        # The province is for benchmarks, which write their own rows; so is a demo loaded
        # earlier at that size (this run's --size notwithstanding).
        bloc = size == "bloc" and Member.objects.count() <= 2 * BLOC_MEMBERS
        if workflows and bloc and not workflows_loaded():
            started = time.perf_counter()
            try:
                result = load_workflows()
            except WorkflowsUnavailable as error:
                self.stdout.write(self.style.WARNING(str(error)))
                return
            self._report(result, time.perf_counter() - started)
        elif not added:
            self.stdout.write(_("The demo data is already loaded; nothing was added."))
        elif workflows and size == "province":
            self.stdout.write(
                _("Province size: no workflow data (the benchmarks write their own).")
            )

    def _load_members(self, size: str, seed: int) -> bool:
        """Loads organisations, members and logins unless they are there; True if it did."""
        if demo_loaded():
            return False
        started = time.perf_counter()
        try:
            result = load(generate(size, seed))
        except DemoAlreadyLoaded:
            return False
        if connection.vendor == "postgresql":
            # Fresh planner statistics: right after a bulk load they still describe empty tables.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE members_organisation, members_member")
        self.stdout.write(
            self.style.SUCCESS(
                _("Loaded %(orgs)d organisations and %(members)d members in %(seconds).1f s.")
                % {
                    "orgs": result.organisations,
                    "members": result.members,
                    "seconds": time.perf_counter() - started,
                }
            )
        )
        self.stdout.write(_("Demo logins (password: %(password)s):") % {"password": DEMO_PASSWORD})
        width = max(len(username) for username, _name, _what in result.logins)
        for username, name, what in result.logins:
            self.stdout.write(f"  {username:<{width}}  {name} — {what}")
        for username in result.kept_users:
            self.stdout.write(
                self.style.WARNING(
                    _("The account “%(username)s” already existed; its password was not changed.")
                    % {"username": username}
                )
            )
        return True

    def _report(self, result, seconds: float) -> None:
        referrals, requests = result.referrals, result.requests
        states = ", ".join(
            f"{label.lower()} {referrals[value]}" for value, label in Referral.State.choices
        )
        self.stdout.write(
            self.style.SUCCESS(
                _("Loaded the workflows as of %(date)s in %(seconds).1f s:")
                % {"date": timezone.localdate().strftime("%d/%m/%Y"), "seconds": seconds}
            )
        )
        lines = [
            _("referrals: %(total)d (%(states)s; overdue %(overdue)d)")
            % {"total": referrals["total"], "states": states, "overdue": referrals["overdue"]},
            _("change notices: %(total)d (%(open)d not yet acknowledged)")
            % {"total": result.notices, "open": result.notices_open},
            _("residence meetings: %(meetings)d; non-participation reports: %(reports)d")
            % {"meetings": result.meetings, "reports": result.reports},
            _(
                "comment requests: %(total)d (to do %(requested)d, submitted %(submitted)d, "
                "certified %(certified)d, near-identical %(similar)d, graded %(graded)d)"
            )
            % {**requests, "graded": result.graded},
        ]
        for line in lines:
            self.stdout.write(f"  {line}")
