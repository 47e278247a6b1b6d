import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from members.models import MemberView, Organisation
from members.ordering import in_tree_order
from members.selectors import member_get, organisation_choices, own_member
from members.services import member_views_record
from partyreg.web import (
    apply_validation_error,
    next_path,
    parse_id,
    parse_ids,
    pdf_response,
    refusal,
)

from . import permissions, selectors, services
from .forms import AssignForm, ChangeForm, CloseForm, ReferralFilter, ReportForm
from .letters import render_letters
from .models import ChangeNotice, Referral

Side = Organisation.Side

PER_PAGE = 50


def _side_or_404(user, side: str) -> str:
    if side not in selectors.referral_sides(user):
        raise Http404
    return side


@login_required
def index(request):
    side = selectors.referral_side_with_work(request.user)
    if side:
        return redirect("residence:referral_list", side=side)
    own = own_member(request.user)
    if own is not None:
        return redirect("members:member_detail", pk=own.pk)
    raise Http404


@login_required
def referral_list(request, side: str):
    _side_or_404(request.user, side)
    queryset = selectors.referral_list(request.user, side)
    referral_filter = ReferralFilter(request.GET, queryset=queryset, user=request.user, side=side)
    filtered = referral_filter.qs
    paginator = Paginator(filtered, PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    commune_actions = side == Side.RESIDENCE and permissions.acts_for_a_commune(request.user)
    cells = selectors.assignable_cells(request.user) if commune_actions else None
    if cells:
        page.object_list = selectors.with_proposals(page.object_list, cells)
    counts = selectors.referral_counts(queryset)
    return render(
        request,
        "residence/referral_list.html",
        {
            "side": side,
            "sides": selectors.referral_sides(request.user),
            "filter": referral_filter,
            "page": page,
            "query": query.urlencode(),
            "counts": counts,
            "state_counts": [(v, label, counts[v]) for v, label in Referral.State.choices],
            "commune_actions": commune_actions,
            "cells": cells,
        },
    )


@login_required
@require_POST
def referral_bulk(request, side: str):
    """Receive or assign many referrals at once, from the residence list's checkboxes."""
    _side_or_404(request.user, side)
    back = next_path(
        request, request.POST.get("next"), reverse("residence:referral_list", args=[side])
    )
    ids = parse_ids(request.POST.getlist("ids"))
    action = request.POST.get("action")
    if not ids:
        messages.error(request, _("Tick at least one referral, then choose the action again."))
        return redirect(back)
    referrals = selectors.referrals_acting(request.user, side, ids)
    if len(referrals) != len(set(ids)):
        messages.error(
            request,
            _("Some of the ticked referrals are outside your organisation; nothing was changed."),
        )
        return redirect(back)
    try:
        if action == "receive":
            done = services.referral_receive_many(actor=request.user, referrals=referrals)
            messages.success(
                request, _("Receipt recorded for %(count)d referrals.") % {"count": len(done)}
            )
        elif action == "assign":
            cell = selectors.residence_cell_for(
                request.user, parse_id(request.POST.get("residence_cell"))
            )
            if cell is None:
                raise ValidationError(_("Choose the residence cell to assign the members to."))
            done = services.referral_assign_many(
                actor=request.user, referrals=referrals, residence_cell=cell
            )
            messages.success(
                request,
                _("%(count)d members assigned to %(cell)s.") % {"count": len(done), "cell": cell},
            )
        elif action == "assign_rows":
            done = services.referral_assign_each(
                actor=request.user, assignments=_cells_chosen_per_row(request, referrals)
            )
            messages.success(
                request,
                _("%(count)d members assigned, each to the cell chosen on their row.")
                % {"count": len(done)},
            )
        else:
            raise ValidationError(_("Choose an action for the ticked referrals."))
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, refusal(error))
    return redirect(back)


def _cells_chosen_per_row(request, referrals) -> list[tuple[Referral, Organisation]]:
    """The cell chosen in each ticked row's menu (``cell_<referral id>``), among the user's."""
    chosen = {r.pk: parse_id(request.POST.get(f"cell_{r.pk}")) for r in referrals}
    cells = {
        c.pk: c
        for c in selectors.residence_cells_for(request.user).filter(
            pk__in=[pk for pk in chosen.values() if pk]
        )
    }
    missing = [r.member.full_name for r in referrals if chosen[r.pk] not in cells]
    if missing:
        raise ValidationError(
            _("Choose a residence cell on the row of %(members)s, or untick it.")
            % {"members": ", ".join(missing)}
        )
    return [(r, cells[chosen[r.pk]]) for r in referrals]


