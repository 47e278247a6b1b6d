"""A document the site rendered, kept with the signatures added to it."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.models import Organisation
from partyreg.signing.models import SigningCredential


class SignedDocument(models.Model):
    """A rendering of a sheet or letter and every signature added to it, byte for byte.

    ``pdf`` is the file as it stands: the rendering (its first ``original_length`` bytes, whose
    SHA-256 is ``original_sha256``) followed by one incremental update per signature. The file
    as each signature left it is its first ``DocumentSignature.length`` bytes, so the rendered
    original and every signed revision are all kept in the one file, each with its SHA-256.

    A subject has one live document; a new rendering (a comment written again after it was
    returned) supersedes the old one, which is kept.
    """

    class Kind(models.TextChoices):
        SHEET = "sheet", _("comment sheet")
        LETTER = "letter", _("introduction letter")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    subject_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    subject_id = models.PositiveBigIntegerField()
    subject = GenericForeignKey("subject_type", "subject_id")
    # What the QR code printed on the document names (a comment sheet's is its request's).
    verification_code = models.CharField(_("verification code"), max_length=12)
    pdf = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    original_length = models.PositiveIntegerField()
    original_sha256 = models.CharField(max_length=64)
    # Where each signature shows: {slot: [page index, x1, y1, x2, y2]} in PDF points.
    boxes = models.JSONField(default=dict)
    created_at = models.DateTimeField(_("rendered at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    superseded_at = models.DateTimeField(_("replaced at"), null=True, blank=True)

    class Meta:
        verbose_name = _("signed document")
        verbose_name_plural = _("signed documents")
        constraints = [
            models.UniqueConstraint(
                fields=["subject_type", "subject_id"],
                condition=Q(superseded_at__isnull=True),
                name="signed_document_one_live",
            ),
            models.UniqueConstraint(
                fields=["verification_code"],
                condition=Q(superseded_at__isnull=True),
                name="signed_document_code_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.verification_code}"

    @property
    def original(self) -> bytes:
        return bytes(self.pdf[: self.original_length])


class DocumentSignature(models.Model):
    """One signature of a document: which place of it (``slot``), for which committee, by whom,
    when, with which certificate, and the file as it left it."""

    document = models.ForeignKey(
        SignedDocument, on_delete=models.PROTECT, related_name="signatures"
    )
    slot = models.CharField(_("signature place"), max_length=16)
    field_name = models.CharField(_("signature field"), max_length=100)
    committee = models.ForeignKey(
        Organisation, verbose_name=_("committee"), on_delete=models.PROTECT, related_name="+"
    )
    role = models.CharField(_("role"), max_length=200)
    credential = models.ForeignKey(
        SigningCredential,
        verbose_name=_("signing certificate"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    signer_name = models.CharField(_("signer"), max_length=200)
    fingerprint = models.CharField(_("fingerprint"), max_length=64)
    # Signed outside the site and uploaded.
    uploaded = models.BooleanField(_("signed outside the site"), default=False)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    signed_at = models.DateTimeField(_("signed at"), default=timezone.now)
    length = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("document signature")
        verbose_name_plural = _("document signatures")
        ordering = ["length"]
        constraints = [
            models.UniqueConstraint(fields=["document", "slot"], name="document_signature_slot")
        ]

    def __str__(self) -> str:
        return f"{self.document} — {self.slot}: {self.signer_name}"

    @property
    def revision(self) -> bytes:
        return bytes(self.document.pdf[: self.length])
