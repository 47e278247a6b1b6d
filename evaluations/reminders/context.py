"""What every rule shares: the rule codes, their settings, and the organisations, roles and
switches of the whole tree, loaded once per scan in a fixed number of queries."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from members.recipients import ActingRoles
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


@dataclass(kw_only=True)
class ScanContext(ActingRoles):
    """Who acts where (``members.recipients``), and the rules' switches, for one day's scan."""

    today: date
    # (organisation id, rule) -> enabled
    switches: dict[tuple[int, str], bool] = field(default_factory=dict)

    @classmethod
    def load(cls, today: date) -> "ScanContext":
        ctx = cls.everywhere(today=today)
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

    def enabled(self, rule: str, org_id: int | None) -> bool:
        """The rule's setting nearest to the organisation (itself, then its ancestors)."""
        if org_id not in self.orgs or not self.switches:
            return True
        for ancestor in self._ancestors(org_id):
            setting = self.switches.get((ancestor, rule))
            if setting is not None:
                return setting
        return True


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
