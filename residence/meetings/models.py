"""Residence meetings with working members, their attendance, and non-participation reports.

A meeting's state and its attendance rows change only through ``residence.meetings.services``;
once the secretary confirms the list, a row changes only by an ``AttendanceCorrection``.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.models import Member, Organisation


class Meeting(models.Model):
    class Kind(models.TextChoices):
        REGULAR = "regular", _("Meeting with working members")
        RESIDENTS = "residents", _("Residents' activity")

    class State(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        RECORDED = "recorded", _("Attendance recorded")
        CONFIRMED = "confirmed", _("Confirmed")
        CANCELLED = "cancelled", _("Cancelled")

    # States in which the secretary may still change the list directly.
    OPEN_STATES = (State.SCHEDULED, State.RECORDED)

    residence_cell = models.ForeignKey(
        Organisation,
        verbose_name=_("residence cell"),
        on_delete=models.PROTECT,
        related_name="meetings",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.REGULAR)
    held_on = models.DateField(_("date"))
    starts_at = models.TimeField(_("time"))
    place = models.CharField(_("place"), max_length=255)
    agenda = models.TextField(_("agenda"))
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.SCHEDULED
    )
    created_at = models.DateTimeField(_("scheduled at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=500, blank=True)
    # The calendar invitation's SEQUENCE (RFC 5545): one more at each move or cancellation,
    # so invitees' calendars take the newest invitation for the one they hold.
    sequence = models.PositiveSmallIntegerField(_("version of the invitation"), default=0)

    class Meta:
        verbose_name = _("residence meeting")
        verbose_name_plural = _("residence meetings")
        ordering = ["-held_on", "-starts_at", "-id"]
        indexes = [
            models.Index(fields=["residence_cell", "held_on"], name="meeting_cell_date"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="confirmed") | Q(confirmed_at__isnull=False),
                name="meeting_confirmed_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.residence_cell} — {self.held_on:%d/%m/%Y}"

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN_STATES

    @property
    def is_locked(self) -> bool:
        return self.state == self.State.CONFIRMED

    def is_ahead(self, today) -> bool:
        """Still to come: a later day, or today while nobody's attendance is recorded yet."""
        return self.held_on > today or (
            self.held_on == today and self.state == self.State.SCHEDULED
        )


class Attendance(models.Model):
    """One invitee of one meeting: invited, then what they announced, then what was recorded."""

    class Status(models.TextChoices):
        INVITED = "invited", _("Invited")
        WILL_BE_ABSENT = "will_be_absent", _("Will be absent")
        PRESENT = "present", _("Present")
        EXCUSED = "excused", _("Absent with reason")
        UNEXCUSED = "unexcused", _("Absent without reason")

    # What the secretary records; the first two are only announcements.
    FINAL_STATUSES = (Status.PRESENT, Status.EXCUSED, Status.UNEXCUSED)

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="attendances"
    )
    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.PROTECT, related_name="attendances"
    )
    referral = models.ForeignKey(
        "residence.Referral",
        verbose_name=_("referral"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The referral that tied the member to the cell when they were invited."),
    )
    status = models.CharField(
        _("attendance"), max_length=16, choices=Status.choices, default=Status.INVITED
    )
    reason = models.CharField(_("reason for absence"), max_length=500, blank=True)
    absence_notice = models.CharField(
        _("absence announced by the member"), max_length=500, blank=True
    )
    absence_notice_at = models.DateTimeField(_("absence announced at"), null=True, blank=True)
    invited_at = models.DateTimeField(_("invited at"), default=timezone.now)
    recorded_at = models.DateTimeField(_("recorded at"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "member"], name="attendance_once_per_meeting"
            ),
        ]
        indexes = [
            models.Index(fields=["member", "status"], name="attendance_member_status"),
        ]

    def __str__(self) -> str:
        return f"{self.member} — {self.get_status_display()}"

    @property
    def is_final(self) -> bool:
        return self.status in self.FINAL_STATUSES


class AttendanceCorrection(models.Model):
    """A change to a confirmed list: who changed which mark, from what, to what, and why."""

    attendance = models.ForeignKey(
        Attendance,
        verbose_name=_("attendance"),
        on_delete=models.CASCADE,
        related_name="corrections",
    )
    old_status = models.CharField(_("old mark"), max_length=16, choices=Attendance.Status.choices)
    new_status = models.CharField(_("new mark"), max_length=16, choices=Attendance.Status.choices)
    old_reason = models.CharField(_("old reason for absence"), max_length=500, blank=True)
    new_reason = models.CharField(_("new reason for absence"), max_length=500, blank=True)
    why = models.CharField(_("why it was corrected"), max_length=500)
    created_at = models.DateTimeField(_("corrected at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("attendance correction")
        verbose_name_plural = _("attendance corrections")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.attendance.member}: {self.old_status} → {self.new_status}"


class NonParticipationReport(models.Model):
    """The residence side tells the workplace that a member does not take part (workflow 6)."""

    member = models.ForeignKey(
        Member,
        verbose_name=_("member"),
        on_delete=models.PROTECT,
        related_name="nonparticipation_reports",
    )
    residence_cell = models.ForeignKey(
        Organisation,
        verbose_name=_("residence cell"),
        on_delete=models.PROTECT,
        related_name="sent_nonparticipation_reports",
    )
    workplace_org = models.ForeignKey(
        Organisation,
        verbose_name=_("workplace organisation"),
        on_delete=models.PROTECT,
        related_name="received_nonparticipation_reports",
    )
    year = models.PositiveSmallIntegerField(_("year"))
    text = models.TextField(_("report"))
    meetings_missed = models.PositiveSmallIntegerField(_("meetings missed without reason"))
    created_at = models.DateTimeField(_("sent at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action_taken = models.TextField(_("action taken"), blank=True)

    class Meta:
        verbose_name = _("non-participation report")
        verbose_name_plural = _("non-participation reports")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["workplace_org", "acknowledged_at"], name="npr_workplace_ack"),
            models.Index(fields=["residence_cell", "created_at"], name="npr_cell_created"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(acknowledged_at__isnull=True) | ~Q(action_taken=""),
                name="npr_acknowledged_has_action",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} — {self.residence_cell}"
