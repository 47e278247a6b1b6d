from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from members.forms import DateInput, OrganisationChoiceField
from members.models import Organisation

from .models import Attendance, Meeting

FINAL_CHOICES = [(s, Attendance.Status(s).label) for s in Attendance.FINAL_STATUSES]


class TimeInput(forms.TimeInput):
    """The phone's own time picker."""

    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%H:%M")


def _helper(label, css_class="btn-danger btn-lg") -> FormHelper:
    helper = FormHelper()
    helper.add_input(Submit("save", label, css_class=css_class))
    return helper


class MeetingForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=Meeting.Kind.choices,
        initial=Meeting.Kind.REGULAR,
        widget=forms.RadioSelect,
    )
    held_on = forms.DateField(label=_("Date"), widget=DateInput())
    starts_at = forms.TimeField(label=_("Time"), widget=TimeInput())
    place = forms.CharField(label=_("Place"), max_length=255)
    agenda = forms.CharField(
        label=_("Agenda"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One item a line."),
    )

    def __init__(self, *args, cell=None, **kwargs):
        super().__init__(*args, **kwargs)
        if cell is not None and cell.address:
            self.fields["place"].initial = cell.address
        self.helper = _helper(_("Schedule and invite"))


class AbsenceForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        widget=forms.TextInput(attrs={"placeholder": _("For example: on a work trip")}),
    )


class MoveForm(forms.Form):
    held_on = forms.DateField(label=_("Date"), widget=DateInput())
    starts_at = forms.TimeField(label=_("Time"), widget=TimeInput())
    place = forms.CharField(label=_("Place"), max_length=255)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(_("Move the meeting and tell the invitees"))


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Why is the meeting cancelled?"), max_length=500)


class CorrectionForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Correct mark"), choices=FINAL_CHOICES, widget=forms.RadioSelect
    )
    reason = forms.CharField(
        label=_("Reason for absence"),
        max_length=500,
        required=False,
        help_text=_("Only for an absence with reason."),
    )
    why = forms.CharField(
        label=_("Why is the mark corrected?"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Who asked for it and on what evidence; it is kept in the history."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(_("Record the correction"))


class NonParticipationForm(forms.Form):
    residence_cell = OrganisationChoiceField(
        label=_("Residence cell"), queryset=Organisation.objects.none()
    )
    text = forms.CharField(
        label=_("Report to the workplace committee"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What the member did not take part in, and what the cell asks for."),
    )

    def __init__(self, *args, cells, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["residence_cell"].queryset = Organisation.objects.filter(
            pk__in=[c.pk for c in cells]
        ).order_by("name")
        if len(cells) == 1:
            self.fields["residence_cell"].initial = cells[0]
            self.fields["residence_cell"].widget = forms.HiddenInput()
        self.helper = _helper(_("Send to the workplace committee"))


class AcknowledgeReportForm(forms.Form):
    action_taken = forms.CharField(
        label=_("Action taken"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What the workplace committee did: talked with the member, a reminder, …"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(_("Acknowledge"))


def marks_from_post(post, rows, *, all_present: bool = False) -> dict[int, tuple[str, str]]:
    """The marks the secretary changed on the attendance page, ``{member_id: (status, reason)}``.

    Each row posts its mark as shown when the page was drawn (``was-<id>``); only rows whose
    mark differs are sent to the service, so two secretaries marking different rows at once do
    not overwrite each other with stale marks. ``all_present`` marks every row still without a
    mark (no choice made, not announced absent) as present.
    """
    marks = {}
    for row in rows:
        key = str(row.member_id)
        status = post.get(f"status-{key}", "")
        reason = post.get(f"reason-{key}", "").strip()
        if not status and all_present and row.status == Attendance.Status.INVITED:
            status = Attendance.Status.PRESENT
        if not status:
            continue
        if status != Attendance.Status.EXCUSED:
            reason = ""
        shown = (post.get(f"was-{key}", row.status), post.get(f"wasreason-{key}", row.reason))
        if (status, reason) != shown:
            marks[row.member_id] = (status, reason)
    return marks
