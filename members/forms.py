from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Fieldset, Layout, Row, Submit
from django import forms
from django.forms.models import ModelChoiceIterator
from django.utils.translation import gettext_lazy as _

from .models import Member, Organisation, ResidenceArea
from .ordering import in_tree_order
from .rules import MEMBER_FIELDS
from .selectors import commune_choices, organisation_choices


class DateInput(forms.DateInput):
    """The phone's own date picker; it shows dd/mm/yyyy in a Vietnamese browser."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class _TreeOrderIterator(ModelChoiceIterator):
    """The choices in tree order, siblings by name (2 before 10), whatever the queryset's."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in in_tree_order(self.queryset):
            yield self.choice(obj)


class OrganisationChoiceField(forms.ModelChoiceField):
    iterator = _TreeOrderIterator

    def label_from_instance(self, obj):
        return obj.name


class MemberForm(forms.ModelForm):
    class Meta:
        model = Member
        fields = MEMBER_FIELDS
        field_classes = {
            "workplace_org": OrganisationChoiceField,
            "residence_commune": OrganisationChoiceField,
        }
        widgets = {
            "date_of_birth": DateInput(),
            "admitted_on": DateInput(),
            "full_member_on": DateInput(),
            "category_since": DateInput(),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["workplace_org"].queryset = organisation_choices(
            user, Organisation.MEMBER_HOME_KINDS
        )
        self.fields["residence_commune"].queryset = commune_choices()
        self.fields["card_number"].error_messages["unique"] = _(
            "Another member already has this Party card number; check the number."
        )
        if self.instance.pk:
            # These change only through "Record a change" (residence app), which also tells the
            # residence side and moves the referral; a disabled field keeps its saved value.
            for name in Member.CHANGE_RECORDED_FIELDS:
                self.fields[name].disabled = True
                self.fields[name].help_text = _("Change this with “Record a change”.")
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Fieldset(
                _("Personal details"),
                "full_name",
                Row(Column("gender"), Column("date_of_birth")),
                Row(Column("card_number"), Column("profile_number")),
                Row(Column("admitted_on"), Column("full_member_on")),
            ),
            Fieldset(
                _("Workplace"), "workplace_org", "position", Row(Column("phone"), Column("email"))
            ),
            Fieldset(_("Residence"), "residence_address", "residence_commune"),
            Fieldset(
                _("Status and Regulation 213 category"),
                "status",
                "category",
                Row(Column("category_reason"), Column("category_since")),
            ),
        )
        self.helper.add_input(Submit("save", _("Save")))


class OrganisationMoveForm(forms.Form):
    new_parent = OrganisationChoiceField(
        label=_("New parent organisation"), queryset=Organisation.objects.none()
    )

    def __init__(self, *args, user, organisation: Organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_parent"].queryset = (
            organisation_choices(user)
            .exclude(path__startswith=organisation.path)
            .exclude(kind__in=[Organisation.Kind.CELL, Organisation.Kind.RESIDENCE_CELL])
        )
        self.helper = FormHelper()
        self.helper.add_input(Submit("move", _("Move")))


class OrganisationMergeForm(forms.Form):
    target = OrganisationChoiceField(label=_("Merge into"), queryset=Organisation.objects.none())
    note = forms.CharField(
        label=_("Decision or note"),
        required=False,
        max_length=500,
        help_text=_("For example the number and date of the merger decision."),
    )

    def __init__(self, *args, user, organisation: Organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].queryset = (
            organisation_choices(user, [organisation.kind])
            .exclude(pk=organisation.pk)
            .exclude(path__startswith=organisation.path)
        )
        self.helper = FormHelper()
        self.helper.add_input(Submit("merge", _("Merge"), css_class="btn-danger"))


class ResidenceAreaForm(forms.Form):
    name = forms.CharField(
        label=_("New area"),
        max_length=ResidenceArea._meta.get_field("name").max_length,
        help_text=_(
            "As members' addresses write it, e.g. “Tổ dân phố 4”, “Khu phố 2” or “Thôn Xuân "
            "Sơn”. A member whose address names it is proposed for this cell."
        ),
    )
