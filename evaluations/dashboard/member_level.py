"""The member rows: the members under a cell, or those directly at an organisation."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.models import Member, Organisation
from residence.meetings.selectors import attendance_facts
from residence.models import ChangeNotice, Referral

from ..models import CommentRequest
from .figures import band, ratio
from .queries import AWAITING, RETURNED_STATES, C, R, live_referral, working_members, year_bounds


@dataclass
class MemberRow:
    member_id: int
    name: str
    category: str
    workplace: str
    referral_state: str = ""
    referral_state_label: str = ""
    residence: str = ""
    due_on: date | None = None
    presented_on: date | None = None
    overdue: bool = False
    on_time: bool | None = None
    invited: int = 0
    present: int = 0
    comment_state: str = ""
    comment_state_label: str = ""
    near_identical: bool = False
    notices_open: int = 0

    @property
    def attendance_rate(self) -> float | None:
        return ratio(self.present, self.invited)

    @property
    def attendance_band(self) -> str:
        return band(self.attendance_rate)


MEMBER_COLUMNS = [
    ("name", _("Member")),
    ("referral", _("Referral")),
    ("presented_on", _("Presented on")),
    ("attendance", _("Attendance")),
    ("comment", _("Annual comment")),
    ("notices", _("Notices to acknowledge")),
]


def member_rows(organisation: Organisation, year: int, *, side: str, direct: bool) -> list:
    """The members under a cell (or directly at ``organisation``); five queries."""
    today = timezone.localdate()
    if side == Organisation.Side.WORKPLACE:
        members = working_members(organisation).annotate(live=live_referral(year))
        if direct:
            members = members.filter(workplace_org=organisation)
        rows = members.values_list(
            "id",
            "full_name",
            "category",
            "workplace_org__name",
            "live__state",
            "live__due_on",
            "live__presented_on",
            "live__residence_cell__name",
            "live__commune__name",
        ).order_by("search_name", "id")
    else:
        referrals = Referral.objects.filter(year__lte=year).exclude(state=R.CLOSED)
        if direct:
            referrals = referrals.filter(commune=organisation, residence_cell__isnull=True)
        else:
            # The ids themselves (a cell has one), so each branch of the OR uses its index.
            ids = list(
                Organisation.objects.filter(path__startswith=organisation.path).values_list(
                    "id", flat=True
                )
            )
            referrals = referrals.filter(
                Q(residence_cell_id__in=ids) | Q(residence_cell__isnull=True, commune_id__in=ids)
            )
        rows = referrals.values_list(
            "member_id",
            "member__full_name",
            "member__category",
            "member__workplace_org__name",
            "state",
            "due_on",
            "presented_on",
            "residence_cell__name",
            "commune__name",
        ).order_by("member__search_name", "member_id")
    states = dict(Referral.State.choices)
    categories = dict(Member.Category.choices)
    result = []
    for pk, name, category, workplace, state, due_on, presented_on, cell, commune in rows:
        result.append(
            MemberRow(
                member_id=pk,
                name=name,
                category=str(categories.get(category, category)),
                workplace=workplace,
                referral_state=state or "",
                referral_state_label=str(states.get(state, _("No referral"))),
                residence=cell or commune or "",
                due_on=due_on,
                presented_on=presented_on,
                overdue=bool(state in AWAITING and due_on and due_on < today),
                on_time=(presented_on <= due_on) if presented_on and due_on else None,
            )
        )
    ids = [r.member_id for r in result]
    facts = attendance_facts(member_ids=ids, year=year)
    comments = {
        member_id: (state, similar)
        for member_id, state, similar in CommentRequest.objects.filter(
            member_id__in=ids, campaign__year=year
        )
        .exclude(state=C.WITHDRAWN)
        .values_list("member_id", "state", "similar_to_id")
        .order_by("requested_at", "pk")
    }
    start, end = year_bounds(year)
    open_notices = dict(
        ChangeNotice.objects.filter(
            member_id__in=ids,
            acknowledged_at__isnull=True,
            created_at__gte=start,
            created_at__lt=end,
        )
        .values("member_id")
        .annotate(n=Count("id"))
        .values_list("member_id", "n")
        .order_by()
    )
    comment_labels = dict(C.choices)
    for row in result:
        fact = facts.get(row.member_id)
        row.invited, row.present = fact.invited, fact.present
        state, similar = comments.get(row.member_id, ("", None))
        row.comment_state = state
        row.comment_state_label = str(comment_labels.get(state, _("Not asked")))
        row.near_identical = similar is not None and state in RETURNED_STATES
        row.notices_open = open_notices.get(row.member_id, 0)
    return result
