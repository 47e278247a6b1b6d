"""Print jobs: chunked files, progress, ready sheets merged, failure and retry, idempotent tasks,
and the job pages."""

import io
from html.parser import HTMLParser
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from pypdf import PdfReader

from evaluations.models import PrintedSheet, PrintJob
from evaluations.printing import jobs, sheets
from evaluations.printing.tasks import print_job_chunk_task, print_job_task
from tests.evaluations.factories import CampaignFactory, CommentRequestFactory
from tests.members.factories import MemberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_chunks(settings):
    settings.PARTYREG = {**settings.PARTYREG, "SHEETS_PER_PDF": 2}


@pytest.fixture
def five(world):
    """Five certified comments of one campaign, all members of world.cell."""
    campaign = CampaignFactory(organisation=world.agency)
    requests = [
        CommentRequestFactory(
            campaign=campaign,
            member=MemberFactory(
                full_name=f"Lê Thị Ngọc Ánh {i}",
                workplace_org=world.cell,
                residence_commune=world.commune,
            ),
            residence_cell=world.residence_cell,
        )
        for i in range(5)
    ]
    return campaign, requests


def start(actor, on_commit, **selection) -> PrintJob:
    with on_commit(execute=True):
        job = jobs.print_job_start(actor=actor, **selection)
    job.refresh_from_db()
    return job


def page_count(job: PrintJob) -> int:
    return sum(len(PdfReader(io.BytesIO(f.file.read())).pages) for f in job.files.all())


def test_job_makes_chunked_files_of_every_sheet(
    world, five, small_chunks, django_capture_on_commit_callbacks
):
    campaign, requests = five
    job = start(world.secretary, django_capture_on_commit_callbacks, campaign=campaign)
    assert job.status == PrintJob.Status.DONE
    assert (job.total, job.done, job.percent, job.rendered) == (5, 5, 100, 5)
    assert [f.sheets for f in job.files.all()] == [2, 2, 1]
    pages_per_sheet = sum(PrintedSheet.objects.values_list("pages", flat=True))
    assert page_count(job) == pages_per_sheet >= 5
    text = " ".join(
        page.extract_text() for page in PdfReader(io.BytesIO(job.files.last().file.read())).pages
    )
    assert "Lê Thị Ngọc Ánh" in text


def test_second_job_merges_ready_sheets_without_rendering(
    world, five, small_chunks, django_capture_on_commit_callbacks
):
    campaign, requests = five
    start(world.secretary, django_capture_on_commit_callbacks, campaign=campaign)
    answer = requests[2].answers.first()
    answer.comment = "Nhận xét đã sửa sau khi in."
    answer.save()
    again = start(world.secretary, django_capture_on_commit_callbacks, campaign=campaign)
    assert again.status == PrintJob.Status.DONE
    assert again.rendered == 1  # only the changed sheet


def test_job_covers_only_sheets_the_user_may_see(world, five, django_capture_on_commit_callbacks):
    campaign, requests = five
    CommentRequestFactory(residence_cell=world.other_residence_cell)  # another commune's
    job = start(
        world.commune_officer, django_capture_on_commit_callbacks, organisation=world.commune
    )
    assert sorted(job.request_ids) == sorted(r.pk for r in requests)
    with pytest.raises(ValidationError):
        jobs.print_job_start(actor=world.other_secretary, campaign=campaign)


def test_failed_render_marks_the_job_failed_and_retry_finishes_it(
    world, five, small_chunks, django_capture_on_commit_callbacks
):
    campaign, requests = five
    real_render = sheets.render_pdf

    def broken(template, context, **kwargs):
        if context["member"]["full_name"].endswith(" 3"):
            raise ValueError("font missing")
        return real_render(template, context, **kwargs)

    with mock.patch.object(sheets, "render_pdf", side_effect=broken):
        job = start(world.secretary, django_capture_on_commit_callbacks, campaign=campaign)
    assert job.status == PrintJob.Status.FAILED
    assert "Lê Thị Ngọc Ánh 3" in job.error and "Retry" in job.error
    assert job.finished_at is not None
    assert jobs.can_retry(job)

    with django_capture_on_commit_callbacks(execute=True):
        jobs.print_job_retry(actor=world.secretary, job=job)
    job.refresh_from_db()
    assert job.status == PrintJob.Status.DONE and job.error == ""
    assert job.attempts == 2 and job.percent == 100
    assert sum(f.sheets for f in job.files.all()) == 5
    assert sorted(f.position for f in job.files.all()) == [0, 1, 2]


