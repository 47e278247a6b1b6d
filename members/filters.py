import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .models import Member, Organisation
from .selectors import commune_choices, member_search_q, organisation_choices


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

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["organisation"].queryset = organisation_choices(
            user,
            [Organisation.Kind.SUPERVISING, Organisation.Kind.GRASSROOTS, Organisation.Kind.CELL],
        )
        self.filters["residence_commune"].queryset = commune_choices()

    def filter_search(self, queryset, name, value):
        return queryset.filter(member_search_q(value))

    def filter_organisation(self, queryset, name, value):
        # The whole subtree: choosing a grassroots organisation lists the members of its cells.
        return queryset.filter(Q(workplace_org__path__startswith=value.path))
