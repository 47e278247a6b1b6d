"""The certificate authorities administrators trust, and the credentials committees sign with.

Both are domain-free: which committee signs with a credential is recorded by the app that knows
committees (a foreign key from there to ``SigningCredential``).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# How the audit log names the signing actions.
AUDIT_ACTIONS = {
    "authority.add": _("Certificate authority registered"),
    "authority.update": _("Certificate authority changed"),
    "credential.install": _("Signing certificate installed"),
    "credential.update": _("Signing certificate changed"),
    "signature.make": _("Document signed"),
    "signature.refuse": _("Signature refused"),
    "signature.verify": _("Signatures checked"),
}
AUDIT_FIELDS = {
    "fingerprint": _("fingerprint"),
    "label": _("label"),
    "valid_to": _("valid until"),
    "field": _("signature field"),
    "signer": _("signer"),
    "document": _("signed document (SHA-256)"),
    "problem": _("reason refused"),
}


class TrustedAuthority(models.Model):
    """A certificate authority whose certificates the committees use (in Viet Nam, the
    Government Cipher Committee's CA). Signatures by certificates outside them are refused."""

    name = models.CharField(_("name"), max_length=200)
    certificate_pem = models.TextField(_("certificate (PEM)"))
    # SHA-256 of the certificate's DER encoding, in lowercase hex.
    fingerprint = models.CharField(_("fingerprint"), max_length=64, unique=True, editable=False)
    subject = models.CharField(_("certificate subject"), max_length=500, editable=False)
    valid_to = models.DateTimeField(_("valid until"), editable=False)
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
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("trusted certificate authority")
        verbose_name_plural = _("trusted certificate authorities")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SigningCredential(models.Model):
    """A key a committee signs with, and its certificate.

    A certificate file (PKCS#12) is kept encrypted, with its passphrase, by the key in
    ``PARTYREG_SIGNING["KEY"]``; a token or HSM is named by its labels (its module and PIN are
    settings); a signer who signs outside the site is known by the certificate alone.
    """

    class Kind(models.TextChoices):
        PKCS11 = "pkcs11", _("Token or HSM (PKCS#11)")
        PKCS12 = "pkcs12", _("Certificate file (PKCS#12)")
        EXTERNAL = "external", _("Signed outside the site and uploaded")

    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    label = models.CharField(_("label"), max_length=200)
    pkcs12_encrypted = models.TextField(blank=True, editable=False)
    passphrase_encrypted = models.TextField(blank=True, editable=False)
    token_label = models.CharField(_("token label"), max_length=32, blank=True)
    key_label = models.CharField(_("key label"), max_length=100, blank=True)
    certificate_pem = models.TextField(_("certificate (PEM)"), editable=False)
    # Certificates between the signer's and a trusted authority's, PEM, as the file held them.
    chain_pem = models.TextField(blank=True, editable=False)
    fingerprint = models.CharField(_("fingerprint"), max_length=64, editable=False)
    subject_name = models.CharField(_("signer"), max_length=200, editable=False)
    serial = models.CharField(_("serial number"), max_length=100, editable=False)
    valid_from = models.DateTimeField(_("valid from"), editable=False)
    valid_to = models.DateTimeField(_("valid until"), editable=False)
    installed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("installed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    installed_at = models.DateTimeField(_("installed at"), default=timezone.now, editable=False)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("signing certificate")
        verbose_name_plural = _("signing certificates")
        ordering = ["label"]
        constraints = [
            # A certificate replaced (new passphrase, new token) is deactivated first.
            models.UniqueConstraint(
                fields=["fingerprint"],
                condition=Q(active=True),
                name="signing_credential_active_once",
            ),
            models.CheckConstraint(
                condition=~Q(kind="pkcs12")
                | (~Q(pkcs12_encrypted="") & ~Q(passphrase_encrypted="")),
                name="signing_credential_pkcs12_has_file",
            ),
            models.CheckConstraint(
                condition=~Q(kind="pkcs11") | (~Q(token_label="") & ~Q(key_label="")),
                name="signing_credential_pkcs11_has_labels",
            ),
            models.CheckConstraint(
                condition=Q(valid_from__lt=models.F("valid_to")),
                name="signing_credential_validity_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.subject_name})"
