from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from members.models import Organisation
from members.ordering import parent_path
from members.permissions import can_view_member
from members.selectors import residence_cell_get
from partyreg.text import natural_key
from partyreg.web import apply_validation_error, next_path, parse_id, parse_year, refusal
from residence.meetings.selectors import attendance_facts, meetings_required

from . import permissions, selectors, services, similarity
from .forms import (
    CampaignOpenForm,
    CommentForm,
    CommentReturnForm,
    GradeForm,
    RequestCreateForm,
    SittingForm,
)
from .models import Campaign, CommentRequest, Grade
from .signatures.selectors import awaits_signature

Side = Organisation.Side

PER_PAGE = 100
State = CommentRequest.State


def _side_or_404(user, side: str) -> None:
    if side not in selectors.campaign_sides(user):
        raise Http404


@login_required
def index(request):
    side = selectors.campaign_side_with_work(request.user)
    if side is None:
        raise Http404
    if side == Side.RESIDENCE:
        return redirect("evaluations:inbox")
    return redirect("evaluations:campaign_list")


# --- Workplace side ----------------------------------------------------------------------------


@login_required
def campaign_list(request):
    _side_or_404(request.user, Side.WORKPLACE)
    page = Paginator(selectors.campaign_list(request.user), 50).get_page(request.GET.get("page"))
    counts = selectors.campaign_counts(request.user, page.object_list)
    return render(
        request,
        "evaluations/campaign_list.html",
        {
            "page": page,
            "rows": [(c, counts.get(c.pk, {})) for c in page.object_list],
            "sides": selectors.campaign_sides(request.user),
            "can_open": permissions.acts_for_workplace(request.user),
        },
    )


@login_required
def campaign_open(request):
    organisations = selectors.campaign_organisations(request.user)
    if not organisations.exists():
        raise Http404
    form = CampaignOpenForm(request.POST or None, organisations=organisations)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = services.campaign_open(
                actor=request.user,
                organisation=data["organisation"],
                year=data["year"],
                due_on=data["due_on"],
            )
        except PermissionDenied as error:
            form.add_error(None, refusal(error))
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            count, cells = len(result.requests), result.cells
            parts = [
                ngettext(
                    "%(count)d comment requested from %(cells)d residence cell(s).",
                    "%(count)d comments requested from %(cells)d residence cell(s).",
                    count,
                )
                % {"count": count, "cells": cells}
            ]
            if result.exempt:
                parts.append(
                    ngettext(
                        "%(count)d exempt member was not included; request their comment one by "
                        "one when a procedure needs it.",
                        "%(count)d exempt members were not included; request their comment one "
                        "by one when a procedure needs it.",
                        len(result.exempt),
                    )
                    % {"count": len(result.exempt)}
                )
            if result.already_requested:
                parts.append(
                    ngettext(
                        "%(count)d member had already been asked this year.",
                        "%(count)d members had already been asked this year.",
                        result.already_requested,
                    )
                    % {"count": result.already_requested}
                )
            messages.success(request, " ".join(parts))
            return redirect("evaluations:campaign_detail", pk=result.campaign.pk)
    return render(request, "evaluations/campaign_open.html", {"form": form})


@login_required
def campaign_detail(request, pk: int):
    campaign = selectors.campaign_get(request.user, pk)
    requests = selectors.workplace_requests(request.user, campaign)
    counts = selectors.request_counts(requests)
    shown = request.GET.get("show", "")
    if shown == "similar":
        requests = requests.filter(similar_to__isnull=False)
    elif shown == "overdue":
        requests = requests.filter(selectors.overdue_q())
    elif shown in State.values:
        requests = requests.filter(state=shown)
    page = Paginator(requests, PER_PAGE).get_page(request.GET.get("page"))
    is_open = campaign.state == Campaign.State.OPEN
    return render(
        request,
        "evaluations/campaign_detail.html",
        {
            "campaign": campaign,
            "page": page,
            "counts": counts,
            "shown": shown,
            "query": f"show={shown}" if shown else "",
            "can_close": is_open and permissions.can_close_campaign(request.user, campaign),
            "can_request": is_open and permissions.acts_for_workplace(request.user),
            "grade_levels": Grade.Level.choices,
        },
    )


@login_required
@require_POST
def campaign_close(request, pk: int):
    campaign = selectors.campaign_get(request.user, pk)
    try:
        services.campaign_close(actor=request.user, campaign=campaign)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, refusal(error))
    else:
        messages.success(request, _("The campaign was closed."))
    return redirect("evaluations:campaign_detail", pk=campaign.pk)


