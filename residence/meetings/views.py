"""Residence meetings: scheduling, the phone-first attendance page, confirmation, corrections,
the printed list, members' own invitations and the non-participation reports (workflow 6)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from members.models import Organisation
from members.scoping import user_roles
from members.selectors import own_member
from partyreg.audit import audit_history
from partyreg.web import apply_validation_error, parse_year, pdf_response, refusal

from ..selectors import referral_sides
from . import permissions, selectors, services
from .calendar import calendar_response
from .forms import (
    AbsenceForm,
    CancelForm,
    CorrectionForm,
    MeetingForm,
    MoveForm,
    marks_from_post,
)
from .models import Attendance, Meeting
from .pdf import render_attendance_list

PER_PAGE = 50
HISTORY_ROWS = 50


def _managed_meeting(request, pk: int) -> Meeting:
    """The meeting, or 404 unless the user may act on it (not only read it)."""
    meeting = selectors.meeting_get(request.user, pk)
    if not permissions.can_manage_meeting(request.user, meeting):
        raise Http404
    return meeting


def _year_stats(cell, year: int) -> dict:
    held = selectors.cell_meeting_counts(cell_ids=[cell.pk], year=year)[cell.pk]
    required = selectors.meetings_required()
    return {"held": held, "required": required, "short": max(required - held, 0)}


# --- Cells and their meetings -------------------------------------------------------------------


@login_required
def meeting_index(request):
    """The cells the user reaches, each with meetings held against the number required."""
    year = parse_year(request.GET.get("year"))
    cells = selectors.cells_with_counts(request.user, year)
    page = Paginator(cells, PER_PAGE).get_page(request.GET.get("page"))
    if page.paginator.count == 1 and not request.GET:
        return redirect("residence:meeting_list", cell_pk=page[0].pk)
    own = own_member(request.user)
    if page.paginator.count == 0 and own is not None and not user_roles(request.user):
        return redirect("residence:my_meetings")
    return render(
        request,
        "residence/meeting_index.html",
        {
            "page": page,
            "year": year,
            "required": selectors.meetings_required(),
            "own": own,
            "sides": referral_sides(request.user),
            "query": f"year={year}",
        },
    )


@login_required
def meeting_list(request, cell_pk: int):
    cell = selectors.cell_get(request.user, cell_pk)
    year = parse_year(request.GET.get("year"))
    meetings = list(selectors.meeting_list(cell, year))
    referrals = list(selectors.eligible_referrals(cell))
    facts = selectors.attendance_facts(member_ids=[r.member_id for r in referrals], year=year)
    years = sorted({*selectors.meeting_years(cell), timezone.localdate().year}, reverse=True)
    return render(
        request,
        "residence/meeting_list.html",
        {
            "cell": cell,
            "year": year,
            "years": years,
            "meetings": meetings,
            "members": [(r.member, facts[r.member_id]) for r in referrals],
            "can_manage": permissions.can_manage_meetings(request.user, cell),
            **_year_stats(cell, year),
        },
    )


@login_required
def meeting_create(request, cell_pk: int):
    cell = selectors.cell_get(request.user, cell_pk)
    if not permissions.can_manage_meetings(request.user, cell):
        raise Http404
    form = MeetingForm(request.POST or None, cell=cell)
    if request.method == "POST" and form.is_valid():
        try:
            meeting = services.meeting_schedule(
                actor=request.user, residence_cell=cell, **form.cleaned_data
            )
        except PermissionDenied as error:
            messages.error(request, refusal(error))
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(
                request,
                _("Meeting scheduled; %(count)d members invited.")
                % {"count": meeting.attendances.count()},
            )
            return redirect("residence:meeting_detail", pk=meeting.pk)
    return render(request, "residence/meeting_form.html", {"cell": cell, "form": form})


@login_required
def meeting_detail(request, pk: int):
    meeting = selectors.meeting_get(request.user, pk)
    rows = selectors.meeting_attendances(meeting, with_corrections=meeting.is_locked)
    can_manage = permissions.can_manage_meeting(request.user, meeting)
    counts = selectors.count_marks(rows)
    uninvited = (
        list(selectors.uninvited_referrals(meeting)) if can_manage and meeting.is_open else []
    )
    return render(
        request,
        "residence/meeting_detail.html",
        {
            "meeting": meeting,
            "rows": rows,
            "counts": counts,
            "unmarked": counts["invited"] + counts["will_be_absent"],
            "can_manage": can_manage,
            "uninvited": uninvited,
            "can_record": can_manage
            and meeting.is_open
            and meeting.held_on <= timezone.localdate(),
            "history": audit_history(meeting)[:HISTORY_ROWS],
        },
    )


# --- The attendance page -------------------------------------------------------------------------


@login_required
def attendance_mark(request, pk: int):
    """One row per invitee, three big buttons each; works as a plain form without JavaScript."""
    meeting = _managed_meeting(request, pk)
    if not meeting.is_open:
        messages.info(
            request, _("This list is confirmed and locked; corrections are made per row.")
        )
        return redirect("residence:meeting_detail", pk=meeting.pk)
    if meeting.held_on > timezone.localdate():
        # Nothing to mark before the day: the page says when it opens, with no buttons to press.
        return render(request, "residence/meeting_mark_closed.html", {"meeting": meeting})
    rows = selectors.meeting_attendances(meeting)
    if request.method == "POST":
        all_present = "all_present" in request.POST
        marks = marks_from_post(request.POST, rows, all_present=all_present)
        try:
            changed = services.attendance_record(actor=request.user, meeting=meeting, marks=marks)
        except (ValidationError, PermissionDenied) as error:
            messages.error(request, refusal(error))
            return redirect("residence:attendance_mark", pk=meeting.pk)
        messages.success(request, _("Saved: %(count)d marks changed.") % {"count": len(changed)})
        if all_present:
            return redirect("residence:attendance_mark", pk=meeting.pk)
        return redirect("residence:meeting_detail", pk=meeting.pk)
    return render(
        request,
        "residence/meeting_mark.html",
        {
            "meeting": meeting,
            "rows": rows,
            "choices": [
                (Attendance.Status.PRESENT, _("Present"), "success", "bi-check-lg"),
                (Attendance.Status.EXCUSED, _("Absent with reason"), "warning", "bi-envelope"),
                (Attendance.Status.UNEXCUSED, _("Absent without reason"), "danger", "bi-x-lg"),
            ],
        },
    )


@login_required
@require_POST
def meeting_confirm(request, pk: int):
    meeting = _managed_meeting(request, pk)
    try:
        services.meeting_confirm(actor=request.user, meeting=meeting)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, refusal(error))
    else:
        messages.success(request, _("The attendance list is confirmed and now locked."))
    return redirect("residence:meeting_detail", pk=meeting.pk)


@login_required
@require_POST
def meeting_invite(request, pk: int):
    meeting = _managed_meeting(request, pk)
    try:
        added = services.meeting_invite_new(actor=request.user, meeting=meeting)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, refusal(error))
    else:
        messages.success(request, _("%(count)d members added.") % {"count": len(added)})
    return redirect("residence:meeting_detail", pk=meeting.pk)


@login_required
def meeting_cancel(request, pk: int):
    meeting = _managed_meeting(request, pk)
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.meeting_cancel(
                actor=request.user, meeting=meeting, reason=form.cleaned_data["reason"]
            )
        except (ValidationError, PermissionDenied) as error:
            messages.error(request, refusal(error))
        else:
            messages.success(request, _("The meeting was cancelled."))
        return redirect("residence:meeting_detail", pk=meeting.pk)
    return render(request, "residence/meeting_cancel.html", {"meeting": meeting, "form": form})


@login_required
def meeting_move(request, pk: int):
    meeting = _managed_meeting(request, pk)
    form = MoveForm(
        request.POST or None,
        initial={
            "held_on": meeting.held_on,
            "starts_at": meeting.starts_at,
            "place": meeting.place,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.meeting_move(actor=request.user, meeting=meeting, **form.cleaned_data)
        except PermissionDenied as error:
            messages.error(request, refusal(error))
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("The meeting was moved; the invitees have been told."))
            return redirect("residence:meeting_detail", pk=meeting.pk)
    return render(request, "residence/meeting_move.html", {"meeting": meeting, "form": form})


@login_required
def attendance_correct(request, pk: int):
    attendance = selectors.attendance_get(request.user, pk)
    meeting = attendance.meeting
    if not permissions.can_manage_meeting(request.user, meeting):
        raise Http404
    if not meeting.is_locked:
        messages.info(request, _("The list is not confirmed yet; change the mark on this page."))
        return redirect("residence:attendance_mark", pk=meeting.pk)
    form = CorrectionForm(
        request.POST or None, initial={"status": attendance.status, "reason": attendance.reason}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.attendance_correct(
                actor=request.user, attendance=attendance, **form.cleaned_data
            )
        except PermissionDenied as error:
            messages.error(request, refusal(error))
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(
                request,
                _("The mark of %(member)s was corrected; the change is kept in the history.")
                % {"member": attendance.member},
            )
            return redirect("residence:meeting_detail", pk=meeting.pk)
    return render(
        request,
        "residence/meeting_correct.html",
        {"attendance": attendance, "meeting": meeting, "form": form},
    )


@login_required
def meeting_pdf(request, pk: int):
    meeting = selectors.meeting_get(request.user, pk)
    content = render_attendance_list(meeting, selectors.meeting_attendances(meeting))
    return pdf_response(content, f"danh-sach-du-sinh-hoat-{meeting.held_on:%Y-%m-%d}")


# --- The member's side ---------------------------------------------------------------------------


@login_required
def my_meetings(request):
    invitations = list(selectors.own_invitations(request.user)[:PER_PAGE])
    today = timezone.localdate()
    return render(
        request,
        "residence/meeting_my.html",
        {
            "upcoming": [a for a in invitations if a.meeting.is_ahead(today)],
            "past": [a for a in invitations if not a.meeting.is_ahead(today)],
            "form": AbsenceForm(),
            "own": invitations[0].member if invitations else None,
        },
    )


@login_required
@require_GET
def meeting_calendar_file(request, pk: int):
    """The member's invitation as a calendar file: the one their email carried."""
    attendance = selectors.own_attendance_get(request.user, pk)
    return calendar_response(
        attendance.meeting, attendee_name=attendance.member.full_name, user=request.user
    )


