"""What every rule shares: the rule codes, their settings, and the organisations, roles and
switches of the whole tree, loaded once per scan in a fixed number of queries."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from members.models import Organisation, Role
from partyreg.notifications.delivery import Message

from .models import OrganisationReminderSetting

REFERRAL_REPORT = "referral_report"
REFERRAL_RECEIPT = "referral_receipt"
CELL_MEETINGS = "cell_meetings"
MEETING_UPCOMING = "meeting_upcoming"
COMMENT_DUE = "comment_due"
NOTICE_UNACKNOWLEDGED = "notice_unacknowledged"
ESCALATION = ":escalation"

# Names shown on the settings page, in the order the rules run.
RULE_LABELS = {
    REFERRAL_REPORT: gettext_lazy("Member not yet presented to the residence cell"),
    REFERRAL_RECEIPT: gettext_lazy("Referral not yet received or assigned by the commune"),
    CELL_MEETINGS: gettext_lazy("Residence cell behind its yearly meetings"),
    MEETING_UPCOMING: gettext_lazy("Upcoming residence meeting"),
    COMMENT_DUE: gettext_lazy("Annual comment near or past its deadline"),
    NOTICE_UNACKNOWLEDGED: gettext_lazy("Change notice not yet acknowledged"),
}
# Names listed in a digest before "and N more".
DIGEST_NAMES = 15


def config(rule: str) -> dict:
    return settings.PARTYREG["REMINDERS"][rule]


def iso_week(day: date) -> str:
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


def start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


# --- What the rules share: organisations, roles, switches, loaded once per scan -------------


@dataclass
class OrgInfo:
    kind: str
    path: str
    name: str


@dataclass
class ScanContext:
    today: date
    orgs: dict[int, OrgInfo] = field(default_factory=dict)
    # organisation id -> role kind -> user ids
    roles: dict[int, dict[str, list[int]]] = field(default_factory=dict)
    # (organisation id, rule) -> enabled
    switches: dict[tuple[int, str], bool] = field(default_factory=dict)

    @classmethod
    def load(cls, today: date) -> "ScanContext":
        ctx = cls(today=today)
        for pk, kind, path, name in Organisation.objects.values_list("id", "kind", "path", "name"):
            ctx.orgs[pk] = OrgInfo(kind, path, name)
        roles = Role.objects.filter(
            kind__in=Role.ACTING_KINDS,
            user__is_active=True,
            organisation__is_active=True,
        ).values_list("organisation_id", "kind", "user_id")
        for org_id, kind, user_id in roles.order_by("organisation_id", "kind", "user_id"):
            ctx.roles.setdefault(org_id, {}).setdefault(kind, []).append(user_id)
        ctx.switches = {
            (org_id, rule): enabled
            for org_id, rule, enabled in OrganisationReminderSetting.objects.values_list(
                "organisation_id", "rule", "enabled"
            )
        }
        return ctx

    @property
    def week(self) -> str:
        return iso_week(self.today)

    def name(self, org_id: int) -> str:
        info = self.orgs.get(org_id)
        return info.name if info else ""

    def enabled(self, rule: str, org_id: int | None) -> bool:
        """The rule's setting nearest to the organisation (itself, then its ancestors)."""
        info = self.orgs.get(org_id)
        if info is None or not self.switches:
            return True
        for ancestor in reversed([int(seg) for seg in info.path.split("/") if seg]):
            setting = self.switches.get((ancestor, rule))
            if setting is not None:
                return setting
        return True

    def _ancestors(self, org_id: int) -> list[int]:
        info = self.orgs.get(org_id)
        if info is None:
            return []
        return list(reversed([int(seg) for seg in info.path.split("/") if seg]))

    def secretaries(self, org_id: int) -> list[int]:
        """The organisation's secretaries, or its officers when it has no secretary."""
        held = self.roles.get(org_id, {})
        return held.get(Role.Kind.SECRETARY) or held.get(Role.Kind.OFFICER) or []

    def committee(self, org_id: int) -> list[int]:
        """Everyone who acts for the committee: secretaries and officers."""
        held = self.roles.get(org_id, {})
        return sorted({*held.get(Role.Kind.SECRETARY, []), *held.get(Role.Kind.OFFICER, [])})

    def workplace_secretaries(self, org_id: int) -> list[int]:
        """The secretary of the workplace cell, else of the nearest workplace body above it."""
        for ancestor in self._ancestors(org_id):
            info = self.orgs.get(ancestor, None)
            if info is None or info.kind not in Organisation.WORKPLACE_KINDS:
                continue
            users = self.secretaries(ancestor)
            if users:
                return users
        return []

    def commune_of(self, org_id: int) -> int | None:
        for ancestor in self._ancestors(org_id):
            info = self.orgs.get(ancestor)
            if info is not None and info.kind == Organisation.Kind.COMMUNE:
                return ancestor
        return None


class Digest:
    """Names gathered per organisation, turned into one message per recipient."""

    def __init__(self):
        self.names: dict[int, list[str]] = defaultdict(list)

    def add(self, org_id: int | None, name: str) -> None:
        if org_id is not None:
            self.names[org_id].append(name)

    def messages(self, *, rule, period, recipients, subject, body, url) -> list[Message]:
        out = []
        for org_id, names in self.names.items():
            listed = sorted(names)
            lines = "\n".join(f"- {n}" for n in listed[:DIGEST_NAMES])
            if len(listed) > DIGEST_NAMES:
                lines += "\n" + _("…and %(count)d more.") % {"count": len(listed) - DIGEST_NAMES}
            for user_id in recipients(org_id):
                out.append(
                    Message(
                        rule=rule,
                        target=f"org:{org_id}",
                        period=period,
                        recipient_id=user_id,
                        subject=subject(org_id, len(listed)),
                        body=f"{body(org_id, len(listed))}\n\n{lines}",
                        url=url(org_id) if callable(url) else url,
                    )
                )
        return out