@login_required
def request_create(request, pk: int):
    """Ask for one member's comment: an exempt member for a procedure, or a late placement."""
    campaign = selectors.campaign_get(request.user, pk)
    if not permissions.acts_for_workplace(request.user):
        raise Http404
    form = RequestCreateForm(
        request.POST or None, members=selectors.members_to_request(request.user, campaign)
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = services.comment_request_create(
                actor=request.user,
                campaign=campaign,
                member=data["member"],
                reason=data["reason"],
                reason_note=data["reason_note"],
            )
        except PermissionDenied as error:
            form.add_error(None, refusal(error))
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(
                request,
                _("Comment on %(member)s requested from %(cell)s.")
                % {"member": created.member, "cell": created.residence_cell},
            )
            return redirect("evaluations:request_detail", pk=created.pk)
    return render(request, "evaluations/request_create.html", {"campaign": campaign, "form": form})


# --- Residence side ----------------------------------------------------------------------------


@login_required
def inbox(request):
    """The residence side's requests of one year: per cell, then per workplace organisation."""
    user = request.user
    _side_or_404(user, Side.RESIDENCE)
    years = selectors.residence_years(user)
    this_year = timezone.localdate().year
    year = parse_year(request.GET.get("year"), years[0] if years else this_year)
    requests = selectors.residence_requests(user, year)
    cell_pk = parse_id(request.GET.get("cell"))
    cells = sorted(
        requests.order_by()
        .values("residence_cell_id", "residence_cell__name", "residence_cell__path")
        .annotate(
            total=Count("id"),
            to_do=Count("id", filter=Q(state__in=CommentRequest.WITH_CELL)),
            submitted=Count("id", filter=Q(state=State.SUBMITTED)),
            certified=Count("id", filter=Q(state=State.CERTIFIED)),
            overdue=Count("id", filter=selectors.overdue_q()),
        ),
        # Each commune's cells together, by name (2 before 10).
        key=lambda c: (
            parent_path(c["residence_cell__path"]),
            natural_key(c["residence_cell__name"]),
        ),
    )
    if cell_pk is None and len(cells) == 1:
        cell_pk = cells[0]["residence_cell_id"]
    context = {"year": year, "years": years or [this_year], "cells": cells, "cell": None}
    context["sides"] = selectors.campaign_sides(user)
    if cell_pk is not None:
        cell = residence_cell_get(user, cell_pk)
        rows = list(requests.filter(residence_cell=cell))
        groups = selectors.group_requests(rows)
        context.update(
            cell=cell,
            group=groups[0] if groups else None,
            sittings=selectors.sittings_of([cell.pk], year),
            can_record_sitting=permissions.can_record_sitting(user, cell),
            can_certify=bool(rows) and permissions.can_certify_comment(user, rows[0]),
        )
    elif not cells:
        own_cells = list(selectors.residence_cells(user)[:2])
        context["empty_cell"] = own_cells[0] if len(own_cells) == 1 else None
    return render(request, "evaluations/request_inbox.html", context)


@login_required
def sitting_create(request, cell_pk: int):
    cell = selectors.cell_get(request.user, cell_pk)
    form = SittingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            sitting = services.sitting_record(actor=request.user, residence_cell=cell, **data)
        except PermissionDenied as error:
            form.add_error(None, refusal(error))
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(
                request,
                _("Sitting of %(date)s recorded. You can now submit comments agreed in it.")
                % {"date": sitting.held_on.strftime("%d/%m/%Y")},
            )
            inbox = f"{reverse('evaluations:inbox')}?cell={cell.pk}&year={sitting.year}"
            return redirect(next_path(request, request.GET.get("next"), inbox))
    return render(request, "evaluations/sitting_create.html", {"cell": cell, "form": form})


def _comment_form(request, comment_request: CommentRequest, data=None) -> CommentForm:
    criteria = [c for c, _answer in selectors.request_criteria(comment_request)]
    answers = {a.criterion_id: a for a in comment_request.answers.all()}
    sittings = selectors.request_sittings(comment_request)
    return CommentForm(
        data,
        criteria=criteria,
        sittings=sittings,
        answers=answers,
        initial={
            "sitting": comment_request.sitting_id,
            "other_comments": comment_request.other_comments,
        },
    )


def _similar_warning(comment_request: CommentRequest, answer_comments, other_comments):
    text = similarity.comment_text(answer_comments, other_comments)
    match = similarity.find_similar(
        residence_cell_id=comment_request.residence_cell_id,
        year=comment_request.campaign.year,
        text=text,
        exclude_id=comment_request.pk,
    )
    return match if similarity.is_flagged(match) else None


@login_required
def comment_edit(request, pk: int):
    """The residence cell fills the sheet: a level and a comment per criterion, then submits."""
    comment_request = selectors.request_get(request.user, pk)
    if not permissions.can_write_comment(request.user, comment_request):
        raise Http404
    if not comment_request.is_with_cell:
        messages.info(
            request,
            _("The comment on %(member)s was already submitted.")
            % {"member": comment_request.member},
        )
        return redirect("evaluations:request_detail", pk=pk)
    form = _comment_form(request, comment_request, request.POST or None)
    warning, confirm_similar = None, False
    if request.method == "POST" and form.is_valid():
        action = request.POST.get("action", "draft")
        answer_comments, other_comments = form.free_text()
        warning = _similar_warning(comment_request, answer_comments, other_comments)
        arguments = {
            "actor": request.user,
            "request": comment_request,
            "answers": form.answers(),
            "other_comments": form.cleaned_data["other_comments"],
            "sitting": form.cleaned_data["sitting"],
        }
        try:
            if action == "draft":
                services.comment_save_draft(**arguments)
                messages.success(request, _("Draft saved. Submit when the cell has agreed it."))
                return redirect("evaluations:comment_edit", pk=pk)
            if action == "submit" and warning is not None:
                confirm_similar = True
            else:
                services.comment_submit(**arguments)
                messages.success(
                    request,
                    _("The comment on %(member)s was sent to the commune committee.")
                    % {"member": comment_request.member},
                )
                if awaits_signature(comment_request, "cell"):
                    # The cell signs outside the site: on to the sheet's download and upload.
                    return redirect("evaluations:signed_document", "sheet", pk)
                return redirect(
                    f"{reverse('evaluations:inbox')}?cell={comment_request.residence_cell_id}"
                    f"&year={comment_request.campaign.year}"
                )
        except PermissionDenied as error:
            form.add_error(None, refusal(error))
        except ValidationError as error:
            apply_validation_error(form, error)
    elif request.method == "GET":
        answers = {a.criterion_id: a.comment for a in comment_request.answers.all()}
        warning = _similar_warning(
            comment_request,
            [answers.get(c.pk, "") for c in form.criteria],
            comment_request.other_comments,
        )
    facts = attendance_facts(
        member_ids=[comment_request.member_id], year=comment_request.campaign.year
    )[comment_request.member_id]
    # The rounds the commune sent back, prefetched by request_get: the cell reads the last.
    returns = list(comment_request.returns.all()) if comment_request.state == State.RETURNED else []
    return render(
        request,
        "evaluations/comment_edit.html",
        {
            "comment_request": comment_request,
            "form": form,
            "facts": facts,
            "meetings_required": meetings_required(),
            "warning": warning,
            "confirm_similar": confirm_similar,
            "last_return": returns[-1] if returns else None,
            "sitting_url": reverse(
                "evaluations:sitting_create", args=[comment_request.residence_cell_id]
            )
            + f"?next={request.path}",
            "can_record_sitting": permissions.can_record_sitting(
                request.user, comment_request.residence_cell
            ),
        },
    )


# --- A request, from either side -----------------------------------------------------------


def _detail(request, comment_request: CommentRequest, grade_form=None, status=200):
    user = request.user
    grade = selectors.request_grade(comment_request)
    can_grade = comment_request.state == State.CERTIFIED and permissions.can_grade_member(
        user, comment_request
    )
    can_certify = comment_request.state == State.SUBMITTED and permissions.can_certify_comment(
        user, comment_request
    )
    if can_grade and grade_form is None:
        grade_form = GradeForm(
            initial={"level": grade.level, "points": grade.points} if grade else None
        )
    return render(
        request,
        "evaluations/request_detail.html",
        {
            "comment_request": comment_request,
            "campaign": comment_request.campaign,
            "rows": selectors.request_criteria(comment_request),
            "grade": grade,
            "grade_form": grade_form if can_grade else None,
            "can_write": comment_request.is_with_cell
            and permissions.can_write_comment(user, comment_request),
            "can_certify": can_certify,
            # A near-identical comment is certified only from the page that compares it.
            "must_compare": can_certify and comment_request.similar_to_id is not None,
            "return_form": CommentReturnForm() if can_certify else None,
            "returns": comment_request.returns.all(),
            "meetings_required": meetings_required(),
            "can_view_member": can_view_member(user, comment_request.member),
            "print_url": reverse("evaluations:sheet_pdf", args=[comment_request.pk])
            if comment_request.state == State.CERTIFIED
            else None,
        },
        status=status,
    )


@login_required
def request_detail(request, pk: int):
    return _detail(request, selectors.request_get(request.user, pk))


@login_required
@require_POST
def grade_record(request, pk: int):
    comment_request = selectors.request_get(request.user, pk)
    form = GradeForm(request.POST)
    if form.is_valid():
        try:
            services.grade_record(
                actor=request.user,
                request=comment_request,
                level=form.cleaned_data["level"],
                points=form.cleaned_data["points"],
            )
        except PermissionDenied as error:
            messages.error(request, refusal(error))
            return redirect("evaluations:request_detail", pk=pk)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(
                request,
                _("Grade of %(member)s for %(year)d recorded.")
                % {"member": comment_request.member, "year": comment_request.campaign.year},
            )
            return redirect("evaluations:request_detail", pk=pk)
    return _detail(request, comment_request, grade_form=form, status=400)
