"""The home page: what the logged-in user has to do now, per role, each a count and a link.

It lives in the top app because its items come from every app. The counts take a fixed
number of queries whatever the user's reach: one aggregate per table, each item a filtered
count within the scope of the roles that act on it (secretaries and officers; supervising
staff only read, and get the dashboard and its worst rows instead).
"""

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Exists, OuterRef, Q
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.models import Member, Organisation, Role
from members.scoping import is_site_admin, scope_q, user_roles
from members.selectors import own_member
from residence.meetings.models import Meeting, NonParticipationReport
from residence.meetings.selectors import LIVE_ASSIGNED_STATES
from residence.models import ChangeNotice, Referral

from . import dashboard as dash
from .models import CommentRequest, Grade, Sitting

Side = Organisation.Side

K = Organisation.Kind
R = Referral.State
C = CommentRequest.State
WORKPLACE_KINDS = (K.SUPERVISING, K.GRASSROOTS, K.CELL)
# Supervising organisations whose staff see the worst rows of their dashboard on the home page.
WORST_ROOTS = 2


@dataclass
class Item:
    label: str
    count: int
    url: str
    icon: str = "circle"


@dataclass
class Section:
    title: str
    items: list[Item]

    @property
    def pending(self) -> list[Item]:
        return [i for i in self.items if i.count]

    @property
    def done(self) -> list[Item]:
        return [i for i in self.items if not i.count]


def _families(user) -> set[str]:
    """Which kinds of work the user's roles carry: workplace, commune, cell, supervising."""
    families = set()
    for role in user_roles(user):
        kind = role.organisation.kind
        if role.kind == Role.Kind.STAFF or kind == K.SUPERVISING:
            families.add("supervising")
        if role.kind not in Role.ACTING_KINDS:
            continue
        if kind in WORKPLACE_KINDS:
            families.add("workplace")
        elif kind == K.COMMUNE:
            families.add("commune")
        elif kind == K.RESIDENCE_CELL:
            families.add("cell")
    return families


def _acting(user, lookup: str) -> Q:
    return scope_q(user, lookup, kinds=Role.ACTING_KINDS)


def _url(name: str, *args, query: str = "") -> str:
    url = reverse(name, args=args)
    return f"{url}?{query}" if query else url


def workplace_section(user) -> Section:
    today = timezone.localdate()
    live_referral = Referral.objects.filter(member=OuterRef("pk")).exclude(state=R.CLOSED)
    awaiting = (
        Member.objects.filter(_acting(user, "workplace_org"), status__in=Member.LIVE_STATUSES)
        .exclude(category=Member.Category.EXEMPT_INTRODUCTION)
        .filter(~Exists(live_referral))
        .count()
    )
    referrals = Referral.objects.filter(_acting(user, "issuing_org")).aggregate(
        overdue=Count("id", filter=Q(state__in=Referral.AWAITING_STATES, due_on__lt=today))
    )
    notices = ChangeNotice.objects.filter(
        _acting(user, "workplace_org"), acknowledged_at__isnull=True
    ).count()
    reports = NonParticipationReport.objects.filter(
        _acting(user, "workplace_org"), acknowledged_at__isnull=True
    ).count()
    graded = Grade.objects.filter(member=OuterRef("member"), year=OuterRef("campaign__year"))
    to_grade = (
        CommentRequest.objects.filter(_acting(user, "workplace_org"), state=C.CERTIFIED)
        .filter(~Exists(graded))
        .count()
    )
    return Section(
        _("Workplace committee"),
        [
            Item(
                _("Members to introduce to their place of residence"),
                awaiting,
                _url("residence:referral_issue_many"),
                "envelope-plus",
            ),
            Item(
                _("Members overdue to present themselves"),
                referrals["overdue"],
                _url("residence:referral_list", Side.WORKPLACE, query="overdue=on"),
                "alarm",
            ),
            Item(
                _("Change notices not yet acknowledged by the residence side"),
                notices,
                _url("residence:notice_list", Side.WORKPLACE, query="pending=1"),
                "bell",
            ),
            Item(
                _("Reports of members not taking part, to act on"),
                reports,
                _url("residence:report_list", Side.WORKPLACE),
                "exclamation-triangle",
            ),
            Item(
                _("Returned comments to grade"),
                to_grade,
                _url("evaluations:campaign_list"),
                "award",
            ),
        ],
    )


