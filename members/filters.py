from typing import NamedTuple

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from .forms import OrganisationChoiceField
from .models import Member, Organisation
from .ordering import in_tree_order
from .selectors import commune_choices, member_search_q, organisation_choices


class _MenuRow(NamedTuple):
    pk: int
    name: str
    depth: int
    parent_id: int | None
    path: str


class MemberFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_search",
        widget=forms.TextInput(attrs={"placeholder": _("Name or card number"), "type": "search"}),
    )
    organisation = django_filters.ModelChoiceFilter(
        label=_("Workplace organisation"),
        queryset=Organisation.objects.none(),
        method="filter_organisation",
        empty_label=_("All"),
    )
    residence_commune = django_filters.ModelChoiceFilter(
        label=_("Commune of residence"), queryset=Organisation.objects.none(), empty_label=_("All")
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=Member.Status.choices, empty_label=_("All")
    )
    category = django_filters.ChoiceFilter(
        label=_("Category"), choices=Member.Category.choices, empty_label=_("All")
    )

    class Meta:
        model = Member
        fields = ["q", "organisation", "residence_commune", "status", "category"]

    # Levels below the top of the user's reach listed in the organisation menu; deeper units
    # are reached from an organisation's page. A province has thousands of cells, and a menu of
    # thousands of options took most of the page's time to draw.
    MENU_DEPTH = 1

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        reachable = organisation_choices(
            user,
            [Organisation.Kind.SUPERVISING, Organisation.Kind.GRASSROOTS, Organisation.Kind.CELL],
        )
        self.filters["organisation"].queryset = reachable
        self.filters["residence_commune"].queryset = commune_choices()
        self.filters["residence_commune"].field_class = OrganisationChoiceField
        self._reachable = reachable

    @property
    def form(self):
        form = super().form
        widget = form.fields["organisation"].widget
        if not isinstance(widget.choices, list):
            # Only what is drawn changes; validation still accepts any organisation in reach.
            widget.choices = self._organisation_menu(form.data.get("organisation"))
        return form

    def _organisation_menu(self, selected) -> list[tuple]:
        rows = in_tree_order(
            _MenuRow(*row)
            for row in self._reachable.values_list("pk", "name", "depth", "parent_id", "path")
        )
        if not rows:
            return [("", self.filters["organisation"].extra["empty_label"])]
        top = min(row.depth for row in rows)
        menu = [("", self.filters["organisation"].extra["empty_label"])]
        for pk, name, depth, _parent, _path in rows:
            if depth <= top + self.MENU_DEPTH or str(pk) == str(selected):
                menu.append((pk, "\u2003" * (depth - top) + name))
        return menu

    def filter_search(self, queryset, name, value):
        return queryset.filter(member_search_q(value))

    def filter_organisation(self, queryset, name, value):
        # The whole subtree: choosing a grassroots organisation lists the members of its cells.
        return queryset.filter(workplace_org__in=value.subtree().values("pk"))
