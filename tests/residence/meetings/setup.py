"""Helpers for the meeting tests: members assigned to a residence cell through real referrals."""

import datetime

from django.utils import timezone

from members.models import Member
from residence import services as referral_services
from residence.meetings import services as meeting_services
from residence.meetings.models import Meeting
from tests.members.factories import MemberFactory


def assign(world, member, cell=None, *, present=False):
    """Carries a referral of ``member`` through issue, receipt and assignment to ``cell``."""
    referral = referral_services.referral_issue(actor=world.secretary, member=member)
    referral = referral_services.referral_receive(actor=world.commune_officer, referral=referral)
    referral = referral_services.referral_assign(
        actor=world.commune_officer, referral=referral, residence_cell=cell or world.residence_cell
    )
    if present:
        referral = referral_services.referral_report(
            actor=world.residence_secretary, referral=referral, presented_on=timezone.localdate()
        )
    return referral


def cell_member(world, full_name=None, *, cell=None, present=False, **fields) -> Member:
    """A new member of world.cell living in world.commune, assigned to a residence cell."""
    kwargs = {"workplace_org": world.cell, "residence_commune": world.commune, **fields}
    if full_name:
        kwargs["full_name"] = full_name
    member = MemberFactory(**kwargs)
    assign(world, member, cell, present=present)
    return member


def schedule(world, *, held_on=None, kind=Meeting.Kind.REGULAR, cell=None, actor=None) -> Meeting:
    return meeting_services.meeting_schedule(
        actor=actor or world.residence_secretary,
        residence_cell=cell or world.residence_cell,
        held_on=held_on or timezone.localdate(),
        starts_at=datetime.time(19, 30),
        place="Nhà văn hóa tổ dân phố 5",
        agenda="Thông báo tình hình địa phương\nLấy ý kiến đảng viên",
        kind=kind,
    )


def record(world, meeting, marks, actor=None):
    """``marks`` maps members to a status or a (status, reason) pair."""
    return meeting_services.attendance_record(
        actor=actor or world.residence_secretary,
        meeting=meeting,
        marks={m.pk: (v if isinstance(v, tuple) else (v, "")) for m, v in marks.items()},
    )


def held_and_confirmed(world, marks, **kwargs) -> Meeting:
    meeting = schedule(world, **kwargs)
    record(world, meeting, marks)
    return meeting_services.meeting_confirm(actor=world.residence_secretary, meeting=meeting)
