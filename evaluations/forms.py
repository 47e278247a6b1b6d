from datetime import timedelta

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.forms import DateInput, OrganisationChoiceField
from members.models import Member, Organisation

from .models import CommentRequest, Grade, Sitting


class CampaignOpenForm(forms.Form):
    organisation = OrganisationChoiceField(
        label=_("Organisation"),
        queryset=Organisation.objects.none(),
        help_text=_("A supervising committee opens the campaign for every organisation below it."),
    )
    year = forms.IntegerField(label=_("Year"), min_value=2020)
    due_on = forms.DateField(
        label=_("Comments due on"),
        widget=DateInput(),
        help_text=_("The residence cells have until this day to send their comments."),
    )

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["organisation"].queryset = organisations
        if organisations.count() == 1:
            self.fields["organisation"].initial = organisations.first()
        self.fields["year"].initial = today.year
        self.fields["due_on"].initial = today + timedelta(
            days=settings.PARTYREG["COMMENT_DEADLINE_DAYS"]
        )
        self.helper = FormHelper()
        self.helper.add_input(
            Submit(
                "open",
                _("Open the campaign and send the requests"),
                css_class="btn-lg w-100 text-wrap",
            )
        )


class RequestCreateForm(forms.Form):
    member = forms.ModelChoiceField(label=_("Member"), queryset=Member.objects.none())
    reason = forms.ChoiceField(
        label=_("Comment needed for"),
        choices=CommentRequest.Reason.choices,
        help_text=_(
            "A member exempt from residence activity gets a comment only for a personnel "
            "procedure, an award or discipline."
        ),
    )
    reason_note = forms.CharField(
        label=_("Details"),
        max_length=255,
        required=False,
        help_text=_("For example: appointment as deputy head of department."),
    )

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = members
        self.helper = FormHelper()
        self.helper.add_input(
            Submit("request", _("Request the comment"), css_class="btn-lg w-100 text-wrap")
        )


class SittingForm(forms.ModelForm):
    class Meta:
        model = Sitting
        fields = [
            "held_on",
            "place",
            "cell_committee_attendees",
            "front_committee_attendees",
            "note",
        ]
        widgets = {
            "held_on": DateInput(),
            "cell_committee_attendees": forms.Textarea(attrs={"rows": 4}),
            "front_committee_attendees": forms.Textarea(attrs={"rows": 4}),
            "note": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["held_on"].initial = timezone.localdate()
        self.helper = FormHelper()
        self.helper.add_input(
            Submit("record", _("Record the sitting"), css_class="btn-lg w-100 text-wrap")
        )


class SittingChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        place = f" — {obj.place}" if obj.place else ""
        return f"{obj.held_on:%d/%m/%Y}{place}"


class CommentForm(forms.Form):
    """One level and one comment per criterion, the other comments, and the sitting.

    Fields are ``level_<criterion id>`` and ``comment_<criterion id>``; nothing is required
    here, because a draft may be partial: the service checks completeness on submission.
    """

    sitting = SittingChoiceField(
        label=_("Sitting of the cell committee with the Front committee"),
        queryset=Sitting.objects.none(),
        required=False,
        empty_label=_("Choose the sitting…"),
    )
    other_comments = forms.CharField(
        label=_("Other comments"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, criteria, sittings, answers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = criteria
        self.fields["sitting"].queryset = sittings
        answers = answers or {}
        for criterion in criteria:
            answer = answers.get(criterion.pk)
            self.fields[f"level_{criterion.pk}"] = forms.TypedChoiceField(
                label=criterion.text,
                choices=list(enumerate(criterion.levels)),
                coerce=int,
                required=False,
                empty_value=None,
                widget=forms.RadioSelect,
                initial=answer.level if answer else None,
            )
            self.fields[f"comment_{criterion.pk}"] = forms.CharField(
                label=_("Comment"),
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
                initial=answer.comment if answer else "",
            )

    def rows(self):
        """Each criterion with its bound level and comment fields, for the template."""
        return [(c, self[f"level_{c.pk}"], self[f"comment_{c.pk}"]) for c in self.criteria]

    def answers(self) -> dict[int, tuple[int | None, str]]:
        data = self.cleaned_data
        return {
            c.pk: (data.get(f"level_{c.pk}"), data.get(f"comment_{c.pk}", ""))
            for c in self.criteria
        }

    def free_text(self) -> tuple[list[str], str]:
        data = self.cleaned_data
        return [data.get(f"comment_{c.pk}", "") for c in self.criteria], data.get(
            "other_comments", ""
        )


class CommentReturnForm(forms.Form):
    """Why the commune sends a comment back to the cell (the service refuses an empty one)."""

    reason = forms.CharField(
        label=_("Reason for returning"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "What the cell should make again: for example, a comment the same for every "
            "member, or one that does not agree with the meeting records."
        ),
    )


class GradeForm(forms.Form):
    level = forms.ChoiceField(
        label=_("Grade"), choices=Grade.Level.choices, widget=forms.RadioSelect
    )
    points = forms.IntegerField(
        label=_("Points (optional)"),
        min_value=0,
        max_value=100,
        required=False,
        help_text=_("Excellent 90–100, good 70–89, fulfilled 50–69, not fulfilled below 50."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
