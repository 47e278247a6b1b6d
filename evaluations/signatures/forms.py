"""A signed PDF brought to the site: to be accepted as the committee's signature, or checked."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils.translation import gettext_lazy as _

# A sheet with its signatures is about 200 kB; a file ten times larger is not one of them.
MAX_PDF_BYTES = 5 * 1024 * 1024


class PdfForm(forms.Form):
    file = forms.FileField(
        label=_("Signed PDF file"),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,application/pdf"}),
    )
    submit_label = _("Check the file")

    def __init__(self, *args, action: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_action = action
        self.helper.attrs = {"enctype": "multipart/form-data"}
        self.helper.add_input(Submit("send", self.submit_label))

    def clean_file(self) -> bytes:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_PDF_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(size)d MB; a signed document is far smaller.")
                % {"size": MAX_PDF_BYTES // (1024 * 1024)}
            )
        data = upload.read()
        if not data.startswith(b"%PDF-"):
            raise forms.ValidationError(_("This is not a PDF file."))
        return data


class UploadForm(PdfForm):
    """The document signed outside the site, for one of its places."""

    slot = forms.CharField(widget=forms.HiddenInput)
    submit_label = _("Send the signed file")
