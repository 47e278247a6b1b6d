from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from .models import NotificationPreference


class LoginForm(AuthenticationForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        username = self.fields["username"]
        username.widget.attrs.update({"autocapitalize": "none", "autofocus": True})
        # Django sets the length after the field is made, without its validator: a longer name
        # would reach django-axes, whose record of the attempt holds 255 characters.
        username.validators.append(MaxLengthValidator(username.max_length))
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", _("Log in"), css_class="w-100"))


class NotificationPreferenceForm(forms.Form):
    email = forms.ChoiceField(
        label=_("How to receive email"),
        choices=NotificationPreference.Email.choices,
        widget=forms.RadioSelect,
        help_text=_("Every notification shows under the bell at once, whatever you choose here."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", _("Save")))
