from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.models import Member, Organisation

# The meetings' models belong to this app: imported here, by name, so Django registers them.
from .meetings.models import (  # noqa: F401
    Attendance,
    AttendanceCorrection,
    Meeting,
    NonParticipationReport,
)


class Referral(models.Model):
    """One introduction letter (giấy giới thiệu) and the steps the residence side takes on it.

    The state moves only through ``residence.services._transitions._transition``, which follows
    ``ALLOWED_TRANSITIONS`` below.
    """

    class State(models.TextChoices):
        ISSUED = "issued", _("Issued")
        RECEIVED = "received", _("Received")
        ASSIGNED = "assigned", _("Assigned to a cell")
        REPORTED = "reported", _("Member presented")
        CLOSED = "closed", _("Closed")

    class CloseReason(models.TextChoices):
        MOVED = "moved", _("Moved house")
        EXPELLED = "expelled", _("Expelled")
        STRUCK_OFF = "struck_off", _("Struck off")
        LEFT = "left", _("Left the Party")
        DECEASED = "deceased", _("Deceased")
        WITHDRAWN = "withdrawn", _("Withdrawn (issued in error)")

    # States in which the member still waits to present themselves.
    AWAITING_STATES = (State.ISSUED, State.RECEIVED, State.ASSIGNED)

    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.PROTECT, related_name="referrals"
    )
    issuing_org = models.ForeignKey(
        Organisation,
        verbose_name=_("workplace organisation"),
        on_delete=models.PROTECT,
        related_name="issued_referrals",
        help_text=_("The member's workplace organisation; it follows a change of workplace."),
    )
    signing_org = models.ForeignKey(
        Organisation,
        verbose_name=_("issuing committee"),
        on_delete=models.PROTECT,
        related_name="signed_referrals",
        help_text=_("The committee whose letter this is; it numbers its letters by year."),
    )
    commune = models.ForeignKey(
        Organisation,
        verbose_name=_("commune or ward committee"),
        on_delete=models.PROTECT,
        related_name="incoming_referrals",
    )
    residence_cell = models.ForeignKey(
        Organisation,
        verbose_name=_("residence cell"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_referrals",
    )
    year = models.PositiveSmallIntegerField(_("year"))
    number = models.PositiveIntegerField(_("number"))
    exempt_activity = models.BooleanField(
        _("introduced but exempt from residence activity"), default=False
    )
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.ISSUED, db_index=True
    )
    batch = models.UUIDField(_("batch"), null=True, blank=True, db_index=True)
    due_on = models.DateField(_("report due on"))

    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assigned_at = models.DateTimeField(_("assigned at"), null=True, blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    presented_on = models.DateField(_("presented on"), null=True, blank=True)
    reported_at = models.DateTimeField(_("presentation recorded at"), null=True, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    close_reason = models.CharField(
        _("reason for closing"), max_length=16, choices=CloseReason.choices, blank=True
    )
    close_note = models.CharField(_("note on closing"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["member"],
                condition=~Q(state="closed"),
                name="referral_one_live_per_member",
                violation_error_message=_("This member already has a referral in progress."),
            ),
            models.UniqueConstraint(
                fields=["signing_org", "year", "number"], name="referral_number_unique"
            ),
            models.CheckConstraint(
                condition=Q(state="closed") | Q(close_reason=""),
                name="referral_reason_only_when_closed",
            ),
            models.CheckConstraint(
                condition=~Q(state="closed") | ~Q(close_reason=""),
                name="referral_closed_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(state__in=["assigned", "reported"]) | Q(residence_cell__isnull=False),
                name="referral_assigned_has_cell",
            ),
        ]
        indexes = [
            models.Index(fields=["commune", "state"], name="referral_commune_state"),
            models.Index(fields=["residence_cell", "state"], name="referral_cell_state"),
            models.Index(fields=["issuing_org", "state"], name="referral_org_state"),
        ]

    def __str__(self) -> str:
        return f"{self.number_display} — {self.member}"

    @property
    def number_display(self) -> str:
        return f"{self.number}-GGT/ĐU"

    @property
    def is_overdue(self) -> bool:
        return self.state in self.AWAITING_STATES and self.due_on < timezone.localdate()

    @property
    def is_live(self) -> bool:
        return self.state != self.State.CLOSED


class ChangeNotice(models.Model):
    """What the workplace tells the residence side when a member's situation changes."""

    class Kind(models.TextChoices):
        MOVED = "moved", _("Moved house")
        CHANGED_WORKPLACE = "changed_workplace", _("Changed workplace")
        DISCIPLINED = "disciplined", _("Disciplined")
        EXPELLED = "expelled", _("Expelled")
        STRUCK_OFF = "struck_off", _("Struck off")
        LEFT = "left", _("Left the Party")
        DECEASED = "deceased", _("Deceased")

    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.PROTECT, related_name="change_notices"
    )
    kind = models.CharField(_("change"), max_length=20, choices=Kind.choices)
    effective_on = models.DateField(_("effective on"))
    details = models.TextField(_("details"), blank=True)
    workplace_org = models.ForeignKey(
        Organisation,
        verbose_name=_("workplace organisation"),
        on_delete=models.PROTECT,
        related_name="sent_change_notices",
        help_text=_("The workplace organisation that recorded the change."),
    )
    old_referral = models.ForeignKey(
        Referral,
        verbose_name=_("previous referral"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    new_referral = models.ForeignKey(
        Referral,
        verbose_name=_("new referral"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    commune = models.ForeignKey(
        Organisation,
        verbose_name=_("commune or ward committee"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="change_notices",
    )
    residence_cell = models.ForeignKey(
        Organisation,
        verbose_name=_("residence cell"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cell_change_notices",
    )
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("change notice")
        verbose_name_plural = _("change notices")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["commune", "acknowledged_at"], name="notice_commune_ack"),
            models.Index(fields=["residence_cell", "acknowledged_at"], name="notice_cell_ack"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.member}"
