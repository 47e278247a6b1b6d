import time

from django.core.management.base import BaseCommand
from django.db import connection
from django.utils.translation import gettext as _

from members.demo import (
    DEFAULT_SEED,
    DEMO_PASSWORD,
    SIZES,
    DemoAlreadyLoaded,
    demo_loaded,
    generate,
    load,
)


class Command(BaseCommand):
    help = _(
        "Loads a demo province (organisations, members, demo logins). Run it again and "
        "nothing is added."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--size",
            choices=SIZES,
            default="bloc",
            help=_("bloc: one agencies bloc, about 2,700 members; province: about 100,000."),
        )
        parser.add_argument(
            "--seed", type=int, default=DEFAULT_SEED, help=_("Another seed, other names.")
        )

    def handle(self, *args, size, seed, **options):
        if demo_loaded():
            self.stdout.write(_("The demo data is already loaded; nothing was added."))
            return
        started = time.perf_counter()
        plan = generate(size, seed)
        try:
            result = load(plan)
        except DemoAlreadyLoaded:
            self.stdout.write(_("The demo data is already loaded; nothing was added."))
            return
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
