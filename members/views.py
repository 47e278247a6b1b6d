from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from partyreg.audit import audit_history
from partyreg.web import apply_validation_error, refusal

from . import services
from .filters import MemberFilter
from .forms import MemberForm, OrganisationMergeForm, OrganisationMoveForm, ResidenceAreaForm
from .models import MemberView, Organisation
from .permissions import (
    can_add_member_to,
    can_change_member,
    can_import_members,
    can_manage_residence_areas,
    can_restructure_organisation,
    can_see_member_views,
    has_any_role,
)
from .selectors import (
    member_get,
    member_list,
    member_view_log,
    organisation_get,
    organisation_outline,
    organisation_roots,
    own_member,
    residence_area_get,
)

MEMBERS_PER_PAGE = 50


def _check_may_place(user, organisation: Organisation) -> None:
    if not can_add_member_to(user, organisation):
        raise ValidationError(
            {"workplace_org": _("You may not add members to “%(org)s”.") % {"org": organisation}}
        )


def _require_committee(user) -> None:
    if not has_any_role(user):
        raise Http404


@login_required
def member_list_view(request):
    if not has_any_role(request.user):
        own = own_member(request.user)
        if own:
            return redirect("members:member_detail", pk=own.pk)
        raise Http404
    member_filter = MemberFilter(request.GET, queryset=member_list(request.user), user=request.user)
    paginator = Paginator(member_filter.qs, MEMBERS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "members/member_list.html",
        {
            "filter": member_filter,
            "page": page,
            "query": query.urlencode(),
            "can_import": can_import_members(request.user),
        },
    )


@login_required
def member_detail(request, pk: int):
    member = member_get(request.user, pk)
    services.member_views_record(user=request.user, members=[member], via=MemberView.Via.PAGE)
    return render(
        request,
        "members/member_detail.html",
        {
            "member": member,
            "history": audit_history(member)[:200],
            "can_change": can_change_member(request.user, member),
            "can_see_views": can_see_member_views(request.user, member),
        },
    )


MEMBER_VIEWS_PER_PAGE = 100


@login_required
def member_views(request, pk: int):
    """Who opened this member's record, newest first."""
    member = member_get(request.user, pk)
    if not can_see_member_views(request.user, member):
        raise Http404
    page = Paginator(member_view_log(member), MEMBER_VIEWS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "members/member_views.html", {"member": member, "page": page})


@login_required
def member_create(request):
    _require_committee(request.user)
    form = MemberForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            _check_may_place(request.user, form.cleaned_data["workplace_org"])
            member = services.member_create(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("Member “%(name)s” was added.") % {"name": member})
            return redirect("members:member_detail", pk=member.pk)
    return render(request, "members/member_form.html", {"form": form, "member": None})


@login_required
def member_edit(request, pk: int):
    member = member_get(request.user, pk)
    if not can_change_member(request.user, member):
        raise Http404
    form = MemberForm(request.POST or None, instance=member, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["workplace_org"] != member.workplace_org:
                _check_may_place(request.user, data["workplace_org"])
            services.member_update(actor=request.user, member=member, **data)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("The changes were saved."))
            return redirect("members:member_detail", pk=member.pk)
    # A failed ModelForm validation leaves its values on the instance; show the saved name.
    member.refresh_from_db()
    return render(request, "members/member_form.html", {"form": form, "member": member})


@login_required
def organisation_tree(request):
    _require_committee(request.user)
    roots = organisation_roots(request.user)
    return render(request, "members/organisation_tree.html", {"roots": roots})


@login_required
def organisation_detail(request, pk: int):
    _require_committee(request.user)
    return _organisation_page(request, organisation_get(request.user, pk))


def _organisation_page(request, org: Organisation, area_form: ResidenceAreaForm | None = None):
    can_manage_areas = can_manage_residence_areas(request.user, org)
    return render(
        request,
        "members/organisation_detail.html",
        {
            "org": org,
            **organisation_outline(request.user, org),
            "can_restructure": can_restructure_organisation(request.user, org),
            "can_manage_areas": can_manage_areas,
            "area_form": (area_form or ResidenceAreaForm()) if can_manage_areas else None,
            "history": audit_history(org)[:50],
        },
    )


@login_required
@require_POST
def residence_area_add(request, pk: int):
    """The commune adds an area (tổ dân phố, khu phố, thôn) to one of its residence cells."""
    _require_committee(request.user)
    cell = organisation_get(request.user, pk)
    if not can_manage_residence_areas(request.user, cell):
        raise Http404
    form = ResidenceAreaForm(request.POST)
    if form.is_valid():
        try:
            area = services.residence_area_add(
                actor=request.user, cell=cell, name=form.cleaned_data["name"]
            )
        except PermissionDenied as error:
            messages.error(request, refusal(error))
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(
                request,
                _("“%(area)s” added to the areas of %(cell)s.") % {"area": area, "cell": cell},
            )
            return redirect("members:organisation_detail", pk=cell.pk)
    return _organisation_page(request, cell, area_form=form)


@login_required
@require_POST
def residence_area_remove(request, pk: int):
    _require_committee(request.user)
    area = residence_area_get(request.user, pk)
    try:
        services.residence_area_remove(actor=request.user, area=area)
    except PermissionDenied as error:
        messages.error(request, refusal(error))
    else:
        messages.success(
            request,
            _("“%(area)s” removed from the areas of %(cell)s.") % {"area": area, "cell": area.cell},
        )
    return redirect("members:organisation_detail", pk=area.cell_id)


def _restructure(request, pk: int, form_class, template: str):
    _require_committee(request.user)
    org = organisation_get(request.user, pk)
    if not can_restructure_organisation(request.user, org) or not org.is_active:
        raise Http404
    form = form_class(request.POST or None, user=request.user, organisation=org)
    return org, form, template


@login_required
def organisation_move(request, pk: int):
    org, form, template = _restructure(
        request, pk, OrganisationMoveForm, "members/organisation_move.html"
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.organisation_move(
                actor=request.user, organisation=org, new_parent=form.cleaned_data["new_parent"]
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("“%(org)s” was moved.") % {"org": org})
            return redirect("members:organisation_detail", pk=org.pk)
    return render(request, template, {"org": org, "form": form})


@login_required
def organisation_merge(request, pk: int, merge=services.organisation_merge):
    """``merge`` is the service to call: the URL configuration passes the one at the top of the
    app chain (evaluations.mergers), which carries every app's rows along."""
    org, form, template = _restructure(
        request, pk, OrganisationMergeForm, "members/organisation_merge.html"
    )
    if request.method == "POST" and form.is_valid():
        target = form.cleaned_data["target"]
        try:
            merge(actor=request.user, source=org, target=target, note=form.cleaned_data["note"])
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(
                request,
                _("“%(source)s” was merged into “%(target)s”.") % {"source": org, "target": target},
            )
            return redirect("members:organisation_detail", pk=target.pk)
    return render(request, template, {"org": org, "form": form})
