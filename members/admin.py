from django.contrib import admin

from .models import Member, MemberImport, Organisation, Role


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