@login_required
@require_POST
def absence_announce(request, pk: int):
    attendance = selectors.own_attendance_get(request.user, pk)
    form = AbsenceForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Say why you will be absent."))
        services.attendance_announce_absence(
            actor=request.user, attendance=attendance, reason=form.cleaned_data["reason"]
        )
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, refusal(error))
    else:
        messages.success(request, _("The cell secretary has been told you will be absent."))
    return redirect("residence:my_meetings")


@login_required
@require_POST
def absence_withdraw(request, pk: int):
    attendance = selectors.own_attendance_get(request.user, pk)
    try:
        services.attendance_withdraw_absence(actor=request.user, attendance=attendance)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, refusal(error))
    else:
        messages.success(request, _("Your announced absence was taken back."))
    return redirect("residence:my_meetings")


@login_required
def member_attendance(request, member_pk: int):
    """A member's attendance for the year: what the annual comment prints."""
    member = selectors.member_for_attendance(request.user, member_pk)
    cells = selectors.member_cells(member)
    if not permissions.can_view_attendance_of(request.user, member, cells):
        raise Http404
    year = parse_year(request.GET.get("year"))
    return render(
        request,
        "residence/meeting_member_record.html",
        {
            "member": member,
            "year": year,
            "rows": selectors.member_year_attendance(member, year),
            "facts": selectors.attendance_facts(member_ids=[member.pk], year=year)[member.pk],
            "report_cells": [
                c for c in cells if permissions.can_report_nonparticipation(request.user, c)
            ],
            "reports": list(member.nonparticipation_reports.select_related("residence_cell")),
        },
    )


@login_required
def workplace_attendance(request):
    """The workplace side's members with their residence attendance for the year."""
    if Organisation.Side.WORKPLACE not in referral_sides(request.user):
        raise Http404
    year = parse_year(request.GET.get("year"))
    page = Paginator(selectors.workplace_referrals(request.user), PER_PAGE).get_page(
        request.GET.get("page")
    )
    facts = selectors.attendance_facts(member_ids=[r.member_id for r in page], year=year)
    return render(
        request,
        "residence/meeting_workplace.html",
        {
            "page": page,
            "rows": [(r, facts[r.member_id]) for r in page],
            "year": year,
            "query": f"year={year}",
        },
    )