@login_required
def referral_detail(request, pk: int):
    referral = selectors.referral_get(request.user, pk)
    user = request.user
    can_assign = referral.state == Referral.State.RECEIVED and permissions.can_assign_referral(
        user, referral
    )
    proposal = (
        selectors.proposal_for(referral, selectors.assignable_cells(user, referral.commune))
        if can_assign
        else None
    )
    return render(
        request,
        "residence/referral_detail.html",
        {
            "referral": referral,
            "can_receive": referral.state == Referral.State.ISSUED
            and permissions.can_receive_referral(user, referral),
            "assign_form": AssignForm(
                cells=selectors.residence_cells_for(user, referral.commune),
                initial={"residence_cell": proposal.cell.pk if proposal else None},
            )
            if can_assign
            else None,
            "proposal": proposal,
            "report_form": ReportForm()
            if referral.state == Referral.State.ASSIGNED
            and permissions.can_report_referral(user, referral)
            else None,
            "can_close": referral.is_live and permissions.can_close_referral(user, referral),
            "can_record_change": referral.is_live
            and permissions.can_record_change(user, referral.member),
        },
    )


def _act(request, pk: int, action) -> HttpResponse:
    """Loads the referral (404 to outsiders), calls the service, reports the outcome."""
    referral = selectors.referral_get(request.user, pk)
    try:
        message = action(referral)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, refusal(error))
    else:
        messages.success(request, message)
    return redirect("residence:referral_detail", pk=referral.pk)


@login_required
@require_POST
def referral_receive(request, pk: int):
    def action(referral):
        services.referral_receive(actor=request.user, referral=referral)
        return _("Receipt of referral %(number)s recorded. Now assign %(member)s to a cell.") % {
            "number": referral.number_display,
            "member": referral.member,
        }

    return _act(request, pk, action)


@login_required
@require_POST
def referral_assign(request, pk: int):
    def action(referral):
        form = AssignForm(
            request.POST, cells=selectors.residence_cells_for(request.user, referral.commune)
        )
        if not form.is_valid():
            raise ValidationError(_("Choose one of the commune's residence cells."))
        cell = form.cleaned_data["residence_cell"]
        services.referral_assign(actor=request.user, referral=referral, residence_cell=cell)
        return _("%(member)s was assigned to %(cell)s.") % {"member": referral.member, "cell": cell}

    return _act(request, pk, action)


@login_required
@require_POST
def referral_report(request, pk: int):
    def action(referral):
        form = ReportForm(request.POST)
        if not form.is_valid():
            raise ValidationError(_("Give the date the member presented themselves."))
        services.referral_report(
            actor=request.user,
            referral=referral,
            presented_on=form.cleaned_data["presented_on"],
        )
        return _("Recorded that %(member)s presented themselves.") % {"member": referral.member}

    return _act(request, pk, action)


@login_required
def referral_close(request, pk: int):
    referral = selectors.referral_get(request.user, pk)
    if not permissions.can_close_referral(request.user, referral):
        messages.error(request, _("Only the member's workplace committee can close a referral."))
        return redirect("residence:referral_detail", pk=referral.pk)
    form = CloseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.referral_close(
                actor=request.user,
                referral=referral,
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"],
            )
        except (ValidationError, PermissionDenied) as error:
            messages.error(request, refusal(error))
        else:
            messages.success(request, _("The referral was closed."))
        return redirect("residence:referral_detail", pk=referral.pk)
    return render(request, "residence/referral_close.html", {"referral": referral, "form": form})


@login_required
@require_POST
def referral_issue(request, member_pk: int):
    member = member_get(request.user, member_pk)
    try:
        referral = services.referral_issue(actor=request.user, member=member)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, refusal(error))
        return redirect("members:member_detail", pk=member.pk)
    messages.success(
        request,
        _("Referral %(number)s issued to %(commune)s.")
        % {"number": referral.number_display, "commune": referral.commune},
    )
    return redirect("residence:referral_detail", pk=referral.pk)


