from django import forms
from django.contrib import admin

from partyreg.signing.admin import AddThroughServiceAdmin
from partyreg.signing.models import SigningCredential

from . import signers
from .models import (
    CommitteeSigner,
    CommitteeSigning,
    Member,
    MemberImport,
    Organisation,
    Role,
)


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "parent", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "code"]
    readonly_fields = ["path", "depth", "created_at"]
    raw_id_fields = ["parent", "merged_into"]


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = [
        "full_name",
        "card_number",
        "date_of_birth",
        "workplace_org",
        "residence_commune",
        "status",
    ]
    list_filter = ["status", "category", "gender"]
    search_fields = ["full_name", "search_name", "card_number"]
    list_select_related = ["workplace_org", "residence_commune"]
    raw_id_fields = ["workplace_org", "residence_commune", "user"]


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ["user", "organisation", "kind"]
    list_filter = ["kind"]
    raw_id_fields = ["user", "organisation"]


@admin.register(MemberImport)
class MemberImportAdmin(admin.ModelAdmin):
    list_display = ["original_name", "created_by", "created_at", "status"]


class CommitteeSignerAddForm(forms.ModelForm):
    class Meta:
        model = CommitteeSigner
        fields = ["organisation", "credential", "user"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["credential"].queryset = SigningCredential.objects.filter(active=True)

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            signers.committee_signer_check(
                organisation=cleaned["organisation"],
                credential=cleaned["credential"],
                user=cleaned.get("user"),
            )
        return cleaned


@admin.register(CommitteeSigner)
class CommitteeSignerAdmin(AddThroughServiceAdmin):
    """Given through ``members.signers`` (checked, audited); withdrawn by deactivating."""

    add_form = CommitteeSignerAddForm
    add_fields = ["organisation", "credential", "user"]
    shown_fields = ["organisation", "credential", "user", "added_by", "added_at"]
    list_display = ["organisation", "credential", "user", "active", "added_at"]
    list_filter = ["active"]
    list_select_related = ["organisation", "credential", "user"]
    search_fields = ["organisation__name", "credential__label", "credential__subject_name"]
    raw_id_fields = ["organisation", "user"]

    def add(self, request, form):
        return signers.committee_signer_set(actor=request.user, **form.cleaned_data)

    def set_active(self, request, obj):
        if not obj.active:
            signers.committee_signer_remove(actor=request.user, signer=obj)


class CommitteeSigningForm(forms.ModelForm):
    class Meta:
        model = CommitteeSigning
        fields = ["organisation", "enabled"]

    def clean(self):
        cleaned = super().clean()
        organisation = cleaned.get("organisation") or self.instance.organisation
        if not self.errors:
            signers.committee_signing_check(
                organisation=organisation, enabled=cleaned.get("enabled", False)
            )
        return cleaned


@admin.register(CommitteeSigning)
class CommitteeSigningAdmin(admin.ModelAdmin):
    """Each switch written through ``members.signers`` (checked, audited), never deleted."""

    form = CommitteeSigningForm
    list_display = ["organisation", "enabled", "changed_by", "changed_at"]
    list_filter = ["enabled"]
    list_select_related = ["organisation", "changed_by"]
    search_fields = ["organisation__name"]
    raw_id_fields = ["organisation"]

    def get_readonly_fields(self, request, obj=None):
        return ["changed_by", "changed_at"] + (["organisation"] if obj else [])

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        switch = signers.committee_signing_set(
            actor=request.user, organisation=obj.organisation, enabled=obj.enabled
        )
        obj.pk = switch.pk
