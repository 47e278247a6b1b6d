"""The annual comment campaign (workflow 4) and the year-end grade (workflow 5).

Criteria and their levels are data, copied into each campaign when it opens, so a wording
correction is an edit in the administration, never a release, and an old campaign keeps the
wording it was run with.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from members.models import Member, Organisation
from residence.models import Referral

# The reminder switches and the signed documents belong to this app: imported here, by name,
# so Django registers them.
from .reminders.models import OrganisationReminderSetting  # noqa: F401
from .signatures.models import DocumentSignature, SignedDocument  # noqa: F401


class SheetForm(models.TextChoices):
    """Which comment sheet a member gets (forms 3-213 and 4-213 as practice numbers them)."""

    NORMAL = "normal", _("Comment sheet for a member who takes part")
    EXEMPT = "exempt", _("Comment sheet for a member exempt from residence activity")


class Campaign(models.Model):
    class State(models.TextChoices):
        OPEN = "open", pgettext_lazy("campaign state", "Open")
        CLOSED = "closed", _("Closed")

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("opened by organisation"),
        on_delete=models.PROTECT,
        related_name="comment_campaigns",
        help_text=_("A workplace organisation, or a supervising committee for all below it."),
    )
    year = models.PositiveSmallIntegerField(_("year"))
    title = models.CharField(_("title"), max_length=255)
    due_on = models.DateField(_("comments due on"))
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.OPEN)
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("comment campaign")
        verbose_name_plural = _("comment campaigns")
        ordering = ["-year", "organisation__name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "year"], name="campaign_one_per_year")
        ]

    def __str__(self) -> str:
        return self.title


class Criterion(models.Model):
    """One line of a comment sheet: its wording and its (usually three) levels, best first.

    Rows without a campaign are the default set an administrator edits; opening a campaign
    copies them.
    """

    campaign = models.ForeignKey(
        Campaign,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="criteria",
        verbose_name=_("campaign"),
    )
    form = models.CharField(_("sheet"), max_length=8, choices=SheetForm.choices)
    position = models.PositiveSmallIntegerField(pgettext_lazy("order in a list", "position"))
    text = models.TextField(_("wording"))
    levels = models.JSONField(_("levels, best first"), default=list)

    class Meta:
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        ordering = ["campaign_id", "form", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "form", "position"], name="criterion_position_unique"
            ),
            models.UniqueConstraint(
                fields=["form", "position"],
                condition=Q(campaign__isnull=True),
                name="criterion_default_position_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.text[:60]}"


class Sitting(models.Model):
    """The collective sitting of the cell committee with the residents' Front committee.

    Regulation 213 asks for comments agreed in a meeting, not written by the secretary alone;
    a comment cannot be submitted without one of these behind it.
    """

    residence_cell = models.ForeignKey(
        Organisation,
        verbose_name=_("residence cell"),
        on_delete=models.PROTECT,
        related_name="comment_sittings",
    )
    year = models.PositiveSmallIntegerField(_("year"))
    held_on = models.DateField(_("held on"))
    place = models.CharField(_("place"), max_length=255, blank=True)
    cell_committee_attendees = models.TextField(
        _("cell committee members present"), help_text=_("One name per line, with the role.")
    )
    front_committee_attendees = models.TextField(
        _("Front committee members present"),
        help_text=_("One name per line, with the role in the residents' Front committee."),
    )
    note = models.TextField(_("note"), blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("comment sitting")
        verbose_name_plural = _("comment sittings")
        ordering = ["-held_on", "-id"]

    def __str__(self) -> str:
        return f"{self.residence_cell} — {self.held_on:%d/%m/%Y}"


class CommentRequest(models.Model):
    """One request for one member's annual comment, and the comment that answers it."""

    class State(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        SUBMITTED = "submitted", _("Submitted")
        RETURNED = "returned", _("Returned for revision")
        CERTIFIED = "certified", _("Certified and returned")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    # The states in which the residence cell writes the comment: first asked, or sent back.
    WITH_CELL = (State.REQUESTED, State.RETURNED)

    class Reason(models.TextChoices):
        ANNUAL = "annual", _("Annual grading")
        PERSONNEL = "personnel", _("Personnel procedure")
        AWARD = "award", _("Award")
        DISCIPLINE = "discipline", _("Discipline")

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.PROTECT, related_name="requests"
    )
    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.PROTECT, related_name="comment_requests"
    )
    referral = models.ForeignKey(
        Referral, verbose_name=_("referral"), on_delete=models.PROTECT, related_name="+"
    )
    workplace_org = models.ForeignKey(
        Organisation,
        verbose_name=_("workplace organisation"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    residence_cell = models.ForeignKey(
        Organisation, verbose_name=_("residence cell"), on_delete=models.PROTECT, related_name="+"
    )
    commune = models.ForeignKey(
        Organisation, verbose_name=_("commune"), on_delete=models.PROTECT, related_name="+"
    )
    form = models.CharField(_("sheet"), max_length=8, choices=SheetForm.choices)
    reason = models.CharField(
        _("reason"), max_length=12, choices=Reason.choices, default=Reason.ANNUAL
    )
    reason_note = models.CharField(_("details of the reason"), max_length=255, blank=True)
    due_on = models.DateField(_("due on"))
    state = models.CharField(
        _("state"), max_length=12, choices=State.choices, default=State.REQUESTED, db_index=True
    )
    requested_at = models.DateTimeField(default=timezone.now)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    # The comment itself.
    sitting = models.ForeignKey(
        Sitting,
        verbose_name=_("sitting"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="comments",
    )
    other_comments = models.TextField(_("other comments"), blank=True)
    # Attendance facts for the year, copied from the meeting records when the comment is
    # submitted, so the printed sheet states what the cell saw when it commented.
    meetings_invited = models.PositiveSmallIntegerField(null=True, blank=True)
    meetings_present = models.PositiveSmallIntegerField(null=True, blank=True)
    meetings_excused = models.PositiveSmallIntegerField(null=True, blank=True)
    meetings_unexcused = models.PositiveSmallIntegerField(null=True, blank=True)
    # Near-identical free text across members of one cell: the highest similarity found and
    # the comment it resembles.
    similarity = models.FloatField(null=True, blank=True)
    similar_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    certified_at = models.DateTimeField(null=True, blank=True)
    certified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verification_code = models.CharField(max_length=12, unique=True, null=True, blank=True)

    class Meta:
        verbose_name = _("comment request")
        verbose_name_plural = _("comment requests")
        ordering = ["residence_cell_id", "member__search_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "member"],
                condition=~Q(state="withdrawn"),
                name="comment_request_one_per_campaign",
            ),
            models.CheckConstraint(
                condition=Q(state__in=["requested", "returned", "withdrawn"])
                | Q(sitting__isnull=False),
                name="comment_submitted_has_sitting",
            ),
        ]
        indexes = [
            models.Index(fields=["residence_cell", "state"], name="request_cell_state"),
            models.Index(fields=["commune", "state"], name="request_commune_state"),
            models.Index(fields=["workplace_org", "state"], name="request_org_state"),
        ]

    def __str__(self) -> str:
        return f"{self.member} — {self.campaign.year}"

    @property
    def is_overdue(self) -> bool:
        return self.state == self.State.REQUESTED and self.due_on < timezone.localdate()

    @property
    def is_with_cell(self) -> bool:
        return self.state in self.WITH_CELL


class CommentReturn(models.Model):
    """One round of a comment sent back to the cell: why, by whom, when, and the text returned.

    The request holds only the current text, the one the sheet prints once certified; each
    return keeps the text it sent back (and who submitted it when), so every round stays
    readable after the cell has revised it.
    """

    request = models.ForeignKey(
        CommentRequest,
        verbose_name=_("comment request"),
        on_delete=models.CASCADE,
        related_name="returns",
    )
    round = models.PositiveSmallIntegerField(_("round"))
    reason = models.TextField(_("reason for returning"))
    returned_at = models.DateTimeField(_("returned at"), default=timezone.now)
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The text as returned: [{"position", "criterion", "level", "comment"}], levels as worded.
    answers = models.JSONField(_("answers as returned"), default=list)
    other_comments = models.TextField(_("other comments as returned"), blank=True)

    class Meta:
        verbose_name = _("returned comment")
        verbose_name_plural = _("returned comments")
        ordering = ["request_id", "round"]
        constraints = [
            models.UniqueConstraint(fields=["request", "round"], name="comment_return_round")
        ]

    def __str__(self) -> str:
        return f"{self.request_id}/{self.round}"


class CriterionAnswer(models.Model):
    request = models.ForeignKey(CommentRequest, on_delete=models.CASCADE, related_name="answers")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="+")
    # Empty only in a draft: a secretary may write a criterion's comment before choosing its
    # level; submission requires every level.
    level = models.PositiveSmallIntegerField(
        _("level"), null=True, blank=True, help_text=_("0 is the best level.")
    )
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        ordering = ["criterion__position"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "criterion"], name="answer_one_per_criterion"
            )
        ]

    def __str__(self) -> str:
        return f"{self.request_id}/{self.criterion_id}: {self.level}"

    @property
    def level_label(self) -> str:
        levels = self.criterion.levels
        return levels[self.level] if self.level is not None and self.level < len(levels) else ""