def commune_section(user) -> Section:
    commune = _acting(user, "commune")
    referrals = Referral.objects.filter(commune).aggregate(
        to_receive=Count("id", filter=Q(state=R.ISSUED)),
        to_assign=Count("id", filter=Q(state=R.RECEIVED)),
    )
    notices = ChangeNotice.objects.filter(
        commune | _acting(user, "residence_cell"), acknowledged_at__isnull=True
    ).count()
    to_certify = CommentRequest.objects.filter(commune, state=C.SUBMITTED).count()
    return Section(
        _("Commune committee"),
        [
            Item(
                _("Referrals to receive"),
                referrals["to_receive"],
                _url(
                    "residence:referral_list",
                    Side.RESIDENCE,
                    query=f"state={R.ISSUED}",
                ),
                "inbox",
            ),
            Item(
                _("Members to assign to a residence cell"),
                referrals["to_assign"],
                _url(
                    "residence:referral_list",
                    Side.RESIDENCE,
                    query=f"state={R.RECEIVED}",
                ),
                "diagram-3",
            ),
            Item(
                _("Change notices to acknowledge"),
                notices,
                _url("residence:notice_list", Side.RESIDENCE, query="pending=1"),
                "bell",
            ),
            Item(_("Comments to certify"), to_certify, _url("evaluations:inbox"), "patch-check"),
        ],
    )


def cell_section(user) -> Section:
    today = timezone.localdate()
    cells = _acting(user, "residence_cell")
    to_present = Referral.objects.filter(cells, state=R.ASSIGNED).count()
    meetings = Meeting.objects.filter(cells).aggregate(
        to_record=Count("id", filter=Q(state=Meeting.State.SCHEDULED, held_on__lte=today)),
        to_confirm=Count("id", filter=Q(state=Meeting.State.RECORDED)),
    )
    requests = CommentRequest.objects.filter(cells, campaign__year=today.year).exclude(
        state=C.WITHDRAWN
    )
    to_answer = requests.filter(state__in=CommentRequest.WITH_CELL).count()
    sitting = Sitting.objects.filter(residence_cell=OuterRef("pk"), year=today.year)
    sitting_missing = (
        Organisation.objects.filter(
            _acting(user, ""),
            kind=K.RESIDENCE_CELL,
            pk__in=requests.filter(state=C.REQUESTED).values("residence_cell_id"),
        )
        .filter(~Exists(sitting))
        .count()
    )
    return Section(
        _("Residence cell"),
        [
            Item(
                _("Members to record as presented"),
                to_present,
                _url(
                    "residence:referral_list",
                    Side.RESIDENCE,
                    query=f"state={R.ASSIGNED}",
                ),
                "person-check",
            ),
            Item(
                _("Meetings held, attendance to record"),
                meetings["to_record"],
                _url("residence:meeting_index"),
                "list-check",
            ),
            Item(
                _("Attendance lists to confirm"),
                meetings["to_confirm"],
                _url("residence:meeting_index"),
                "lock",
            ),
            Item(_("Comment requests to answer"), to_answer, _url("evaluations:inbox"), "pencil"),
            Item(
                _("Cells with comments due and no sitting recorded this year"),
                sitting_missing,
                _url("evaluations:inbox"),
                "people",
            ),
        ],
    )


def member_section(user, member: Member) -> Section:
    today = timezone.localdate()
    invitations = (
        Meeting.objects.filter(
            attendances__member=member, state=Meeting.State.SCHEDULED, held_on__gte=today
        )
        .distinct()
        .count()
    )
    referral = (
        Referral.objects.filter(member=member).exclude(state=R.CLOSED).only("pk", "state").first()
    )
    items = [
        Item(
            _("Upcoming meetings you are invited to"),
            invitations,
            _url("residence:my_meetings"),
            "calendar-event",
        )
    ]
    if referral is not None and referral.state not in LIVE_ASSIGNED_STATES:
        items.append(
            Item(
                _("Your referral is on its way: present yourself once assigned"),
                1,
                _url("residence:referral_detail", referral.pk),
                "envelope",
            )
        )
    elif referral is not None and referral.state == R.ASSIGNED:
        items.append(
            Item(
                _("Present yourself to your residence cell"),
                1,
                _url("residence:referral_detail", referral.pk),
                "geo-alt",
            )
        )
    items.append(
        Item(_("Your record"), 0, _url("members:member_detail", member.pk), "person-badge")
    )
    return Section(_("Your own Party life"), items)


def supervision(user, *, worst: bool) -> list[dict]:
    """The dashboard of each highest organisation the user reaches; for supervising staff,
    with the worst rows of the first few."""
    year = dash.default_year()
    boards = []
    for i, organisation in enumerate(dash.dashboard_roots(user)):
        rows, board = [], None
        if worst and i < WORST_ROOTS and not dash.is_leaf(organisation):
            board = dash.dashboard(organisation, year)
            rows = dash.worst_of(board)
        boards.append({"organisation": organisation, "worst": rows, "board": board})
    return boards


@login_required
def home(request):
    user = request.user
    families = _families(user)
    member = own_member(user)
    sections = []
    if "workplace" in families:
        sections.append(workplace_section(user))
    if "commune" in families:
        sections.append(commune_section(user))
    if "cell" in families:
        sections.append(cell_section(user))
    if member is not None:
        sections.append(member_section(user, member))
    show_worst = "supervising" in families or is_site_admin(user)
    return render(
        request,
        "evaluations/home.html",
        {
            "sections": sections,
            "boards": supervision(user, worst=show_worst),
            "show_worst": show_worst,
            "roles": user_roles(user),
            "member": member,
        },
    )
