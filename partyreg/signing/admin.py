"""Administrators register the trusted authorities and install the signing credentials.

Both are written through the services (validated, audited); once added, only ``active`` changes,
and nothing is deleted: a row in the audit log may name it.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from . import services
from .models import SigningCredential, TrustedAuthority


class TrustedAuthorityAddForm(forms.ModelForm):
    certificate_file = forms.FileField(
        label=_("certificate file"),
        help_text=_("The authority's certificate: a .cer, .crt or .pem file."),
    )

    class Meta:
        model = TrustedAuthority
        fields = ["name"]

    def clean_certificate_file(self) -> bytes:
        data = self.cleaned_data["certificate_file"].read()
        services.authority_certificate_check(services.read_certificate(data))
        return data


class SigningCredentialAddForm(forms.ModelForm):
    pkcs12_file = forms.FileField(
        label=_("certificate file with its key (.p12, .pfx)"),
        required=False,
        help_text=_("For a certificate file. It is kept encrypted, with its passphrase."),
    )
    passphrase = forms.CharField(
        label=_("passphrase"), required=False, strip=False, widget=forms.PasswordInput
    )
    certificate_file = forms.FileField(
        label=_("signer's certificate (.cer, .crt, .pem)"),
        required=False,
        help_text=_("For a signer who signs outside the site and uploads the signed file."),
    )

    class Meta:
        model = SigningCredential
        fields = ["label", "kind", "token_label", "key_label"]
        help_texts = {
            "token_label": _("For a token or HSM: the token's label and the label of its key."),
        }

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        required = {
            SigningCredential.Kind.PKCS12: ["pkcs12_file", "passphrase"],
            SigningCredential.Kind.PKCS11: ["token_label", "key_label"],
            SigningCredential.Kind.EXTERNAL: ["certificate_file"],
        }.get(kind, [])
        for name in required:
            if not cleaned.get(name):
                self.add_error(name, _("Needed for this kind of certificate."))
        if self.errors:
            return cleaned
        try:
            if kind == SigningCredential.Kind.PKCS12:
                cleaned["pkcs12_data"] = cleaned["pkcs12_file"].read()
                services.read_pkcs12(cleaned["pkcs12_data"], cleaned["passphrase"])
            elif kind == SigningCredential.Kind.PKCS11:
                services.read_token_certificate(
                    token_label=cleaned["token_label"], key_label=cleaned["key_label"]
                )
            else:
                cleaned["certificate_data"] = cleaned["certificate_file"].read()
                certificate = services.read_certificate(cleaned["certificate_data"])
                services.signer_certificate_check(certificate)
        except ValidationError as error:
            self.add_error(required[0], error)
        return cleaned

    def install(self, actor) -> SigningCredential:
        data, kind = self.cleaned_data, self.cleaned_data["kind"]
        if kind == SigningCredential.Kind.PKCS12:
            return services.signing_credential_install(
                actor=actor,
                label=data["label"],
                pkcs12_data=data["pkcs12_data"],
                passphrase=data["passphrase"],
            )
        if kind == SigningCredential.Kind.PKCS11:
            return services.signing_credential_install_token(
                actor=actor,
                label=data["label"],
                token_label=data["token_label"],
                key_label=data["key_label"],
            )
        return services.signing_credential_register_external(
            actor=actor, label=data["label"], certificate=data["certificate_data"]
        )


class AddThroughServiceAdmin(admin.ModelAdmin):
    """Added by ``add_form``'s service, then changed only to (de)activate, never deleted."""

    add_form: type[forms.ModelForm]
    add_fields: list[str]
    shown_fields: list[str]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        return self.add_fields if obj is None else [*self.shown_fields, "active"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.shown_fields

    def has_delete_permission(self, request, obj=None):
        return False

    def save_form(self, request, form, change):
        if change:
            return super().save_form(request, form, change)
        return self.add(request, form)

    def save_model(self, request, obj, form, change):
        if change:
            self.set_active(request, obj)

    def save_related(self, request, form, formsets, change):
        # The service saved the row whole; these models have no many-to-many fields.
        if change:
            super().save_related(request, form, formsets, change)

    def add(self, request, form):
        raise NotImplementedError

    def set_active(self, request, obj):
        raise NotImplementedError


@admin.register(TrustedAuthority)
class TrustedAuthorityAdmin(AddThroughServiceAdmin):
    add_form = TrustedAuthorityAddForm
    add_fields = ["name", "certificate_file"]
    shown_fields = ["name", "subject", "fingerprint", "valid_to", "added_by", "added_at"]
    list_display = ["name", "subject", "valid_to", "active", "added_at"]
    list_filter = ["active"]
    search_fields = ["name", "subject", "fingerprint"]

    def add(self, request, form):
        return services.trusted_authority_add(
            actor=request.user,
            name=form.cleaned_data["name"],
            certificate=form.cleaned_data["certificate_file"],
        )

    def set_active(self, request, obj):
        services.trusted_authority_set_active(actor=request.user, authority=obj, active=obj.active)


@admin.register(SigningCredential)
class SigningCredentialAdmin(AddThroughServiceAdmin):
    add_form = SigningCredentialAddForm
    add_fields = [
        "label",
        "kind",
        "pkcs12_file",
        "passphrase",
        "token_label",
        "key_label",
        "certificate_file",
    ]
    shown_fields = [
        "label",
        "kind",
        "subject_name",
        "serial",
        "fingerprint",
        "valid_from",
        "valid_to",
        "token_label",
        "key_label",
        "installed_by",
        "installed_at",
    ]
    list_display = ["label", "kind", "subject_name", "valid_to", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["label", "subject_name", "fingerprint"]

    def add(self, request, form):
        return form.install(request.user)

    def set_active(self, request, obj):
        services.signing_credential_set_active(
            actor=request.user, credential=obj, active=obj.active
        )
