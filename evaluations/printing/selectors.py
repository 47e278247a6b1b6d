"""Reads for printing: certified sheets the user may see, their verification codes, the user's
own print jobs. Each answers 404 (or nothing) outside the user's reach."""

import re

from django.http import Http404
from django.shortcuts import get_object_or_404

from .. import permissions
from ..models import CommentRequest, PrintJob
from .sheets import sheet_queryset

# What a verification code can be (the column holds at most 12 characters).
_CODE = re.compile(r"[0-9A-Z]{1,12}")


def certified_request_get(user, pk: int) -> CommentRequest:
    """A certified request with what its sheet prints, or 404 unless the user may see it."""
    request = sheet_queryset().filter(pk=pk, state=CommentRequest.State.CERTIFIED).first()
    if request is None or not permissions.can_view_request(user, request):
        raise Http404
    return request


def request_for_code(user, code: str) -> CommentRequest:
    """The request a sheet's verification code names, or 404 unless the user may see it."""
    code = code.upper()
    # Anything but a code's letters and digits (a NUL byte fails the query on PostgreSQL).
    if not _CODE.fullmatch(code):
        raise Http404
    request = (
        CommentRequest.objects.select_related(
            "workplace_org", "residence_cell", "commune", "campaign__organisation"
        )
        .filter(verification_code=code)
        .first()
    )
    if request is None or not permissions.can_view_request(user, request):
        raise Http404
    return request


def own_job_get(user, pk: int) -> PrintJob:
    return get_object_or_404(PrintJob, pk=pk, created_by=user)


def recent_jobs(user, limit: int):
    return (
        PrintJob.objects.filter(created_by=user)
        .select_related("campaign", "organisation")
        .prefetch_related("files")[:limit]
    )
