"""Set-up for campaign tests, through the real services: members placed in residence cells by
the referral workflow, meetings with confirmed attendance, near-identical comments.
"""

import datetime
import importlib

from django.apps import apps

from evaluations import services
from evaluations.models import CommentRequest, Criterion
from members.models import Member
from residence import services as referral_services
from residence.meetings import services as meeting_services
from residence.models import Referral
from tests.members.factories import MemberFactory

SAME = (
    "Đồng chí gương mẫu chấp hành tốt chủ trương của Đảng, chính sách pháp luật của Nhà nước, "
    "tham gia đầy đủ sinh hoạt, đoàn kết với bà con tổ dân phố."
)


def place(world, member: Member, cell=None, *, report: bool = False) -> Referral:
    """Issues, receives and assigns the member's referral (the site admin does every step)."""
    cell = cell or world.residence_cell
    referral = referral_services.referral_issue(actor=world.admin, member=member)
    referral = referral_services.referral_receive(actor=world.admin, referral=referral)
    referral = referral_services.referral_assign(
        actor=world.admin, referral=referral, residence_cell=cell
    )
    if report:
        referral = referral_services.referral_report(
            actor=world.admin, referral=referral, presented_on=datetime.date.today()
        )
    return referral


def placed_member(world, name: str, *, workplace=None, cell=None, **fields) -> Member:
    cell = cell or world.residence_cell
    member = MemberFactory(
        full_name=name,
        workplace_org=workplace or world.cell,
        residence_commune=cell.parent,
        **fields,
    )
    place(world, member, cell)
    return member


def answers_for(request: CommentRequest, *, level: int = 0, comment: str = "") -> dict:
    criteria = Criterion.objects.filter(campaign=request.campaign, form=request.form)
    return {c.pk: (level, comment) for c in criteria}


def sitting(world, cell=None, held_on=None):
    return services.sitting_record(
        actor=world.admin,
        residence_cell=cell or world.residence_cell,
        held_on=held_on or datetime.date.today(),
        cell_committee_attendees="Đặng Văn Ộ — Bí thư",
        front_committee_attendees="Phạm Văn Lực — Trưởng ban công tác Mặt trận",
        place="Nhà văn hóa",
    )


def submit(world, request, *, sitting_row, comment="", other="", actor=None, level=0):
    return services.comment_submit(
        actor=actor or world.residence_secretary,
        request=request,
        answers=answers_for(request, level=level, comment=comment),
        other_comments=other,
        sitting=sitting_row,
    )


def confirmed_meeting(world, marks: dict, *, cell=None, held_on=None):
    """A regular meeting of the cell with ``marks`` {member: (status, reason)}, confirmed."""
    meeting = meeting_services.meeting_schedule(
        actor=world.admin,
        residence_cell=cell or world.residence_cell,
        held_on=held_on or datetime.date.today() - datetime.timedelta(days=30),
        starts_at=datetime.time(19, 30),
        place="Nhà văn hóa",
        agenda="Sinh hoạt định kỳ",
    )
    meeting_services.attendance_record(
        actor=world.admin,
        meeting=meeting,
        marks={member.pk: mark for member, mark in marks.items()},
    )
    return meeting_services.meeting_confirm(actor=world.admin, meeting=meeting)


def ensure_default_criteria() -> None:
    """Reseeds the default criteria that a transactional test before this one flushed."""
    if not Criterion.objects.filter(campaign__isnull=True).exists():
        importlib.import_module("evaluations.migrations.0002_default_criteria").forwards(apps, None)
