from django.contrib import admin

from .reminders.models import OrganisationReminderSetting


@admin.register(OrganisationReminderSetting)
class OrganisationReminderSettingAdmin(admin.ModelAdmin):
    """Registered here: the rules these switches name live in evaluations.reminders."""

    list_display = ["organisation", "rule", "enabled", "updated_at", "updated_by"]
    list_filter = ["rule", "enabled"]
    search_fields = ["organisation__name"]
    readonly_fields = ["updated_at", "updated_by"]

    # Changes go through the organisation's reminder settings page, which audits them.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
