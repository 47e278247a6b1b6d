"""Committed data for the fault tests, written by a subprocess into the throwaway database.

    python -m tests.ops.seed campaign N           # N certified comments of one campaign
    python -m tests.ops.seed print CAMPAIGN USER  # a print job of it, sent to the broker
    python -m tests.ops.seed campaign N due       # and two comments still due, for reminders

Prints one JSON line: the ids and the login the test needs.
"""

import json
import sys


def campaign(count: int) -> dict:
    from members.models import Organisation, Role
    from tests.evaluations.factories import CampaignFactory, CommentRequestFactory
    from tests.members.factories import (
        PASSWORD,
        MemberFactory,
        OrganisationFactory,
        RoleFactory,
        UserFactory,
    )

    K = Organisation.Kind
    province = OrganisationFactory(name="Đảng bộ tỉnh Lâm Đồng", kind=K.SUPERVISING)
    agency = OrganisationFactory(name="Đảng bộ Sở Tài chính", kind=K.GRASSROOTS, parent=province)
    cell = OrganisationFactory(name="Chi bộ Phòng Ngân sách", kind=K.CELL, parent=agency)
    commune = OrganisationFactory(name="Đảng ủy phường Xuân Hương", kind=K.COMMUNE, parent=province)
    residence_cell = OrganisationFactory(
        name="Chi bộ Tổ dân phố 5", kind=K.RESIDENCE_CELL, parent=commune
    )
    secretary = UserFactory(username="coquan")
    RoleFactory(user=secretary, organisation=agency, kind=Role.Kind.SECRETARY)
    the_campaign = CampaignFactory(organisation=agency)
    requests = [
        CommentRequestFactory(
            campaign=the_campaign,
            member=MemberFactory(
                full_name=f"Nguyễn Thị Ánh Tuyết {i:03d}",
                workplace_org=cell,
                residence_commune=commune,
            ),
            residence_cell=residence_cell,
        )
        for i in range(count)
    ]
    # Members outside any campaign too: a backup must hold them as well.
    MemberFactory.create_batch(5, workplace_org=cell, residence_commune=commune)
    return {
        "username": secretary.username,
        "password": PASSWORD,
        "campaign": the_campaign.pk,
        "requests": [r.pk for r in requests],
    }


def print_job(campaign_id: int, username: str) -> dict:
    """Start a print job of the campaign as the user: queued to the broker on commit."""
    from django.contrib.auth import get_user_model

    from evaluations.models import Campaign
    from evaluations.printing import jobs

    job = jobs.print_job_start(
        actor=get_user_model().objects.get(username=username),
        campaign=Campaign.objects.get(pk=campaign_id),
    )
    return {"job": job.pk, "total": job.total}


def comments_due(campaign_id: int) -> dict:
    """Two comments of the campaign not yet written, and the residence cell's secretary (with
    an email address) whom the daily scan reminds of them."""
    import datetime

    from evaluations.models import Campaign, CommentRequest
    from members.models import Organisation, Role
    from tests.evaluations.factories import CommentRequestFactory
    from tests.members.factories import MemberFactory, RoleFactory, UserFactory

    the_campaign = Campaign.objects.get(pk=campaign_id)
    cell = Organisation.objects.get(kind=Organisation.Kind.RESIDENCE_CELL)
    workplace_cell = Organisation.objects.get(kind=Organisation.Kind.CELL)
    secretary = UserFactory(username="chibo", email="chibo@example.vn")
    RoleFactory(user=secretary, organisation=cell, kind=Role.Kind.SECRETARY)
    due_on = datetime.date(2026, 11, 30)
    # In the process that seeded the campaign: factory sequences (card and referral numbers)
    # start again in a new one.
    for name in ("Lê Văn Hùng", "Phạm Thị Lan"):
        CommentRequestFactory(
            campaign=the_campaign,
            member=MemberFactory(
                full_name=name, workplace_org=workplace_cell, residence_commune=cell.parent
            ),
            residence_cell=cell,
            due_on=due_on,
            state=CommentRequest.State.REQUESTED,
        )
    return {"secretary": secretary.pk, "email": secretary.email, "due_on": due_on.isoformat()}


def main(argv: list[str]) -> None:
    import django

    django.setup()
    what, *args = argv
    if what == "campaign":
        seeded = campaign(int(args[0]))
        if args[1:] == ["due"]:
            seeded["due"] = comments_due(seeded["campaign"])
        print(json.dumps(seeded))
    elif what == "print":
        print(json.dumps(print_job(int(args[0]), args[1])))
    else:
        raise SystemExit(f"unknown seed {what!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
