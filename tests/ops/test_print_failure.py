"""A print job whose sheet cannot be rendered: the job page says what failed and offers Retry;
Retry from the page finishes the job. (Runs in-process; no servers of its own.)"""

from unittest import mock

import pytest
from django.urls import reverse
from django.utils.html import escape

from evaluations.models import PrintJob
from evaluations.printing import sheets
from tests.evaluations.factories import CampaignFactory, CommentRequestFactory
from tests.members.factories import MemberFactory

pytestmark = [pytest.mark.django_db, pytest.mark.ops]


def test_failed_job_page_names_the_sheet_and_retry_from_the_page_finishes_it(
    login, world, django_capture_on_commit_callbacks
):
    campaign = CampaignFactory(organisation=world.agency)
    for name in ("Trần Văn Bình", "Hoàng Thị Hỏa"):
        CommentRequestFactory(
            campaign=campaign,
            member=MemberFactory(
                full_name=name, workplace_org=world.cell, residence_commune=world.commune
            ),
            residence_cell=world.residence_cell,
        )
    client = login(world.secretary)
    real_render = sheets.render_pdf

    def broken(template, context, **kwargs):
        if context["member"]["full_name"] == "Hoàng Thị Hỏa":
            raise ValueError("font missing")
        return real_render(template, context, **kwargs)

    with (
        mock.patch.object(sheets, "render_pdf", side_effect=broken),
        django_capture_on_commit_callbacks(execute=True),
    ):
        client.post(reverse("evaluations:printjob_new"), {"campaign": campaign.pk})
    job = PrintJob.objects.get()
    assert job.status == PrintJob.Status.FAILED
    detail = reverse("evaluations:printjob_detail", args=[job.pk])
    page = client.get(detail).content.decode()
    # The failure, in the user's language, naming the sheet and the cause; no progress polling.
    assert escape(job.error) in page or job.error in page
    assert "Hoàng Thị Hỏa" in page and "font missing" in page
    assert "bg-danger" in page and f'hx-get="{detail}"' not in page
    retry = reverse("evaluations:printjob_retry", args=[job.pk])
    assert f'action="{retry}"' in page

    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(retry)["Location"] == detail
    job.refresh_from_db()
    assert job.status == PrintJob.Status.DONE and job.error == ""
    page = client.get(detail).content.decode()
    assert reverse("evaluations:printjob_file", args=[job.pk, 0]) in page
    assert f'action="{retry}"' not in page
