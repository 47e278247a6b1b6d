"""Rows of the comment campaign, built directly (no workflow services), for tests of what
reads them: printed sheets, print jobs, lists.

``CommentRequestFactory`` makes a certified request with its referral, its sitting and one
answer per criterion of its sheet; pass ``state`` and the fields you need to change that.
"""

import datetime

import factory
from django.utils import timezone

from evaluations.models import (
    Campaign,
    CommentRequest,
    Criterion,
    CriterionAnswer,
    SheetForm,
    Sitting,
)
from members.models import Organisation
from residence.models import Referral
from tests.members.factories import MemberFactory, OrganisationFactory

K = Organisation.Kind


class CampaignFactory(factory.django.DjangoModelFactory):
    """A campaign with its own copy of the default criteria, as opening one makes it."""

    class Meta:
        model = Campaign
        skip_postgeneration_save = True

    organisation = factory.SubFactory(OrganisationFactory, kind=K.GRASSROOTS)
    year = 2026
    title = factory.LazyAttribute(lambda c: f"Nhận xét đảng viên năm {c.year}")
    due_on = datetime.date(2026, 11, 30)

    @factory.post_generation
    def criteria(obj, create, extracted, **kwargs):
        if not create:
            return
        Criterion.objects.bulk_create(
            Criterion(
                campaign=obj,
                form=default.form,
                position=default.position,
                text=default.text,
                levels=list(default.levels),
            )
            for default in Criterion.objects.filter(campaign__isnull=True)
        )


class SittingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Sitting

    residence_cell = factory.SubFactory(OrganisationFactory, kind=K.RESIDENCE_CELL)
    year = 2026
    held_on = datetime.date(2026, 11, 10)
    place = "Nhà văn hóa tổ dân phố"
    cell_committee_attendees = "Đặng Văn Ộ — Bí thư chi bộ\nLê Thị Huệ — Phó Bí thư"
    front_committee_attendees = (
        "Phạm Văn Lực — Trưởng ban công tác Mặt trận\nVõ Thị Yến — Tổ trưởng"
    )


class ReferralFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Referral

    member = factory.SubFactory(MemberFactory)
    issuing_org = factory.LazyAttribute(lambda r: r.member.workplace_org)
    signing_org = factory.LazyAttribute(lambda r: r.issuing_org)
    commune = factory.LazyAttribute(lambda r: r.residence_cell.parent)
    residence_cell = factory.SubFactory(OrganisationFactory, kind=K.RESIDENCE_CELL)
    year = 2026
    number = factory.Sequence(lambda n: n + 1)
    state = Referral.State.REPORTED
    due_on = datetime.date(2026, 2, 1)
    presented_on = datetime.date(2026, 1, 20)


class CommentRequestFactory(factory.django.DjangoModelFactory):
    """A certified comment: sitting, attendance facts and an answer to every criterion.

    ``answers__levels`` (list, best level = 0) and ``answers__comments`` (list of str) set the
    answers; by default every criterion gets the middle level and a short comment.
    """

    class Meta:
        model = CommentRequest
        skip_postgeneration_save = True

    member = factory.SubFactory(MemberFactory)
    residence_cell = factory.SubFactory(OrganisationFactory, kind=K.RESIDENCE_CELL)
    commune = factory.LazyAttribute(lambda r: r.residence_cell.parent)
    workplace_org = factory.LazyAttribute(lambda r: r.member.workplace_org)
    campaign = factory.SubFactory(
        CampaignFactory, organisation=factory.SelfAttribute("..workplace_org")
    )
    referral = factory.SubFactory(
        ReferralFactory,
        member=factory.SelfAttribute("..member"),
        residence_cell=factory.SelfAttribute("..residence_cell"),
    )
    form = SheetForm.NORMAL
    due_on = datetime.date(2026, 11, 30)
    state = CommentRequest.State.CERTIFIED
    sitting = factory.SubFactory(
        SittingFactory, residence_cell=factory.SelfAttribute("..residence_cell")
    )
    other_comments = "Gia đình đồng chí gương mẫu, đoàn kết với bà con khu phố."
    meetings_invited = 2
    meetings_present = 1
    meetings_excused = 1
    meetings_unexcused = 0
    submitted_at = factory.LazyFunction(
        lambda: timezone.make_aware(datetime.datetime(2026, 11, 12, 9, 0))
    )
    certified_at = factory.LazyFunction(
        lambda: timezone.make_aware(datetime.datetime(2026, 11, 20, 15, 0))
    )

    @factory.post_generation
    def answers(obj, create, extracted, **kwargs):
        if not create:
            return
        criteria = list(
            Criterion.objects.filter(campaign=obj.campaign, form=obj.form).order_by("position")
        )
        levels = kwargs.get("levels") or [1] * len(criteria)
        comments = kwargs.get("comments") or [
            f"Đồng chí thực hiện tốt nội dung {c.position}." for c in criteria
        ]
        CriterionAnswer.objects.bulk_create(
            CriterionAnswer(request=obj, criterion=c, level=level, comment=comment)
            for c, level, comment in zip(criteria, levels, comments, strict=False)
        )
