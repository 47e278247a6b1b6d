from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import AuditEntry, Delivery, Digest, Notification
from .signing import admin as signing_admin  # noqa: F401  (registers its models)


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "actor_name", "action", "target_repr"]
    list_filter = ["action"]
    search_fields = ["target_repr", "actor_name"]
    date_hierarchy = "created_at"

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    """The delivery log: every message, by channel, with its outcome."""

    list_display = [
        "created_at",
        "channel",
        "status",
        "address",
        "attempts",
        "sent_at",
        "subject",
        "last_error",
    ]
    list_filter = ["status", "channel", "notification__rule"]
    search_fields = ["address", "notification__subject", "notification__user__username"]
    date_hierarchy = "created_at"
    list_select_related = ["notification"]

    @admin.display(description=_("subject"))
    def subject(self, obj):
        return obj.notification.subject


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "user", "rule", "subject", "read_at"]
    list_filter = ["rule"]
    search_fields = ["subject", "user__username", "key"]
    date_hierarchy = "created_at"
    list_select_related = ["user"]


@admin.register(Digest)
class DigestAdmin(ReadOnlyAdmin):
    """The daily summaries: one email per user and day, with its outcome."""

    list_display = ["day", "user", "address", "status", "attempts", "sent_at", "last_error"]
    list_filter = ["status"]
    search_fields = ["address", "user__username"]
    date_hierarchy = "day"
    list_select_related = ["user"]
