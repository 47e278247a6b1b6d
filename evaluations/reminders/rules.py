"""The rules of issue 6: each reads what is due in a fixed number of queries and returns
``partyreg.notifications.delivery.Message`` values (see the package docstring for periods and
digests)."""

from collections import defaultdict
from datetime import date, timedelta

from django.conf import settings
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from members.models import Member, Organisation
from partyreg.notifications.delivery import Message
from residence.meetings.models import Attendance, Meeting
from residence.models import ChangeNotice, Referral

from ..models import CommentRequest
from .context import (
    CELL_MEETINGS,
    COMMENT_DUE,
    ESCALATION,
    MEETING_UPCOMING,
    NOTICE_UNACKNOWLEDGED,
    REFERRAL_RECEIPT,
    REFERRAL_REPORT,
    Digest,
    ScanContext,
    config,
    start_of,
)


def url_pattern(name: str):
    """``reverse(name, args=[pk])`` for many primary keys at the cost of one ``reverse``."""
    marker = 2_147_483_647
    prefix, _marker, suffix = reverse(name, args=[marker]).rpartition(str(marker))
    return lambda pk: f"{prefix}{int(pk)}{suffix}"


def rule_referral_report(ctx: ScanContext) -> list[Message]:
    """A member not presented to the residence cell: the member before and after the deadline,
    then, ``escalate_after_days`` past it, the workplace secretary. In charge: the workplace."""
    cfg = config(REFERRAL_REPORT)
    today = ctx.today
    rows = Referral.objects.filter(
        state__in=Referral.AWAITING_STATES,
        due_on__lte=today + timedelta(days=cfg["days_before"]),
        member__status__in=Member.LIVE_STATUSES,
    ).values_list(
        "id", "due_on", "issuing_org_id", "member__full_name", "member__user_id",
        "member__user__is_active",
    )  # fmt: skip
    messages, late = [], Digest()
    escalate_before = today - timedelta(days=cfg["escalate_after_days"])
    # Tens of thousands of members at a province: each text is translated once, not per row.
    overdue_subject = _("You have not yet presented yourself to your residence Party cell")
    due_subject = _("Present yourself to your residence Party cell by %(due)s")
    body = _(
        "Your workplace committee introduced you to the Party committee where you live. "
        "Please present yourself to the secretary of your residence cell; the deadline is "
        "%(due)s."
    )
    detail_url = url_pattern("residence:referral_detail")
    for pk, due_on, org_id, name, user_id, user_active in rows.order_by("id"):
        if not ctx.enabled(REFERRAL_REPORT, org_id):
            continue
        names = {"due": f"{due_on:%d/%m/%Y}", "org": ctx.name(org_id)}
        if user_id and user_active:
            overdue = due_on < today
            messages.append(
                Message(
                    rule=REFERRAL_REPORT,
                    target=f"referral:{pk}",
                    period=f"overdue-{ctx.week}" if overdue else f"due-{due_on.isoformat()}",
                    recipient_id=user_id,
                    subject=overdue_subject if overdue else due_subject % names,
                    body=body % names,
                    url=detail_url(pk),
                )
            )
        if due_on <= escalate_before:
            late.add(org_id, f"{name} ({names['due']})")
    messages += late.messages(
        rule=REFERRAL_REPORT + ESCALATION,
        period=ctx.week,
        recipients=ctx.workplace_secretaries,
        subject=lambda org, n: (
            ngettext(
                "%(count)d member of %(org)s has not presented themselves to the residence cell",
                "%(count)d members of %(org)s have not presented themselves to the residence cell",
                n,
            )
            % {"count": n, "org": ctx.name(org)}
        ),
        body=lambda org, n: _(
            "These members are past the deadline to present themselves to their residence "
            "cell (deadline in brackets). Remind them, or record the presentation if it "
            "happened."
        ),
        url=reverse("residence:referral_list", args=["workplace"]) + "?overdue=on",
    )
    return messages


