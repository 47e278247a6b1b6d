"""The compliance dashboard pages, its spreadsheet and its yearly report."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from members.models import Organisation
from partyreg.web import parse_year, pdf_response

from . import (
    MEMBER_COLUMNS,
    attendance_by_month,
    breadcrumbs,
    chart_side,
    charts,
    dashboard,
    dashboard_organisation,
    dashboard_roots,
    is_leaf,
    member_rows,
    next_sorts,
    progress_stages,
    report,
    sort_rows,
)

Side = Organisation.Side

YEARS_SHOWN = 3


def _member_side(request, organisation) -> str | None:
    """The side whose members are listed, or None when the rows are organisations."""
    if is_leaf(organisation):
        return (
            Side.RESIDENCE
            if organisation.kind == organisation.Kind.RESIDENCE_CELL
            else Side.WORKPLACE
        )
    direct = request.GET.get("direct")
    return direct if direct in (Side.WORKPLACE, Side.RESIDENCE) else None


@require_GET
@login_required
def dashboard_index(request):
    roots = dashboard_roots(request.user)
    if not roots:
        # The menu shows the link to everyone; a member without a committee role is told why
        # there is nothing here rather than shown an error.
        messages.info(
            request,
            _(
                "The compliance figures are for committees: your account has no role in an "
                "organisation. Your own Party life is on the home page."
            ),
        )
        return redirect("home")
    if len(roots) == 1:
        return redirect("evaluations:dashboard", pk=roots[0].pk)
    return render(request, "evaluations/dashboard_index.html", {"roots": roots})


@require_GET
@login_required
def dashboard_view(request, pk: int):
    organisation = dashboard_organisation(request.user, pk)
    year = parse_year(request.GET.get("year"))
    this_year = timezone.localdate().year
    context = {
        "organisation": organisation,
        "year": year,
        "years": list(range(this_year, this_year - YEARS_SHOWN, -1)),
        "breadcrumbs": breadcrumbs(request.user, organisation),
        "query": request.GET.urlencode(),
    }
    side = _member_side(request, organisation)
    if side is not None:
        context.update(
            side=side,
            member_rows=member_rows(
                organisation, year, side=side, direct=not is_leaf(organisation)
            ),
            member_columns=MEMBER_COLUMNS,
            direct=not is_leaf(organisation),
            direct_side="" if is_leaf(organisation) else side,
        )
        return render(request, "evaluations/dashboard_members.html", context)

    board = dashboard(organisation, year)
    sort = request.GET.get("sort")
    for table in board.tables:
        table.rows, context["sort"] = sort_rows(table.rows, sort)
    figures_side = chart_side(organisation)
    totals = board.totals.get(figures_side) or next(iter(board.totals.values()))
    context.update(
        board=board,
        progress_chart=charts.progress_bars(
            _("Progress through the year"), progress_stages(totals, figures_side)
        ),
        month_chart=charts.month_bars(
            _("Attendance rate by month"), attendance_by_month(organisation, year, figures_side)
        ),
        next_sorts=next_sorts(context["sort"]),
    )
    return render(request, "evaluations/dashboard.html", context)


@require_GET
@login_required
def dashboard_export(request, pk: int):
    organisation = dashboard_organisation(request.user, pk)
    year = parse_year(request.GET.get("year"))
    side = _member_side(request, organisation)
    if side is not None:
        rows = member_rows(organisation, year, side=side, direct=not is_leaf(organisation))
        content = report.members_xlsx(organisation, year, rows)
    else:
        # Never the stale figures a busy page may show: a spreadsheet is kept and passed on.
        board = dashboard(organisation, year, live=True)
        sort = request.GET.get("sort")
        for table in board.tables:
            table.rows, _sort = sort_rows(table.rows, sort)
        content = report.dashboard_xlsx(board)
    response = HttpResponse(
        content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="quy-dinh-213-{organisation.pk}-{year}.xlsx"'
    )
    return response


@require_GET
@login_required
def dashboard_report(request, pk: int):
    organisation = dashboard_organisation(request.user, pk)
    year = parse_year(request.GET.get("year"))
    # A committee signs this report: counted now, whatever the page shows.
    board = dashboard(organisation, year, live=True)
    for table in board.tables:
        table.rows, _sort = sort_rows(table.rows, "name")
    response = pdf_response(
        report.report_pdf(board), f"bao-cao-quy-dinh-213-{organisation.pk}-{year}"
    )
    return response
