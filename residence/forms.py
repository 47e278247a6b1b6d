import django_filters
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Layout, Submit
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.forms import DateInput, OrganisationChoiceField
from members.models import Member, Organisation
from members.selectors import commune_choices, member_search_q

from .models import ChangeNotice, Referral
from .selectors import organisations_for_side, overdue_q


class ReferralFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_search",
        widget=forms.TextInput(attrs={"placeholder": _("Name or card number"), "type": "search"}),
    )
    state = django_filters.ChoiceFilter(
        label=_("State"), choices=Referral.State.choices, empty_label=_("All")
    )
    overdue = django_filters.BooleanFilter(
        label=_("Overdue only"), method="filter_overdue", widget=forms.CheckboxInput
    )
    organisation = django_filters.ModelChoiceFilter(
        label=_("Organisation"),
        queryset=Organisation.objects.none(),
        method="filter_organisation",
        empty_label=_("All"),
    )

    class Meta:
        model = Referral
        fields = ["q", "state", "overdue", "organisation"]

    def __init__(self, *args, user, side: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.side = side
        self.filters["organisation"].queryset = organisations_for_side(user, side)
        self.filters["organisation"].field_class = OrganisationChoiceField

    def filter_search(self, queryset, name, value):
        return queryset.filter(
            member__in=Member.objects.filter(member_search_q(value)).values("pk")
        )

    def filter_overdue(self, queryset, name, value):
        return queryset.filter(overdue_q()) if value else queryset

    def filter_organisation(self, queryset, name, value):
        # The whole subtree: a grassroots organisation lists its cells' referrals.
        if self.side == Organisation.Side.WORKPLACE:
            return queryset.filter(issuing_org__path__startswith=value.path)
        if value.kind == Organisation.Kind.RESIDENCE_CELL:
            return queryset.filter(residence_cell__path__startswith=value.path)
        return queryset.filter(commune__path__startswith=value.path)


class AssignForm(forms.Form):
    residence_cell = OrganisationChoiceField(
        label=_("Residence cell"), queryset=Organisation.objects.none()
    )

    def __init__(self, *args, cells, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["residence_cell"].queryset = cells


class ReportForm(forms.Form):
    presented_on = forms.DateField(label=_("Presented on"), widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["presented_on"].initial = timezone.localdate()


class CloseForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Reason"),
        choices=[
            (Referral.CloseReason.WITHDRAWN, Referral.CloseReason.WITHDRAWN.label),
        ],
        help_text=_(
            "A move, expulsion, strike-off, leaving or death closes the referral by itself when "
            "you record the change; use this only for a letter issued in error."
        ),
    )
    note = forms.CharField(label=_("Note"), max_length=500, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("close", _("Close the referral"), css_class="btn-danger"))


class ChangeForm(forms.Form):
    kind = forms.ChoiceField(label=_("What changed"), choices=ChangeNotice.Kind.choices)
    effective_on = forms.DateField(label=_("Effective on"), widget=DateInput())
    residence_address = forms.CharField(
        label=_("New residence address"), max_length=255, required=False
    )
    residence_commune = OrganisationChoiceField(
        label=_("New commune or ward of residence"),
        queryset=Organisation.objects.none(),
        required=False,
    )
    workplace_org = OrganisationChoiceField(
        label=_("New workplace organisation"),
        queryset=Organisation.objects.none(),
        required=False,
    )
    details = forms.CharField(
        label=_("Details"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example the number and date of the decision."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["effective_on"].initial = timezone.localdate()
        self.fields["residence_commune"].queryset = commune_choices()
        self.fields["workplace_org"].queryset = Organisation.objects.filter(
            kind__in=Organisation.MEMBER_HOME_KINDS, is_active=True
        ).order_by("name")
        self.helper = FormHelper()
        self.helper.layout = Layout(
            "kind",
            "effective_on",
            Div(
                "residence_address",
                "residence_commune",
                css_id="change-moved",
                data_shown_if="id_kind=moved",
            ),
            Div(
                "workplace_org",
                css_id="change-workplace",
                data_shown_if="id_kind=changed_workplace",
            ),
            "details",
        )
        self.helper.add_input(Submit("record", _("Record the change"), css_class="btn-lg"))