def rule_referral_receipt(ctx: ScanContext) -> list[Message]:
    """A referral not received or not assigned to a cell ``after_days`` after issue: the
    commune committee, then after ``escalate_after_days`` the workplace secretary. In charge:
    the commune."""
    cfg = config(REFERRAL_RECEIPT)
    first = ctx.today - timedelta(days=cfg["after_days"])
    escalate = ctx.today - timedelta(days=cfg["escalate_after_days"])
    rows = Referral.objects.filter(
        state__in=[Referral.State.ISSUED, Referral.State.RECEIVED],
        issued_at__lt=start_of(first + timedelta(days=1)),
    ).values_list("issued_at", "commune_id", "issuing_org_id", "member__full_name")
    waiting, escalated = Digest(), Digest()
    for issued_at, commune_id, org_id, name in rows.order_by("id"):
        if not ctx.enabled(REFERRAL_RECEIPT, commune_id):
            continue
        issued_on = timezone.localdate(issued_at)
        label = f"{name} ({issued_on:%d/%m/%Y})"
        waiting.add(commune_id, label)
        if issued_on <= escalate:
            escalated.add(org_id, f"{label} — {ctx.name(commune_id)}")
    return waiting.messages(
        rule=REFERRAL_RECEIPT,
        period=ctx.week,
        recipients=ctx.committee,
        subject=lambda org, n: (
            ngettext(
                "%(count)d referral to %(org)s waits to be received or assigned",
                "%(count)d referrals to %(org)s wait to be received or assigned",
                n,
            )
            % {"count": n, "org": ctx.name(org)}
        ),
        body=lambda org, n: _(
            "Record the receipt of these referrals and assign each member to a residence cell "
            "(issue date in brackets)."
        ),
        url=reverse("residence:referral_list", args=["residence"]),
    ) + escalated.messages(
        rule=REFERRAL_RECEIPT + ESCALATION,
        period=ctx.week,
        recipients=ctx.workplace_secretaries,
        subject=lambda org, n: (
            ngettext(
                "%(count)d referral from %(org)s is not yet received or assigned by the commune",
                "%(count)d referrals from %(org)s are not yet received or assigned by the commune",
                n,
            )
            % {"count": n, "org": ctx.name(org)}
        ),
        body=lambda org, n: _(
            "The commune committees below have not yet received these referrals or assigned "
            "the members to a residence cell. Contact them."
        ),
        url=reverse("residence:referral_list", args=["workplace"]),
    )


def meeting_checkpoints(year: int, required: int) -> list[date]:
    """The days by which 1, 2, … of the ``required`` meetings should have been held."""
    first = date(year, 1, 1)
    length = (date(year + 1, 1, 1) - first).days
    return [
        first + timedelta(days=round(k * length / required) - 1) for k in range(1, required + 1)
    ]


def rule_cell_meetings(ctx: ScanContext) -> list[Message]:
    """A residence cell behind the yearly minimum: the year is cut into as many parts as
    meetings are required; from ``days_before`` the end of part k, a cell with fewer than k
    meetings held or planned reminds its secretary; ``escalate_after_days`` after the end,
    one with fewer than k confirmed reminds the commune committee. In charge: the cell."""
    cfg = config(CELL_MEETINGS)
    today = ctx.today
    required = settings.PARTYREG["MEETINGS_PER_YEAR"]
    checkpoints = meeting_checkpoints(today.year, required)
    due = [
        k for k, end in enumerate(checkpoints, 1) if end - timedelta(cfg["days_before"]) <= today
    ]
    if not due:
        return []
    expected = due[-1]
    end = checkpoints[expected - 1]
    overdue = [
        k
        for k, end_k in enumerate(checkpoints, 1)
        if end_k + timedelta(days=cfg["escalate_after_days"]) < today
    ]
    escalate_expected = overdue[-1] if overdue else 0
    in_year = Q(
        meetings__kind=Meeting.Kind.REGULAR,
        meetings__held_on__gte=date(today.year, 1, 1),
        meetings__held_on__lte=end,
    )
    rows = (
        Organisation.objects.filter(kind=Organisation.Kind.RESIDENCE_CELL, is_active=True)
        .annotate(
            planned=Count("meetings", filter=in_year & ~Q(meetings__state=Meeting.State.CANCELLED)),
            held=Count("meetings", filter=in_year & Q(meetings__state=Meeting.State.CONFIRMED)),
        )
        .filter(Q(planned__lt=expected) | Q(held__lt=escalate_expected))
        .values_list("id", "planned", "held")
        .order_by("id")
    )
    messages, behind = [], Digest()
    for cell_id, planned, held in rows:
        if not ctx.enabled(CELL_MEETINGS, cell_id):
            continue
        names = {
            "cell": ctx.name(cell_id),
            "held": held,
            "expected": expected,
            "end": f"{end:%d/%m/%Y}",
            "required": required,
        }
        if planned < expected:
            for user_id in ctx.secretaries(cell_id):
                messages.append(
                    Message(
                        rule=CELL_MEETINGS,
                        target=f"org:{cell_id}",
                        period=ctx.week,
                        recipient_id=user_id,
                        subject=_("%(cell)s: schedule a meeting with its working members") % names,
                        body=_(
                            "%(cell)s should have held %(expected)d of its %(required)d "
                            "meetings with working members by %(end)s; %(held)d is confirmed. "
                            "Schedule the next meeting."
                        )
                        % names,
                        url=reverse("residence:meeting_list", args=[cell_id]),
                    )
                )
        if held < escalate_expected:
            behind.add(ctx.commune_of(cell_id), f"{names['cell']} ({held}/{escalate_expected})")
    return messages + behind.messages(
        rule=CELL_MEETINGS + ESCALATION,
        period=ctx.week,
        recipients=ctx.committee,
        subject=lambda org, n: (
            ngettext(
                "%(count)d residence cell of %(org)s is behind its yearly meetings",
                "%(count)d residence cells of %(org)s are behind their yearly meetings",
                n,
            )
            % {"count": n, "org": ctx.name(org)}
        ),
        body=lambda org, n: _(
            "These cells have confirmed fewer meetings with working members than the year "
            "requires so far (confirmed / expected in brackets)."
        ),
        url=reverse("residence:meeting_index"),
    )


