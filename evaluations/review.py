"""The commune committee's review of the cell's comments: certify them a cell at once or one
by one, compare a near-identical comment with those it resembles, return one for revision.

A near-identical comment is never certified in bulk: the page that compares it side by side
with the comments it resembles is the only form that certifies it.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe

from members.selectors import residence_cell_get
from partyreg.web import parse_id, parse_year, refusal

from . import permissions, selectors, services
from .forms import CommentReturnForm
from .models import CommentRequest

State = CommentRequest.State


@login_required
@require_POST
def comment_certify(request, pk: int):
    """Certify one comment; a near-identical one only with the comparison its page showed."""
    comment_request = selectors.request_get(request.user, pk)
    try:
        services.comment_certify(
            actor=request.user,
            request=comment_request,
            compared_with=parse_id(request.POST.get("compared_with")),
        )
    except ValidationError as error:
        messages.error(request, refusal(error))
        if error.code == "needs_comparison":
            return redirect("evaluations:comment_compare", pk=pk)
    except PermissionDenied as error:
        messages.error(request, refusal(error))
    else:
        messages.success(
            request,
            _("The comment on %(member)s was certified and returned to %(org)s.")
            % {"member": comment_request.member, "org": comment_request.workplace_org},
        )
    return redirect("evaluations:request_detail", pk=pk)


def _certified_message(certified: list, left_out: list, cell, back: str) -> str:
    parts = []
    if certified:
        parts.append(
            ngettext(
                "%(count)d comment of %(cell)s certified and returned to the workplace.",
                "%(count)d comments of %(cell)s certified and returned to the workplaces.",
                len(certified),
            )
            % {"count": len(certified), "cell": cell}
        )
    if left_out:
        parts.append(
            ngettext(
                "%(count)d near-identical comment was left out: certify it on its own page, "
                "after comparing it with the comments it resembles, or return it to the cell.",
                "%(count)d near-identical comments were left out: certify each on its own page, "
                "after comparing it with the comments it resembles, or return it to the cell.",
                len(left_out),
            )
            % {"count": len(left_out)}
        )
        return format_html(
            '{} <a class="alert-link" href="{}#near-identical">{}</a>',
            " ".join(parts),
            back,
            _("See them"),
        )
    return " ".join(parts)


@login_required
@require_POST
def certify_cell(request, cell_pk: int):
    """Certify the submitted comments of one residence cell in one year, near-identical ones
    left out (they are certified one by one)."""
    cell = residence_cell_get(request.user, cell_pk)
    year = parse_year(request.POST.get("year"))
    back = f"{reverse('evaluations:inbox')}?cell={cell.pk}&year={year}"
    requests = selectors.requests_to_certify(request.user, cell, year)
    if not requests:
        messages.error(request, _("%(cell)s has no submitted comment waiting.") % {"cell": cell})
        return redirect(back)
    try:
        result = services.comment_certify_many(actor=request.user, requests=requests)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, refusal(error))
    else:
        message = _certified_message(result.certified, result.left_out, cell, back)
        (messages.success if result.certified else messages.warning)(request, message)
    return redirect(back)


@login_required
@require_safe
def comment_compare(request, pk: int):
    """A near-identical comment beside the comments it resembles, for the commune committee,
    with the two ways out: certify it (having compared) or return it to the cell."""
    comment_request = selectors.request_get(request.user, pk)
    if not permissions.can_certify_comment(request.user, comment_request):
        raise Http404
    if comment_request.state != State.SUBMITTED or comment_request.similar_to_id is None:
        return redirect("evaluations:request_detail", pk=pk)
    similar = selectors.similar_comments(comment_request)
    columns = [(comment_request, None), *similar]
    answers = [{a.criterion.position: a for a in row.answers.all()} for row, _ratio in columns]
    criteria = [criterion for criterion, _answer in selectors.request_criteria(comment_request)]
    return render(
        request,
        "evaluations/comment_compare.html",
        {
            "comment_request": comment_request,
            "columns": columns,
            "rows": [
                (criterion, [by_position.get(criterion.position) for by_position in answers])
                for criterion in criteria
            ],
            "return_form": CommentReturnForm(),
        },
    )


@login_required
@require_POST
def comment_return(request, pk: int):
    """Send a submitted comment back to the residence cell, with the reason, for revision."""
    comment_request = selectors.request_get(request.user, pk)
    form = CommentReturnForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(
                [error for errors in form.errors.values() for error in errors], code="invalid"
            )
        services.comment_return(
            actor=request.user, request=comment_request, reason=form.cleaned_data["reason"]
        )
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, refusal(error))
    else:
        messages.success(
            request,
            _("The comment on %(member)s was returned to %(cell)s for revision.")
            % {"member": comment_request.member, "cell": comment_request.residence_cell},
        )
    return redirect("evaluations:request_detail", pk=pk)
