"""A small province whose every Regulation 213 figure is known, for the dashboard tests.

Built on the ``world`` fixture (tests/conftest.py) with rows written directly, so each state,
date and mark is exactly the one the expected figures below were counted from. Today is
TODAY; the year shown is 2026.

Workplace (bloc):
  agency ─ cell:  An (presented on time, cell 5), Bình (presented late, cell 7), Cường
                  (assigned to cell 5, overdue), Dung (received, no cell), Em (no referral),
                  Hà (referral withdrawn), Phúc (exempt from introduction), Giang (expelled)
  agency (direct): Minh (presented on time, cell 9 of the other commune)
  agency2 ─ cell2: Hùng (issued, overdue), Khoa (presented on time, cell 7)
Residence: commune ─ residence_cell (cell 5), residence_cell2 (cell 7);
           other_commune ─ other_residence_cell (cell 9).
"""

import datetime
from dataclasses import dataclass

from django.utils import timezone

from evaluations.models import CommentRequest
from members.models import Member, Organisation
from residence.meetings.models import Attendance, Meeting
from residence.models import ChangeNotice, Referral
from tests.evaluations.factories import (
    CampaignFactory,
    CommentRequestFactory,
    ReferralFactory,
    SittingFactory,
)
from tests.members.factories import MemberFactory, OrganisationFactory

TODAY = datetime.datetime(2026, 6, 15, 10, 0, tzinfo=datetime.UTC)
YEAR = 2026
K = Organisation.Kind
S = Referral.State
A = Attendance.Status
C = CommentRequest.State


def d(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


def at(text: str) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.fromisoformat(text))


@dataclass
class Province:
    world: object
    members: dict
    requests: dict


def referral(member, state, *, commune, cell=None, due="2026-02-01", presented=None, **kw):
    return ReferralFactory(
        member=member,
        issuing_org=member.workplace_org,
        commune=commune,
        residence_cell=cell,
        state=state,
        due_on=d(due),
        presented_on=d(presented) if presented else None,
        close_reason="withdrawn" if state == S.CLOSED else "",
        **kw,
    )


def meeting(cell, held_on, marks, *, state=Meeting.State.CONFIRMED, kind=Meeting.Kind.REGULAR):
    row = Meeting.objects.create(
        residence_cell=cell,
        held_on=d(held_on),
        starts_at=datetime.time(19, 30),
        place="Nhà văn hóa",
        agenda="Sinh hoạt định kỳ",
        kind=kind,
        state=state,
        confirmed_at=timezone.now() if state == Meeting.State.CONFIRMED else None,
    )
    for member, status in marks.items():
        Attendance.objects.create(meeting=row, member=member, status=status)
    return row


