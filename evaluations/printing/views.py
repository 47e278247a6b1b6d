"""Printed comment sheets: one sheet, and print jobs with their progress page.

A print job belongs to the user who started it: everyone else gets 404 for it, whatever their
role. A sheet that was signed (evaluations.signatures) is printed as signed: the file kept with
its signatures is the one sheet_pdf sends.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from members.models import MemberView
from members.selectors import organisation_get
from members.services import member_views_record
from partyreg.web import parse_id, pdf_response

from ..models import PrintJob
from ..selectors import campaign_get
from ..signatures.selectors import signed_sheet_pdf
from . import jobs, selectors, sheets

RECENT_JOBS = 50
# The progress page asks for the job's state this often (htmx), or reloads (without JS).
POLL_SECONDS = 2


def _selection(request):
    """The campaign, organisation and request a print job covers, from GET or POST."""
    data = request.POST if request.method == "POST" else request.GET
    campaign = organisation = None
    request_ids = None
    campaign_id, organisation_id, request_id = (
        parse_id(data.get(name)) for name in ("campaign", "organisation", "request")
    )
    if campaign_id:
        campaign = campaign_get(request.user, campaign_id)
    if organisation_id:
        organisation = organisation_get(request.user, organisation_id)
    if request_id:
        request_ids = [selectors.certified_request_get(request.user, request_id).pk]
    if campaign is None and organisation is None and request_ids is None:
        raise Http404
    return campaign, organisation, request_ids


@login_required
def sheet_pdf(request, pk: int):
    """The sheet of one certified comment: the signed file when it was signed (the electronic
    original), else rendered now if it is not up to date."""
    comment = selectors.certified_request_get(request.user, pk)
    content = signed_sheet_pdf(comment)
    if content is None:
        sheet, _rendered = sheets.sheet_ensure(comment)
        content = sheet.pdf.open("rb")
    member_views_record(user=request.user, members=[comment.member], via=MemberView.Via.SHEET)
    return pdf_response(content, f"phieu-nhan-xet-{comment.pk}")


@login_required
def printjob_new(request):
    """Confirm what a print job will cover (GET), then start it (POST)."""
    campaign, organisation, request_ids = _selection(request)
    if request.method == "POST":
        try:
            job = jobs.print_job_start(
                actor=request.user,
                campaign=campaign,
                organisation=organisation,
                request_ids=request_ids,
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("evaluations:printjob_list")
        return redirect("evaluations:printjob_detail", pk=job.pk)
    count = (
        jobs.print_selection(
            request.user, campaign=campaign, organisation=organisation, request_ids=request_ids
        )
        .distinct()
        .count()
    )
    return render(
        request,
        "evaluations/printjob_new.html",
        {
            "campaign": campaign,
            "organisation": organisation,
            "single": request_ids[0] if request_ids else None,
            "count": count,
        },
    )


@login_required
def printjob_list(request):
    recent = selectors.recent_jobs(request.user, RECENT_JOBS)
    return render(request, "evaluations/printjob_list.html", {"jobs": recent})


def _progress_context(job: PrintJob) -> dict:
    finished = job.status in (PrintJob.Status.DONE, PrintJob.Status.FAILED)
    return {
        "job": job,
        "percent": min(job.percent, 100),
        "finished": finished,
        "can_retry": jobs.can_retry(job),
        "poll_seconds": POLL_SECONDS,
    }


@login_required
def printjob_detail(request, pk: int):
    job = selectors.own_job_get(request.user, pk)
    template = (
        "evaluations/printjob_progress.html" if request.htmx else "evaluations/printjob_detail.html"
    )
    return render(request, template, _progress_context(job))


@login_required
@require_POST
def printjob_retry(request, pk: int):
    job = selectors.own_job_get(request.user, pk)
    try:
        jobs.print_job_retry(actor=request.user, job=job)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("evaluations:printjob_detail", pk=job.pk)


@login_required
def printjob_file(request, pk: int, position: int):
    job = selectors.own_job_get(request.user, pk)
    job_file = get_object_or_404(job.files, position=position)
    return pdf_response(
        job_file.file.open("rb"), f"phieu-nhan-xet-{job.pk}-{position + 1:02d}", attachment=True
    )