@login_required
def referral_issue_many(request):
    """Pick members without a live referral (a whole cell with “select all”) and issue at once."""
    _side_or_404(request.user, Side.WORKPLACE)
    organisations = organisation_choices(request.user, None).exclude(
        kind__in=["commune", "residence_cell"]
    )
    organisation_id = parse_id(request.GET.get("organisation"))
    organisation = organisations.filter(pk=organisation_id).first() if organisation_id else None
    if request.method == "POST":
        ids = parse_ids(request.POST.getlist("ids"))
        members = list(selectors.members_in_workplace_scope(request.user).filter(pk__in=ids))
        if len(members) != len(set(ids)):
            messages.error(
                request,
                _("Some of the ticked members are outside your organisation; nothing was issued."),
            )
            return redirect(request.get_full_path())
        if not members:
            messages.error(request, _("Tick at least one member, then press “Issue” again."))
            return redirect(request.get_full_path())
        try:
            result = services.referral_issue_many(actor=request.user, members=members)
        except (ValidationError, PermissionDenied) as error:
            messages.error(request, refusal(error))
            return redirect(request.get_full_path())
        if result.issued:
            messages.success(
                request, _("%(count)d referrals issued.") % {"count": len(result.issued)}
            )
        return render(request, "residence/referral_issue_done.html", {"result": result})
    members = selectors.members_awaiting_referral(request.user, organisation)
    paginator = Paginator(members, 200)
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "residence/referral_issue.html",
        {"organisations": in_tree_order(organisations), "organisation": organisation, "page": page},
    )


@login_required
def referral_letter(request, pk: int):
    referral = selectors.referral_get(request.user, pk)
    content = render_letters([referral])
    member_views_record(user=request.user, members=[referral.member], via=MemberView.Via.LETTER)
    return pdf_response(content, f"giay-gioi-thieu-{referral.number}-{referral.year}")


@login_required
def referral_letters(request):
    """All letters of a batch (GET ``?batch=``) or of the referrals ticked in a list (POST)."""
    batch = request.GET.get("batch")
    if batch:
        try:
            batch = uuid.UUID(batch)
        except ValueError as error:
            raise Http404 from error
        referrals = list(selectors.referrals_for_letters(request.user, batch=batch))
    else:
        ids = parse_ids(request.POST.getlist("ids"))
        referrals = list(selectors.referrals_for_letters(request.user, ids=ids))
    if not referrals:
        messages.error(request, _("Tick the referrals whose letters you want to print."))
        return redirect("residence:index")
    content = render_letters(referrals)
    member_views_record(
        user=request.user, members=[r.member for r in referrals], via=MemberView.Via.LETTER
    )
    return pdf_response(content, "giay-gioi-thieu")


# --- Changes -----------------------------------------------------------------------------------


@login_required
def change_record(request, member_pk: int):
    member = member_get(request.user, member_pk)
    if not permissions.can_record_change(request.user, member):
        raise Http404
    form = ChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            notice = services.change_record(
                actor=request.user,
                member=member,
                kind=data["kind"],
                effective_on=data["effective_on"],
                details=data["details"],
                residence_address=data["residence_address"],
                residence_commune=data["residence_commune"],
                workplace_org=data["workplace_org"],
            )
        except PermissionDenied as error:
            messages.error(request, refusal(error))
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _change_message(notice))
            return redirect("members:member_detail", pk=member.pk)
    return render(request, "residence/change_record.html", {"member": member, "form": form})


def _change_message(notice: ChangeNotice) -> str:
    parts = [_("The change was recorded.")]
    if notice.commune_id:
        parts.append(_("%(commune)s has been notified.") % {"commune": notice.commune})
    if notice.new_referral_id:
        parts.append(
            _("A new referral was issued to %(commune)s.")
            % {"commune": notice.new_referral.commune}
        )
    return " ".join(parts)


@login_required
def notice_list(request, side: str):
    _side_or_404(request.user, side)
    notices = selectors.notice_list(request.user, side)
    pending = request.GET.get("pending") == "1"
    if pending:
        notices = notices.filter(acknowledged_at__isnull=True)
    page = Paginator(notices, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "residence/notice_list.html",
        {
            "side": side,
            "sides": selectors.referral_sides(request.user),
            "page": page,
            "pending": pending,
            "query": "pending=1" if pending else "",
            "pending_count": selectors.notice_list(request.user, side)
            .filter(acknowledged_at__isnull=True)
            .count(),
        },
    )


@login_required
@require_POST
def notice_acknowledge(request, pk: int):
    notice = selectors.notice_get(request.user, pk)
    try:
        services.change_notice_acknowledge(actor=request.user, notice=notice)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, refusal(error))
    else:
        messages.success(
            request,
            _("Notice about %(member)s acknowledged.") % {"member": notice.member},
        )
    return redirect("residence:notice_list", side=Side.RESIDENCE)
