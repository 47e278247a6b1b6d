from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partyreg.text import fold

PATH_SEGMENT_WIDTH = 10


def path_segment(pk: int) -> str:
    return f"{pk:0{PATH_SEGMENT_WIDTH}d}/"


class Organisation(models.Model):
    """A node of the one tree that holds both sides: any depth, no level names in code.

    ``path`` is the chain of ancestor ids ("0000000001/0000000007/"), so a whole subtree is
    one indexed ``LIKE 'prefix%'`` read. Only the services in ``members.services`` write it.
    """

    class Kind(models.TextChoices):
        SUPERVISING = "supervising", _("Supervising committee")
        GRASSROOTS = "grassroots", _("Grassroots Party organisation")
        CELL = "cell", _("Party cell")
        COMMUNE = "commune", _("Commune or ward Party committee")
        RESIDENCE_CELL = "residence_cell", _("Residence Party cell")

    class Side(models.TextChoices):
        """The two committees that share a working member; the ``side`` in URLs."""

        WORKPLACE = "workplace", _("Workplace")
        RESIDENCE = "residence", _("Residence")

    WORKPLACE_KINDS = (Kind.GRASSROOTS, Kind.CELL)
    RESIDENCE_KINDS = (Kind.COMMUNE, Kind.RESIDENCE_CELL)
    # Kinds a working member can belong to as their workplace.
    MEMBER_HOME_KINDS = (Kind.GRASSROOTS, Kind.CELL)

    name = models.CharField(_("name"), max_length=255)
    code = models.CharField(_("code"), max_length=64, unique=True, null=True, blank=True)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(max_length=255, editable=False, default="")
    depth = models.PositiveSmallIntegerField(editable=False, default=0)
    superior_name = models.CharField(
        _("superior body (document header)"), max_length=255, blank=True
    )
    place_name = models.CharField(
        _("place name (date line)"),
        max_length=120,
        blank=True,
        help_text=_("Printed before the date on documents, e.g. “Đà Lạt”."),
    )
    address = models.CharField(_("address"), max_length=255, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    dissolved_on = models.DateField(_("dissolved on"), null=True, blank=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_from",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["path"]
        indexes = [
            # varchar_pattern_ops lets PostgreSQL answer LIKE 'prefix%' from the index whatever
            # the database collation; other databases ignore the operator class.
            models.Index(
                fields=["path"], name="org_path_prefix", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(fields=["kind", "is_active"], name="org_kind_active"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(parent=models.F("id")), name="org_not_own_parent"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_workplace(self) -> bool:
        return self.kind in self.WORKPLACE_KINDS

    @property
    def is_residence(self) -> bool:
        return self.kind in self.RESIDENCE_KINDS

    def is_within(self, other: "Organisation") -> bool:
        """True when ``self`` is ``other`` or lies below it."""
        return bool(other.path) and self.path.startswith(other.path)

    def ancestor_ids(self) -> list[int]:
        return [int(seg) for seg in self.path.split("/") if seg]

    def subtree(self):
        return Organisation.objects.filter(path__startswith=self.path)


class ResidenceArea(models.Model):
    """A place a residence cell covers (a tổ dân phố, khu phố or thôn), named as the commune
    names it; a member whose address names it is proposed for that cell."""

    cell = models.ForeignKey(
        Organisation,
        verbose_name=_("residence cell"),
        on_delete=models.CASCADE,
        related_name="areas",
    )
    name = models.CharField(_("area"), max_length=120)
    search_name = models.CharField(max_length=120, editable=False, default="")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("residence area")
        verbose_name_plural = _("residence areas")
        constraints = [
            models.UniqueConstraint(fields=["cell", "search_name"], name="area_unique_per_cell")
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.search_name = fold(self.name)
        super().save(*args, **kwargs)


class Member(models.Model):
    class Gender(models.TextChoices):
        MALE = "male", _("Male")
        FEMALE = "female", _("Female")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        TRANSFERRED_OUT = "transferred_out", _("Transferred out")
        DISCIPLINED = "disciplined", _("Disciplined")
        EXPELLED = "expelled", _("Expelled")
        STRUCK_OFF = "struck_off", _("Struck off")
        LEFT = "left", _("Left the Party")
        DECEASED = "deceased", _("Deceased")

    # Statuses under which a member still takes part in Party life.
    LIVE_STATUSES = (Status.ACTIVE, Status.DISCIPLINED)
    # Fields that change only by recording a change (residence app), which tells the residence
    # side and moves the referral; an ordinary edit or an import must not change them.
    CHANGE_RECORDED_FIELDS = ("status", "residence_address", "residence_commune", "workplace_org")

    class Category(models.TextChoices):
        NORMAL = "normal", _("Introduced, takes part")
        EXEMPT_ACTIVITY = "exempt_activity", _("Introduced, exempt from residence activity")
        EXEMPT_INTRODUCTION = "exempt_introduction", _("Exempt from introduction")

    full_name = models.CharField(_("full name"), max_length=120)
    search_name = models.CharField(max_length=120, editable=False, default="")
    gender = models.CharField(_("gender"), max_length=8, choices=Gender.choices)
    date_of_birth = models.DateField(_("date of birth"))
    card_number = models.CharField(_("Party card number"), max_length=20, unique=True)
    profile_number = models.CharField(_("profile number"), max_length=20, blank=True)
    admitted_on = models.DateField(_("admitted on"))
    full_member_on = models.DateField(_("full member since"), null=True, blank=True)
    workplace_org = models.ForeignKey(
        Organisation,
        verbose_name=_("workplace Party cell"),
        on_delete=models.PROTECT,
        related_name="members",
    )
    position = models.CharField(_("position at work"), max_length=160, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    email = models.EmailField(_("email"), blank=True)
    residence_address = models.CharField(_("residence address"), max_length=255, blank=True)
    residence_commune = models.ForeignKey(
        Organisation,
        verbose_name=_("commune or ward of residence"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="resident_members",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE
    )
    category = models.CharField(
        _("Regulation 213 category"),
        max_length=24,
        choices=Category.choices,
        default=Category.NORMAL,
    )
    category_reason = models.CharField(_("reason for the category"), max_length=255, blank=True)
    category_since = models.DateField(_("category since"), null=True, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("login"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="member",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("Party member")
        verbose_name_plural = _("Party members")
        ordering = ["search_name", "id"]
        indexes = [
            models.Index(fields=["workplace_org", "search_name"], name="member_org_name"),
            models.Index(fields=["residence_commune", "status"], name="member_commune_status"),
            models.Index(fields=["search_name", "id"], name="member_name_order"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(full_member_on__isnull=True)
                | Q(full_member_on__gte=models.F("admitted_on")),
                name="member_full_after_admission",
            ),
            models.CheckConstraint(
                condition=Q(category="normal") | ~Q(category_reason=""),
                name="member_exemption_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    def save(self, *args, **kwargs):
        self.search_name = fold(self.full_name)
        if kwargs.get("update_fields") is not None and "full_name" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "search_name"}
        super().save(*args, **kwargs)

    @property
    def is_live(self) -> bool:
        return self.status in self.LIVE_STATUSES


class Role(models.Model):
    """A user's role in one organisation; it reaches everything below that organisation."""

    class Kind(models.TextChoices):
        SECRETARY = "secretary", _("Secretary")
        OFFICER = "officer", _("Committee officer")
        STAFF = "staff", _("Supervising staff")

    # Roles that write (referrals, meetings, comments); supervising staff only read.
    ACTING_KINDS = (Kind.SECRETARY, Kind.OFFICER)
    # Roles that make a user one of a committee's people, who may see its members.
    COMMITTEE_KINDS = (Kind.SECRETARY, Kind.OFFICER, Kind.STAFF)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="partyreg_roles"
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="roles"
    )
    kind = models.CharField(_("role"), max_length=16, choices=Kind.choices)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation", "kind"], name="role_unique_per_org"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.organisation}"


class MemberImport(models.Model):
    """An uploaded member list, kept between its preview and its confirmation."""

    class Status(models.TextChoices):
        PREVIEWED = "previewed", _("Previewed")
        APPLIED = "applied", _("Applied")
        DISCARDED = "discarded", _("Discarded")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    file = models.FileField(upload_to="imports/%Y/%m/")
    original_name = models.CharField(max_length=255)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PREVIEWED)
    summary = models.JSONField(default=dict, blank=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("member import")
        verbose_name_plural = _("member imports")

    def __str__(self) -> str:
        return self.original_name


class MemberView(models.Model):
    """Who opened which member's record, and how: party records reveal political affiliation,
    so every look is written down (one row per view, never updated)."""

    class Via(models.TextChoices):
        PAGE = "page", _("Member page")
        SHEET = "sheet", _("Comment sheet (PDF)")
        LETTER = "letter", _("Referral letter (PDF)")
        EXPORT = "export", _("Member list export (spreadsheet)")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="views")
    viewed_at = models.DateTimeField(default=timezone.now, editable=False)
    via = models.CharField(max_length=16, choices=Via.choices)

    class Meta:
        verbose_name = _("member record view")
        verbose_name_plural = _("member record views")
        indexes = [models.Index(fields=["member", "-viewed_at"], name="memberview_member_time")]

    def __str__(self) -> str:
        return f"{self.user} — {self.member} ({self.get_via_display()})"


class CommitteeSigner(models.Model):
    """A signing certificate (partyreg.signing) a committee signs its documents with.

    Installed by a site administrator (members.signers). ``user``: the one account that signs
    with it (a personal certificate); empty, anyone acting for the committee does (the
    committee's own certificate).
    """

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("committee"),
        on_delete=models.PROTECT,
        related_name="signers",
    )
    credential = models.ForeignKey(
        "partyreg.SigningCredential",
        verbose_name=_("signing certificate"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("signs for the committee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Empty: whoever acts for the committee signs with it."),
    )
    active = models.BooleanField(_("active"), default=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("added by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    added_at = models.DateTimeField(_("added at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("committee signer")
        verbose_name_plural = _("committee signers")
        ordering = ["organisation", "-added_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "credential"],
                condition=Q(active=True),
                name="committee_signer_active_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation} — {self.credential}"


class CommitteeSigning(models.Model):
    """Whether a committee signs its documents electronically. Off (the default, and for a
    committee without a row) it prints them to be signed on paper."""

    organisation = models.OneToOneField(
        Organisation,
        verbose_name=_("committee"),
        on_delete=models.CASCADE,
        related_name="signing",
    )
    enabled = models.BooleanField(_("signs electronically"), default=False)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("committee's electronic signing")
        verbose_name_plural = _("committees' electronic signing")

    def __str__(self) -> str:
        return str(self.organisation)