class Grade(models.Model):
    """The year-end grade under Regulation 366-QĐ/TW: a 100-point scale, four grades."""

    class Level(models.TextChoices):
        EXCELLENT = "excellent", _("Excellently fulfilled duties")
        GOOD = "good", _("Well fulfilled duties")
        FULFILLED = "fulfilled", _("Fulfilled duties")
        NOT_FULFILLED = "not_fulfilled", _("Did not fulfil duties")

    # Lowest points of each grade, best first (Regulation 366-QĐ/TW).
    THRESHOLDS = (
        (90, Level.EXCELLENT),
        (70, Level.GOOD),
        (50, Level.FULFILLED),
        (0, Level.NOT_FULFILLED),
    )

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="grades")
    year = models.PositiveSmallIntegerField(_("year"))
    points = models.PositiveSmallIntegerField(_("points"), null=True, blank=True)
    level = models.CharField(_("grade"), max_length=16, choices=Level.choices)
    request = models.ForeignKey(
        CommentRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="grades"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("grade")
        verbose_name_plural = _("grades")
        constraints = [
            models.UniqueConstraint(fields=["member", "year"], name="grade_one_per_year"),
            models.CheckConstraint(
                condition=Q(points__isnull=True) | Q(points__lte=100), name="grade_points_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} — {self.year}: {self.get_level_display()}"

    @classmethod
    def level_for(cls, points: int) -> str:
        return next(level for floor, level in cls.THRESHOLDS if points >= floor)


class PrintedSheet(models.Model):
    """The rendered PDF of one comment sheet, kept until its content changes."""

    request = models.OneToOneField(
        CommentRequest, on_delete=models.CASCADE, related_name="printed_sheet"
    )
    content_hash = models.CharField(max_length=64)
    pdf = models.FileField(upload_to="sheets/%Y/")
    pages = models.PositiveSmallIntegerField(default=1)
    rendered_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"sheet {self.request_id}"


class PrintJob(models.Model):
    """A long printing job: the page polls its progress and downloads the files when done."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.CASCADE, related_name="print_jobs"
    )
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    request_ids = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    rendered = models.PositiveIntegerField(
        default=0, help_text=_("Sheets rendered by this job; the others were ready.")
    )
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"print job {self.pk} ({self.status})"

    @property
    def percent(self) -> int:
        return (
            int(100 * self.done / self.total)
            if self.total
            else (100 if self.status == "done" else 0)
        )


class PrintJobFile(models.Model):
    job = models.ForeignKey(PrintJob, on_delete=models.CASCADE, related_name="files")
    position = models.PositiveSmallIntegerField()
    file = models.FileField(upload_to="print-jobs/%Y/%m/")
    sheets = models.PositiveIntegerField()

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return f"{self.job_id}/{self.position}"
