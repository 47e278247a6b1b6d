from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# The signing models live with the signing package; imported by name so Django registers them.
from .signing.models import SigningCredential, TrustedAuthority  # noqa: F401


class AuditEntry(models.Model):
    """One state change: who, when, what, and the old and new values.

    ``target`` is the row that changed; ``subject`` is the row whose history should show the
    entry (a referral's change shows on its member's page), by default the target itself.
    """

    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_name = models.CharField(_("by"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=64)
    target_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    target_id = models.CharField(max_length=64)
    target_repr = models.CharField(_("object"), max_length=255)
    subject_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    subject_id = models.CharField(max_length=64)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["subject_type", "subject_id", "-created_at"]),
            models.Index(fields=["target_type", "target_id", "-created_at"]),
        ]

    def __str__(self) -> str:
        return (
            f"{self.created_at:%d/%m/%Y %H:%M} {self.actor_name} {self.action} {self.target_repr}"
        )


class Reminder(models.Model):
    """The guarantee that a message goes out once: one row per rule, target, period, recipient.

    A notification exists only if its reminder row was inserted by the scan that made it; a
    second scan (or two schedulers at once) meets the unique constraint and makes nothing.
    ``batch`` tells a scan which rows it inserted itself.
    """

    rule = models.CharField(_("rule"), max_length=64)
    target = models.CharField(_("target"), max_length=64)
    period = models.CharField(_("period"), max_length=32)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    batch = models.UUIDField(editable=False, db_index=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "target", "period", "recipient"], name="reminder_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.rule} {self.target} {self.period} → {self.recipient_id}"


class Notification(models.Model):
    """A message to one user: shown under the bell, and mailed if the user has an address."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    reminder = models.OneToOneField(
        Reminder, on_delete=models.CASCADE, related_name="notification", editable=False
    )
    rule = models.CharField(_("rule"), max_length=64)
    key = models.CharField(_("key"), max_length=100)
    subject = models.CharField(_("subject"), max_length=255)
    body = models.TextField(_("message"))
    url = models.CharField(_("link"), max_length=500, blank=True)
    # A file mailed with the message (a meeting's calendar invitation), kept as text so the
    # email can be sent, or sent again, from this row alone.
    attachment_name = models.CharField(_("attachment"), max_length=100, blank=True)
    attachment_type = models.CharField(max_length=100, blank=True)
    attachment = models.TextField(blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "read_at"], name="notification_user_unread"),
            models.Index(fields=["user", "-created_at"], name="notification_user_recent"),
        ]

    def __str__(self) -> str:
        return self.subject


class Delivery(models.Model):
    """One way a notification reaches its user, with the outcome: the delivery log.

    Email is sent by a task that first *claims* the row (``claimed_at``), then sends, then
    marks it sent with ``UPDATE … WHERE status = 'pending'``; see
    ``partyreg.notifications.delivery``.
    """

    class Channel(models.TextChoices):
        IN_APP = "in_app", _("In the application")
        EMAIL = "email", _("Email")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped")
        # The user chose one summary a day: the email goes out with the next ``Digest``.
        DIGEST = "digest", _("Waiting for the daily summary")

    notification = models.ForeignKey(
        Notification,
        verbose_name=_("notification"),
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.PENDING
    )
    address = models.CharField(_("address"), max_length=254, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    digest = models.ForeignKey(
        "Digest",
        verbose_name=_("daily summary"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deliveries",
    )

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("delivery log")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["notification", "channel"], name="delivery_once_per_channel"
            ),
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False),
                name="delivery_sent_has_time",
            ),
        ]
        indexes = [
            models.Index(
                fields=["status", "claimed_at"],
                name="delivery_pending",
                condition=Q(status="pending"),
            ),
            models.Index(
                fields=["digest", "created_at"],
                name="delivery_digest_waiting",
                condition=Q(status="digest"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} — {self.get_status_display()}"


class Digest(models.Model):
    """One summary email per user and day, carrying the emails its user chose to get together.

    Sent by the same three steps as a single email (claim, send, mark; see
    ``partyreg.notifications.digest``); the unique (user, day) makes a second run the same day
    send nothing, and the deliveries it carries are marked sent with it.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    day = models.DateField(_("day"))
    status = models.CharField(
        _("status"),
        max_length=8,
        choices=Delivery.Status.choices,
        default=Delivery.Status.PENDING,
    )
    address = models.CharField(_("address"), max_length=254)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("daily summary")
        verbose_name_plural = _("daily summaries")
        ordering = ["-day", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "day"], name="digest_once_a_day"),
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False),
                name="digest_sent_has_time",
            ),
        ]
        indexes = [
            models.Index(
                fields=["status", "claimed_at"],
                name="digest_pending",
                condition=Q(status="pending"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.day:%d/%m/%Y} — {self.get_status_display()}"


class NotificationPreference(models.Model):
    """How a user wants notification email; the bell shows every notification whatever this says.

    A user without a row gets each email at once.
    """

    class Email(models.TextChoices):
        IMMEDIATE = "immediate", _("Each notification by email at once")
        DIGEST = "digest", _("One summary email a day")
        NONE = "none", _("No email: the bell only")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="notification_preference",
    )
    email = models.CharField(
        _("email"), max_length=12, choices=Email.choices, default=Email.IMMEDIATE
    )
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return f"{self.user}: {self.get_email_display()}"