def rule_meeting_upcoming(ctx: ScanContext) -> list[Message]:
    """A meeting within ``days_before`` days: every invitee with a login, once per meeting
    date (a meeting moved to another day is reminded again). In charge: the cell."""
    cfg = config(MEETING_UPCOMING)
    rows = Attendance.objects.filter(
        meeting__state=Meeting.State.SCHEDULED,
        meeting__held_on__gte=ctx.today,
        meeting__held_on__lte=ctx.today + timedelta(days=cfg["days_before"]),
        member__user__isnull=False,
        member__user__is_active=True,
    ).values_list(
        "meeting_id", "meeting__held_on", "meeting__starts_at", "meeting__place",
        "meeting__residence_cell_id", "member__user_id",
    )  # fmt: skip
    messages = []
    url = reverse("residence:my_meetings")
    subject = _("Meeting of %(cell)s on %(date)s")
    body = _(
        "You are invited to the meeting of %(cell)s with its working members on %(date)s at "
        "%(time)s, at %(place)s. If you cannot come, say so on the meeting page."
    )
    for meeting_id, held_on, starts_at, place, cell_id, user_id in rows.order_by("id"):
        if not ctx.enabled(MEETING_UPCOMING, cell_id):
            continue
        names = {
            "cell": ctx.name(cell_id),
            "date": f"{held_on:%d/%m/%Y}",
            "time": f"{starts_at:%H:%M}",
            "place": place,
        }
        messages.append(
            Message(
                rule=MEETING_UPCOMING,
                target=f"meeting:{meeting_id}",
                period=held_on.isoformat(),
                recipient_id=user_id,
                subject=subject % names,
                body=body % names,
                url=url,
            )
        )
    return messages


