"""Import and export of the member list as Excel (.xlsx) files."""

import tempfile

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from .. import services as member_services
from ..filters import MemberFilter
from ..models import MemberImport, MemberView
from ..permissions import can_import_members, has_any_role
from ..selectors import member_list
from . import ImportHasErrors, import_limits, write_members, write_template
from . import services as import_services

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PREVIEW_ROWS_PER_PAGE = 200


class MemberImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Member list (.xlsx)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx," + XLSX_TYPE}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("upload", gettext_lazy("Check the file")))


def _require_importer(user) -> None:
    if not can_import_members(user):
        raise Http404


def _xlsx_response(write, filename: str) -> FileResponse:
    # openpyxl writes the rows to disk as they come; the finished file streams from disk and
    # FileResponse closes (so deletes) it when sent.
    spool = tempfile.TemporaryFile()  # noqa: SIM115 (outlives this function)
    try:
        write(spool)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return FileResponse(spool, as_attachment=True, filename=filename, content_type=XLSX_TYPE)


def _logged_as_viewed(members, user, batch_size: int = 2000):
    """Passes ``members`` through, writing each into the log of who viewed which record (an
    export shows every record it holds), one INSERT per batch."""
    batch = []
    for member in members:
        batch.append(member)
        yield member
        if len(batch) >= batch_size:
            member_services.member_views_record(user=user, members=batch, via=MemberView.Via.EXPORT)
            batch = []
    if batch:
        member_services.member_views_record(user=user, members=batch, via=MemberView.Via.EXPORT)


@login_required
@require_http_methods(["GET", "POST"])
def member_import(request):
    _require_importer(request.user)
    form = MemberImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            member_import = import_services.member_import_create(
                actor=request.user, upload=form.cleaned_data["file"]
            )
        except ValidationError as error:
            form.add_error("file", error)
        else:
            return redirect("members:member_import_preview", pk=member_import.pk)
    max_bytes, max_rows = import_limits()
    return render(
        request,
        "members/member_import.html",
        {"form": form, "max_megabytes": max_bytes / (1024 * 1024), "max_rows": max_rows},
    )


@login_required
@require_http_methods(["GET", "POST"])
def member_import_preview(request, pk: int):
    _require_importer(request.user)
    member_import = get_object_or_404(MemberImport, pk=pk, created_by=request.user)
    summary = member_import.summary
    if request.method == "POST":
        try:
            if request.POST.get("action") == "discard":
                import_services.member_import_discard(
                    actor=request.user, member_import=member_import
                )
                messages.info(request, _("The import was discarded; nothing was changed."))
                return redirect("members:member_import")
            member_import = import_services.member_import_apply(
                actor=request.user, member_import=member_import
            )
        except ImportHasErrors as error:
            # The members changed since the preview: show the file's errors as they are now.
            summary = error.plan.summary()
            messages.error(request, error.messages[0])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            counts = member_import.summary["counts"]
            messages.success(
                request,
                _("The list was imported: %(new)d members added, %(updated)d updated.") % counts,
            )
            return redirect("members:member_list")
    page = Paginator(summary.get("rows", []), PREVIEW_ROWS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "members/member_import_preview.html",
        {
            "member_import": member_import,
            "summary": summary,
            "counts": summary.get("counts", {}),
            "errors": summary.get("errors", []),
            "hidden_errors": summary.get("error_count", 0) - len(summary.get("errors", [])),
            "page": page,
            "can_apply": member_import.status == MemberImport.Status.PREVIEWED
            and not summary.get("error_count"),
        },
    )


@login_required
def member_import_template(request):
    _require_importer(request.user)
    return _xlsx_response(write_template, "mau-danh-sach-dang-vien.xlsx")


@login_required
def member_export(request):
    if not has_any_role(request.user):
        raise Http404
    member_filter = MemberFilter(request.GET, queryset=member_list(request.user), user=request.user)
    members = _logged_as_viewed(member_filter.qs.iterator(chunk_size=2000), request.user)
    filename = f"danh-sach-dang-vien-{timezone.localdate():%Y%m%d}.xlsx"
    return _xlsx_response(lambda spool: write_members(members, spool), filename)