def test_a_job_that_did_not_fail_cannot_be_retried(world, five, django_capture_on_commit_callbacks):
    campaign, _ = five
    job = start(world.secretary, django_capture_on_commit_callbacks, campaign=campaign)
    with pytest.raises(ValidationError):
        jobs.print_job_retry(actor=world.secretary, job=job)


def test_tasks_called_twice_do_nothing_twice(world, five, small_chunks):
    campaign, _ = five
    job = jobs.print_job_start(actor=world.secretary, campaign=campaign)  # on_commit not run
    assert print_job_task.apply(args=[job.pk]).get() == 3
    assert print_job_task.apply(args=[job.pk]).get() == 0
    assert print_job_chunk_task.apply(args=[job.pk, 0, 2]).get() is False
    job.refresh_from_db()
    assert (job.status, job.attempts, job.rendered, job.files.count()) == ("done", 1, 5, 3)


# --- Pages ------------------------------------------------------------------------------------


def test_print_job_pages(client, login, world, five, django_capture_on_commit_callbacks):
    campaign, _ = five
    new = reverse("evaluations:printjob_new") + f"?campaign={campaign.pk}"
    assert client.get(new).status_code == 302  # anonymous: to login
    page = login(world.secretary).get(new)
    assert page.status_code == 200 and "5" in page.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("evaluations:printjob_new"), {"campaign": campaign.pk})
    job = PrintJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("evaluations:printjob_detail", args=[job.pk])
    assert job.created_by == world.secretary

    detail = client.get(reverse("evaluations:printjob_detail", args=[job.pk]))
    assert detail.status_code == 200
    assert "100%" in detail.content.decode()
    file_url = reverse("evaluations:printjob_file", args=[job.pk, 0])
    assert file_url in detail.content.decode()
    download = client.get(file_url)
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"

    listing = client.get(reverse("evaluations:printjob_list"))
    assert reverse("evaluations:printjob_detail", args=[job.pk]) in listing.content.decode()

    other = login(world.commune_officer)  # may see the comments, but not this user's job
    assert other.get(reverse("evaluations:printjob_detail", args=[job.pk])).status_code == 404
    assert other.get(file_url).status_code == 404
    assert other.post(reverse("evaluations:printjob_retry", args=[job.pk])).status_code == 404
    assert (
        reverse("evaluations:printjob_detail", args=[job.pk])
        not in other.get(reverse("evaluations:printjob_list")).content.decode()
    )


class _ElementFinder(HTMLParser):
    """Collects the markup of the element with a given id, its children included."""

    VOID = {"area", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}

    def __init__(self, element_id):
        super().__init__(convert_charrefs=False)
        self.element_id, self.depth, self.parts = element_id, 0, []

    def handle_starttag(self, tag, attrs):
        if self.depth or dict(attrs).get("id") == self.element_id:
            self.parts.append(self.get_starttag_text())
            self.depth += tag not in self.VOID

    def handle_endtag(self, tag):
        if self.depth and tag not in self.VOID:
            self.parts.append(f"</{tag}>")
            self.depth -= 1

    def handle_data(self, data):
        if self.depth:
            self.parts.append(data)


def element_html(page: str, element_id: str) -> str:
    """The markup of the element ``id="element_id"`` of ``page`` ("" when there is none)."""
    finder = _ElementFinder(element_id)
    finder.feed(page)
    return "".join(finder.parts)


def test_progress_page_polls_while_running_and_shows_failure(login, world, five):
    campaign, _ = five
    job = jobs.print_job_start(actor=world.secretary, campaign=campaign)
    client = login(world.secretary)
    url = reverse("evaluations:printjob_detail", args=[job.pk])
    page = client.get(url).content.decode()
    assert 'hx-trigger="every 2s"' in element_html(page, "printjob-progress")
    assert 'http-equiv="refresh"' in page

    partial = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert partial.lstrip().startswith('<div id="printjob-progress"') and "<html" not in partial

    jobs.print_job_fail(job.pk, "The sheet of Lê Thị Ngọc Ánh 3 could not be printed.")
    page = client.get(url).content.decode()
    # The page's other polling (the notification bell in base.html) is not the job's business.
    progress = element_html(page, "printjob-progress")
    assert progress and "hx-" not in progress and 'http-equiv="refresh"' not in page
    assert "Lê Thị Ngọc Ánh 3 could not be printed" in page
    assert reverse("evaluations:printjob_retry", args=[job.pk]) in page


def test_print_new_refuses_an_organisation_out_of_reach(login, world):
    url = reverse("evaluations:printjob_new") + f"?organisation={world.other_commune.pk}"
    assert login(world.commune_officer).get(url).status_code == 404