def rule_comment_due(ctx: ScanContext) -> list[Message]:
    """An annual comment not yet submitted: the cell from ``days_before`` its deadline and
    weekly once past it; ``escalate_after_days`` past it, the commune committee and the
    workplace organisation. In charge: the cell."""
    cfg = config(COMMENT_DUE)
    today = ctx.today
    rows = CommentRequest.objects.filter(
        state=CommentRequest.State.REQUESTED,
        due_on__lte=today + timedelta(days=cfg["days_before"]),
    ).values_list(
        "due_on", "residence_cell_id", "commune_id", "workplace_org_id", "member__full_name"
    )
    escalate_before = today - timedelta(days=cfg["escalate_after_days"])
    coming: dict[date, Digest] = defaultdict(Digest)
    late, to_commune, to_workplace = Digest(), Digest(), Digest()
    for due_on, cell_id, commune_id, org_id, name in rows.order_by("id"):
        if not ctx.enabled(COMMENT_DUE, cell_id):
            continue
        label = f"{name} ({due_on:%d/%m/%Y})"
        if due_on >= today:
            coming[due_on].add(cell_id, name)
        else:
            late.add(cell_id, label)
        if due_on <= escalate_before:
            to_commune.add(commune_id, f"{label} — {ctx.name(cell_id)}")
            to_workplace.add(org_id, f"{label} — {ctx.name(cell_id)}")
    inbox = reverse("evaluations:inbox")
    messages = []
    for due_on, digest in sorted(coming.items()):
        messages += digest.messages(
            rule=COMMENT_DUE,
            period=f"due-{due_on.isoformat()}",
            recipients=ctx.secretaries,
            subject=lambda org, n, due_on=due_on: (
                ngettext(
                    "%(count)d annual comment of %(org)s is due on %(due)s",
                    "%(count)d annual comments of %(org)s are due on %(due)s",
                    n,
                )
                % {"count": n, "org": ctx.name(org), "due": f"{due_on:%d/%m/%Y}"}
            ),
            body=lambda org, n: _(
                "Hold the sitting with the residents' Front committee and submit the comments "
                "on these members before the deadline."
            ),
            url=inbox,
        )

    def escalated_subject(org, n):
        return ngettext(
            "%(count)d annual comment is overdue at %(org)s",
            "%(count)d annual comments are overdue at %(org)s",
            n,
        ) % {"count": n, "org": ctx.name(org)}

    return (
        messages
        + late.messages(
            rule=COMMENT_DUE,
            period=f"overdue-{ctx.week}",
            recipients=ctx.secretaries,
            subject=escalated_subject,
            body=lambda org, n: _(
                "The deadline for these comments has passed (deadline in brackets). Submit "
                "them as soon as the cell committee has met."
            ),
            url=inbox,
        )
        + to_commune.messages(
            rule=COMMENT_DUE + ESCALATION,
            period=ctx.week,
            recipients=ctx.committee,
            subject=escalated_subject,
            body=lambda org, n: _(
                "Residence cells of your commune have not submitted these comments, past their "
                "deadline. Ask the cells to hold their sitting."
            ),
            url=inbox,
        )
        + to_workplace.messages(
            rule=COMMENT_DUE + ESCALATION,
            period=ctx.week,
            recipients=ctx.workplace_secretaries,
            subject=escalated_subject,
            body=lambda org, n: _(
                "The residence side has not yet returned these comments on your members, past "
                "their deadline. Contact the residence cells or their commune committees."
            ),
            url=reverse("evaluations:campaign_list"),
        )
    )


def rule_notice_unacknowledged(ctx: ScanContext) -> list[Message]:
    """A change notice not acknowledged ``after_days`` after it was recorded: the residence
    cell and the commune committee, weekly. In charge: the commune."""
    cfg = config(NOTICE_UNACKNOWLEDGED)
    cutoff = ctx.today - timedelta(days=cfg["after_days"])
    rows = ChangeNotice.objects.filter(
        acknowledged_at__isnull=True, created_at__lt=start_of(cutoff + timedelta(days=1))
    ).values_list("kind", "created_at", "commune_id", "residence_cell_id", "member__full_name")
    kinds = dict(ChangeNotice.Kind.choices)
    to_commune, to_cell = Digest(), Digest()
    for kind, created_at, commune_id, cell_id, name in rows.order_by("id"):
        if not ctx.enabled(NOTICE_UNACKNOWLEDGED, commune_id or cell_id):
            continue
        label = f"{name}: {kinds.get(kind, kind)} ({timezone.localdate(created_at):%d/%m/%Y})"
        to_commune.add(commune_id, label)
        to_cell.add(cell_id, label)

    def subject(org, n):
        return ngettext(
            "%(count)d change notice to %(org)s is not yet acknowledged",
            "%(count)d change notices to %(org)s are not yet acknowledged",
            n,
        ) % {"count": n, "org": ctx.name(org)}

    body = lambda org, n: _(  # noqa: E731
        "The workplace committees told you of these changes; acknowledge each notice so they "
        "know it arrived."
    )
    url = reverse("residence:notice_list", args=["residence"]) + "?pending=1"
    common = {"period": ctx.week, "subject": subject, "body": body, "url": url}
    return to_commune.messages(
        rule=NOTICE_UNACKNOWLEDGED, recipients=ctx.committee, **common
    ) + to_cell.messages(rule=NOTICE_UNACKNOWLEDGED, recipients=ctx.secretaries, **common)


RULES = {
    REFERRAL_REPORT: rule_referral_report,
    REFERRAL_RECEIPT: rule_referral_receipt,
    CELL_MEETINGS: rule_cell_meetings,
    MEETING_UPCOMING: rule_meeting_upcoming,
    COMMENT_DUE: rule_comment_due,
    NOTICE_UNACKNOWLEDGED: rule_notice_unacknowledged,
}