def build(w) -> Province:
    w.agency2 = OrganisationFactory(name="Đảng bộ Sở Y tế", kind=K.GRASSROOTS, parent=w.bloc)
    w.cell2 = OrganisationFactory(name="Chi bộ Phòng Nghiệp vụ", kind=K.CELL, parent=w.agency2)
    w.residence_cell2 = OrganisationFactory(
        name="Chi bộ Tổ dân phố 7", kind=K.RESIDENCE_CELL, parent=w.commune
    )

    def member(name, org=None, **fields):
        return MemberFactory(full_name=name, workplace_org=org or w.cell, **fields)

    an = w.member
    m = {
        "an": an,
        "binh": member("Bùi Thị Bình"),
        "cuong": member("Cao Văn Cường"),
        "dung": member("Đỗ Thị Dung"),
        "em": member("Lê Văn Em"),
        "ha": member("Hồ Thị Hà"),
        "phuc": member(
            "Phan Văn Phúc", category="exempt_introduction", category_reason="Nhiệm vụ bí mật"
        ),
        "giang": member("Giáp Văn Giang", status=Member.Status.EXPELLED),
        "minh": member("Mai Văn Minh", w.agency),
        "hung": member("Hoàng Văn Hùng", w.cell2),
        "khoa": member("Khổng Văn Khoa", w.cell2),
    }
    rc, rc2, orc = w.residence_cell, w.residence_cell2, w.other_residence_cell
    refs = {
        "an": referral(an, S.REPORTED, commune=w.commune, cell=rc, presented="2026-01-20"),
        "binh": referral(
            m["binh"], S.REPORTED, commune=w.commune, cell=rc2, presented="2026-02-10"
        ),
        "cuong": referral(m["cuong"], S.ASSIGNED, commune=w.commune, cell=rc, due="2026-05-01"),
        "dung": referral(m["dung"], S.RECEIVED, commune=w.commune, due="2026-07-01"),
        "ha": referral(m["ha"], S.CLOSED, commune=w.commune),
        "giang": referral(m["giang"], S.CLOSED, commune=w.commune, cell=rc),
        "minh": referral(
            m["minh"], S.REPORTED, commune=w.other_commune, cell=orc, presented="2026-01-15"
        ),
        "hung": referral(m["hung"], S.ISSUED, commune=w.commune, due="2026-05-20"),
        "khoa": referral(
            m["khoa"],
            S.REPORTED,
            commune=w.commune,
            cell=rc2,
            due="2026-03-01",
            presented="2026-02-15",
        ),  # fmt: skip
    }

    # Counted: confirmed regular meetings of 2026.
    meeting(rc, "2026-03-10", {an: A.PRESENT, m["cuong"]: A.PRESENT})
    meeting(rc, "2026-05-10", {an: A.PRESENT, m["cuong"]: A.UNEXCUSED})
    meeting(rc2, "2026-04-01", {m["binh"]: A.PRESENT, m["khoa"]: A.EXCUSED})
    # Not counted: scheduled, recorded only, another year, a residents' activity.
    meeting(rc, "2026-06-20", {an: A.INVITED}, state=Meeting.State.SCHEDULED)
    meeting(rc2, "2026-06-01", {m["binh"]: A.UNEXCUSED}, state=Meeting.State.RECORDED)
    meeting(rc, "2025-12-01", {an: A.UNEXCUSED, m["cuong"]: A.UNEXCUSED})
    meeting(orc, "2026-04-02", {m["minh"]: A.PRESENT}, kind=Meeting.Kind.RESIDENTS)

    campaign = CampaignFactory(organisation=w.agency, year=YEAR, due_on=d("2026-06-10"))
    campaign2 = CampaignFactory(organisation=w.agency2, year=YEAR, due_on=d("2026-06-10"))

    def request(key, state, campaign, *, cell, sitting_cell=None, held="2026-06-01", **kw):
        fields = {
            "member": m[key],
            "referral": refs[key],
            "campaign": campaign,
            "residence_cell": cell,
            "commune": cell.parent,
            "due_on": d("2026-06-10"),
            "state": state,
            **kw,
        }
        if state in (C.SUBMITTED, C.CERTIFIED):
            fields["sitting"] = SittingFactory(
                residence_cell=sitting_cell or cell, year=YEAR, held_on=d(held)
            )
        else:
            fields.update(sitting=None, submitted_at=None, certified_at=None)
        return CommentRequestFactory(**fields)

    reqs = {
        "an": request("an", C.CERTIFIED, campaign, cell=rc, submitted_at=at("2026-06-05 09:00")),
        "minh": request(
            "minh",
            C.CERTIFIED,
            campaign,
            cell=orc,
            sitting_cell=rc,
            submitted_at=at("2026-06-08 09:00"),
        ),  # fmt: skip
        "cuong": request("cuong", C.REQUESTED, campaign, cell=rc),
        "khoa": request("khoa", C.WITHDRAWN, campaign2, cell=rc2),
    }
    reqs["binh"] = request(
        "binh",
        C.SUBMITTED,
        campaign,
        cell=rc2,
        held="2026-06-13",
        submitted_at=at("2026-06-12 09:00"),
        certified_at=None,
        similarity=0.97,
        similar_to=reqs["an"],
    )

    def notice(key, org, *, cell=None, acknowledged=False, created="2026-03-01 08:00"):
        return ChangeNotice.objects.create(
            member=m[key],
            kind=ChangeNotice.Kind.DISCIPLINED,
            effective_on=d("2026-02-20"),
            workplace_org=org,
            commune=w.commune,
            residence_cell=cell,
            created_at=at(created),
            acknowledged_at=at("2026-03-05 08:00") if acknowledged else None,
        )

    notice("giang", w.cell, cell=rc, acknowledged=True)
    notice("ha", w.cell)
    notice("khoa", w.cell2, cell=rc2)
    notice("an", w.cell, cell=rc, created="2025-11-01 08:00")
    return Province(world=w, members=m, requests=reqs)


ZERO = dict.fromkeys(
    [
        "working",
        "referred",
        "received",
        "assigned",
        "presented",
        "on_time",
        "overdue",
        "cells",
        "cells_ok",
        "invited",
        "present",
        "requested",
        "returned",
        "returned_on_time",
        "certified",
        "with_sitting",
        "near_identical",
        "notices",
        "acknowledged",
    ],
    0,
)


def figures(**values) -> dict:
    return {**ZERO, **values}


# The expected figures, counted by hand from the docstring's province.
AGENCY = figures(
    working=7, referred=5, received=5, assigned=4, presented=3, on_time=2, overdue=1,
    invited=5, present=4, requested=3 + 1, returned=3, returned_on_time=2, certified=2,
    with_sitting=1, near_identical=1, notices=2, acknowledged=1,
)  # fmt: skip
AGENCY2 = figures(
    working=2, referred=2, received=1, assigned=1, presented=1, on_time=1, overdue=1,
    invited=1, present=0, notices=1,
)  # fmt: skip
BLOC = {k: AGENCY[k] + AGENCY2[k] for k in ZERO}
OTHER_BLOC = figures(working=1)
COMMUNE = figures(
    referred=6, received=5, assigned=4, presented=3, on_time=2, overdue=2, cells=2, cells_ok=1,
    invited=6, present=4, requested=3, returned=2, returned_on_time=1, certified=1,
    with_sitting=1, near_identical=1, notices=3, acknowledged=1,
)  # fmt: skip
OTHER_COMMUNE = figures(
    referred=1, received=1, assigned=1, presented=1, on_time=1, cells=1, requested=1,
    returned=1, returned_on_time=1, certified=1,
)  # fmt: skip
CELL5 = figures(
    referred=2, received=2, assigned=2, presented=1, on_time=1, overdue=1, cells=1, cells_ok=1,
    invited=4, present=3, requested=2, returned=1, returned_on_time=1, certified=1,
    with_sitting=1, notices=1, acknowledged=1,
)  # fmt: skip
CELL7 = figures(
    referred=2, received=2, assigned=2, presented=2, on_time=1, cells=1, invited=2, present=1,
    requested=1, returned=1, near_identical=1, notices=1,
)  # fmt: skip
COMMUNE_DIRECT = figures(referred=2, received=1, overdue=1, notices=1)
