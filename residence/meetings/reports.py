"""Notices of non-participation: the residence cell tells the workplace committee, which
acknowledges what it did about it (workflow 6); the printed notice."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from partyreg.web import apply_validation_error, pdf_response, refusal

from ..selectors import referral_sides
from . import permissions, selectors, services
from .forms import (
    AcknowledgeReportForm,
    NonParticipationForm,
)
from .pdf import render_notice

PER_PAGE = 50


@login_required
def report_create(request, member_pk: int):
    member = selectors.member_for_attendance(request.user, member_pk)
    cells = [
        c
        for c in selectors.member_cells(member)
        if permissions.can_report_nonparticipation(request.user, c)
    ]
    if not cells:
        raise Http404
    year = timezone.localdate().year
    facts = selectors.attendance_facts(member_ids=[member.pk], year=year)[member.pk]
    form = NonParticipationForm(request.POST or None, cells=cells)
    if request.method == "POST" and form.is_valid():
        try:
            services.nonparticipation_report(
                actor=request.user,
                member=member,
                residence_cell=form.cleaned_data["residence_cell"],
                text=form.cleaned_data["text"],
            )
        except PermissionDenied as error:
            messages.error(request, refusal(error))
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(
                request,
                _("%(org)s has been told and must acknowledge it.") % {"org": member.workplace_org},
            )
            return redirect("residence:member_attendance", member_pk=member.pk)
    return render(
        request,
        "residence/meeting_report_form.html",
        {"member": member, "form": form, "facts": facts, "year": year},
    )


@login_required
def report_list(request, side: str):
    if side not in referral_sides(request.user):
        raise Http404
    reports = selectors.report_list(request.user, side)
    pending = request.GET.get("pending") == "1"
    if pending:
        reports = reports.filter(acknowledged_at__isnull=True)
    page = Paginator(reports, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "residence/meeting_report_list.html",
        {
            "side": side,
            "sides": referral_sides(request.user),
            "page": page,
            "pending": pending,
            "query": "pending=1" if pending else "",
        },
    )


@login_required
@require_safe
def report_pdf(request, pk: int):
    """The notice of non-participation, printed: for the residence side that sent it and the
    workplace side that received it."""
    report = selectors.report_get(request.user, pk)
    return pdf_response(render_notice(report), f"thong-bao-khong-tham-gia-{report.pk}")


@login_required
def report_acknowledge(request, pk: int):
    report = selectors.report_get(request.user, pk)
    if not permissions.can_acknowledge_report(request.user, report):
        raise Http404
    form = AcknowledgeReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.nonparticipation_acknowledge(
                actor=request.user, report=report, action_taken=form.cleaned_data["action_taken"]
            )
        except PermissionDenied as error:
            messages.error(request, refusal(error))
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("Report acknowledged."))
            return redirect("residence:report_list", side="workplace")
    return render(
        request, "residence/meeting_report_acknowledge.html", {"report": report, "form": form}
    )
