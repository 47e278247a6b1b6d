"""Every write of the signing infrastructure: authorities, credentials, and the signatures made,
refused and verified, each with its audit entry.

``document_sign`` records a refusal and then raises it: called inside a transaction that the
exception rolls back, the refusal's entry goes with it, so callers catch ``SigningRefused``
there (or sign before opening their transaction), or write the entry again with
``signature_refusal_record`` once the transaction is gone (evaluations.signatures.refusals).
"""

import functools
import hashlib

from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs12
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from partyreg.audit import audit_record, audited_update, changes_between, snapshot

from . import at_rest
from .certificates import (
    certificate_problem,
    common_name,
    fingerprint,
    load_certificate,
    pem,
)
from .keys import ExternalSigner, Pkcs11Signer, Pkcs12Signer, Signer
from .models import SigningCredential, TrustedAuthority
from .pdf import sign_pdf
from .problems import Problem, SigningRefused
from .selectors import trusted_certificates
from .verify import SignatureReport, verify_pdf

AUTHORITY_FIELDS = ("name", "fingerprint", "valid_to", "active")
CREDENTIAL_FIELDS = ("label", "kind", "fingerprint", "valid_to", "active")


# --- Trusted authorities --------------------------------------------------------------------


def read_certificate(data: bytes | str) -> x509.Certificate:
    try:
        return load_certificate(data)
    except ValueError as error:
        raise ValidationError(_("This is not a certificate (PEM or DER file).")) from error


def authority_certificate_check(certificate: x509.Certificate) -> None:
    try:
        is_ca = certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        is_ca = False
    if not is_ca:
        raise ValidationError(_("This is a signer's certificate, not a certificate authority's."))
    if TrustedAuthority.objects.filter(fingerprint=fingerprint(certificate)).exists():
        raise ValidationError(_("This certificate authority is already registered."))


@transaction.atomic
def trusted_authority_add(*, actor, name: str, certificate: bytes | str) -> TrustedAuthority:
    """``certificate``: the authority's, PEM or DER."""
    certificate = read_certificate(certificate)
    authority_certificate_check(certificate)
    authority = TrustedAuthority.objects.create(
        name=name,
        certificate_pem=pem(certificate),
        fingerprint=fingerprint(certificate),
        subject=certificate.subject.rfc4514_string()[:500],
        valid_to=certificate.not_valid_after_utc,
        added_by=actor if actor is not None and actor.is_authenticated else None,
    )
    audit_record(
        actor=actor,
        action="authority.add",
        target=authority,
        changes=changes_between({}, snapshot(authority, AUTHORITY_FIELDS)),
    )
    return authority


@transaction.atomic
def trusted_authority_set_active(*, actor, authority: TrustedAuthority, active: bool):
    authority = TrustedAuthority.objects.select_for_update().get(pk=authority.pk)
    return audited_update(
        actor=actor,
        obj=authority,
        values={"active": active},
        take_snapshot=lambda obj: snapshot(obj, AUTHORITY_FIELDS),
        action="authority.update",
    )


# --- Signing credentials --------------------------------------------------------------------


def signer_certificate_check(
    certificate: x509.Certificate, intermediates: list[x509.Certificate] = ()
) -> None:
    """Refuses a certificate that is not valid today or not issued by a trusted authority."""
    now = timezone.now()
    if now > certificate.not_valid_after_utc:
        raise ValidationError(
            _("This certificate expired on %(date)s.")
            % {"date": f"{timezone.localtime(certificate.not_valid_after_utc):%d/%m/%Y}"}
        )
    if now < certificate.not_valid_before_utc:
        raise ValidationError(
            _("This certificate is valid only from %(date)s.")
            % {"date": f"{timezone.localtime(certificate.not_valid_before_utc):%d/%m/%Y}"}
        )
    if certificate_problem(
        certificate, trust_roots=trusted_certificates(), moment=now, intermediates=intermediates
    ):
        raise ValidationError(
            _(
                "This certificate was not issued by a registered certificate authority; an "
                "administrator registers the authority first."
            )
        )
    if SigningCredential.objects.filter(active=True, fingerprint=fingerprint(certificate)).exists():
        raise ValidationError(
            _("This certificate is already installed; deactivate the installed one first.")
        )


def read_pkcs12(data: bytes, passphrase: str) -> tuple[x509.Certificate, list[x509.Certificate]]:
    """The signer's certificate and the others a PKCS#12 file holds, checked for signing."""
    try:
        key, certificate, others = pkcs12.load_key_and_certificates(data, passphrase.encode())
    except ValueError as error:
        raise ValidationError(
            _("The passphrase is wrong, or this is not a certificate file (PKCS#12, .p12/.pfx).")
        ) from error
    if key is None or certificate is None:
        raise ValidationError(_("This file holds no signing key with its certificate."))
    signer_certificate_check(certificate, others)
    return certificate, others


def _certificate_fields(certificate: x509.Certificate, chain: list[x509.Certificate]) -> dict:
    return {
        "certificate_pem": pem(certificate),
        "chain_pem": "".join(pem(c) for c in chain),
        "fingerprint": fingerprint(certificate),
        "subject_name": common_name(certificate)[:200],
        "serial": f"{certificate.serial_number:x}",
        "valid_from": certificate.not_valid_before_utc,
        "valid_to": certificate.not_valid_after_utc,
    }


def _credential_create(*, actor, **fields) -> SigningCredential:
    credential = SigningCredential.objects.create(
        installed_by=actor if actor is not None and actor.is_authenticated else None, **fields
    )
    audit_record(
        actor=actor,
        action="credential.install",
        target=credential,
        changes=changes_between({}, snapshot(credential, CREDENTIAL_FIELDS)),
    )
    return credential


@transaction.atomic
def signing_credential_install(
    *, actor, label: str, pkcs12_data: bytes, passphrase: str
) -> SigningCredential:
    """A certificate file (PKCS#12), kept encrypted with its passphrase."""
    certificate, others = read_pkcs12(pkcs12_data, passphrase)
    return _credential_create(
        actor=actor,
        kind=SigningCredential.Kind.PKCS12,
        label=label,
        pkcs12_encrypted=at_rest.encrypt(pkcs12_data),
        passphrase_encrypted=at_rest.encrypt(passphrase.encode()),
        **_certificate_fields(certificate, others),
    )


def token_signer(*, token_label: str, key_label: str, chain=()) -> Pkcs11Signer:
    signing = settings.PARTYREG_SIGNING
    return Pkcs11Signer(
        module=signing["PKCS11_MODULE"],
        token_label=token_label,
        key_label=key_label,
        pin=signing["PKCS11_PIN"],
        chain=chain,
    )


def read_token_certificate(*, token_label: str, key_label: str) -> x509.Certificate:
    try:
        certificate = token_signer(token_label=token_label, key_label=key_label).certificate
    except SigningRefused as error:
        raise ValidationError(
            _(
                "The token “%(token)s” cannot be opened with the configured PIN, or holds no key "
                "and certificate labelled “%(key)s”."
            )
            % {"token": token_label, "key": key_label}
        ) from error
    signer_certificate_check(certificate)
    return certificate


@transaction.atomic
def signing_credential_install_token(
    *, actor, label: str, token_label: str, key_label: str
) -> SigningCredential:
    """A key on a token or HSM (PKCS#11), its certificate read from the token."""
    certificate = read_token_certificate(token_label=token_label, key_label=key_label)
    return _credential_create(
        actor=actor,
        kind=SigningCredential.Kind.PKCS11,
        label=label,
        token_label=token_label,
        key_label=key_label,
        **_certificate_fields(certificate, []),
    )


@transaction.atomic
def signing_credential_register_external(
    *, actor, label: str, certificate: bytes | str
) -> SigningCredential:
    """A signer who signs outside the site, known by the certificate alone (PEM or DER)."""
    certificate = read_certificate(certificate)
    signer_certificate_check(certificate)
    return _credential_create(
        actor=actor,
        kind=SigningCredential.Kind.EXTERNAL,
        label=label,
        **_certificate_fields(certificate, []),
    )


@transaction.atomic
def signing_credential_set_active(*, actor, credential: SigningCredential, active: bool):
    credential = SigningCredential.objects.select_for_update().get(pk=credential.pk)
    return audited_update(
        actor=actor,
        obj=credential,
        values={"active": active},
        take_snapshot=lambda obj: snapshot(obj, CREDENTIAL_FIELDS),
        action="credential.update",
    )


def credential_signer(credential: SigningCredential, *, signed_upload: bytes | None) -> Signer:
    if credential.kind == SigningCredential.Kind.PKCS12:
        try:
            data = at_rest.decrypt(credential.pkcs12_encrypted)
            passphrase = at_rest.decrypt(credential.passphrase_encrypted)
        except at_rest.InvalidToken as error:
            raise SigningRefused(Problem.UNAVAILABLE) from error
        return _loaded_file(data, passphrase)
    if credential.kind == SigningCredential.Kind.PKCS11:
        return token_signer(
            token_label=credential.token_label,
            key_label=credential.key_label,
            chain=_chain(credential),
        )
    if signed_upload is None:
        raise SigningRefused(Problem.UNSIGNED)
    return ExternalSigner(
        signed_upload,
        trust_roots=trusted_certificates(),
        expected_fingerprint=credential.fingerprint,
    )


@functools.lru_cache(maxsize=32)
def _loaded_file(data: bytes, passphrase: bytes) -> Pkcs12Signer:
    """The file's signer with its key read, once per process and file: reading a PKCS#12 file
    took 90 ms on the benchmark machine, more than the signature. Decrypted each time, so a
    changed PARTYREG_SIGNING["KEY"] stops it at once."""
    signer = Pkcs12Signer(data, passphrase)
    signer.certificate  # noqa: B018  (reads the file; a refusal is not cached)
    return signer


def _chain(credential: SigningCredential) -> list[x509.Certificate]:
    end = "-----END CERTIFICATE-----"
    return [load_certificate(block + end) for block in credential.chain_pem.split(end)[:-1]]


# --- Signatures -----------------------------------------------------------------------------


def document_sign(
    *,
    actor,
    pdf: bytes,
    credential: SigningCredential,
    subject: models.Model,
    field_name: str,
    box: tuple[int, float, float, float, float],
    name: str,
    role: str,
    reason: str,
    signed_upload: bytes | None = None,
) -> bytes:
    """``pdf`` signed with ``credential`` (for a signer outside the site: ``signed_upload``
    checked to be ``pdf`` signed by them), the signature recorded on ``subject``'s history.

    Refused, and recorded, when the credential is inactive, its certificate not the registered
    one, expired or not from a trusted authority, or the upload not this document validly signed.
    """
    try:
        # Read afresh: an administrator may have withdrawn it since the caller loaded it.
        if not SigningCredential.objects.filter(pk=credential.pk, active=True).exists():
            raise SigningRefused(Problem.UNAVAILABLE)
        signer = credential_signer(credential, signed_upload=signed_upload)
        if credential.kind != SigningCredential.Kind.EXTERNAL:
            _signing_certificate_check(credential, signer.certificate)
        signed = sign_pdf(
            pdf,
            signer=signer,
            field_name=field_name,
            box=box,
            name=name,
            role=role,
            reason=reason,
            tsa_url=settings.PARTYREG_SIGNING["TSA_URL"] or None,
        )
    except SigningRefused as refusal:
        signature_refusal_record(
            actor=actor,
            credential=credential,
            subject=subject,
            field_name=field_name,
            problem=refusal.problem,
        )
        raise
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="signature.make",
            target=credential,
            subject=subject,
            changes={
                "field": [None, field_name],
                "signer": [None, credential.subject_name],
                "fingerprint": [None, credential.fingerprint],
                "document": [None, hashlib.sha256(signed).hexdigest()],
            },
        )
    return signed


@transaction.atomic
def signature_refusal_record(
    *, actor, credential: SigningCredential, subject: models.Model, field_name: str, problem
) -> None:
    """The audit entry of a signature refused: ``document_sign`` writes it; a caller whose
    transaction the refusal rolls back writes it again once outside (see the module's note)."""
    audit_record(
        actor=actor,
        action="signature.refuse",
        target=credential,
        subject=subject,
        changes={"field": [None, field_name], "problem": [None, Problem(problem).value]},
        note=str(Problem(problem).label),
    )


def _signing_certificate_check(credential: SigningCredential, certificate: x509.Certificate):
    if fingerprint(certificate) != credential.fingerprint:
        raise SigningRefused(Problem.WRONG_SIGNER)
    problem = certificate_problem(
        certificate,
        trust_roots=trusted_certificates(),
        moment=timezone.now(),
        intermediates=_chain(credential),
    )
    if problem is not None:
        raise SigningRefused(problem)


@transaction.atomic
def document_verify(
    *, actor, pdf: bytes, subject: models.Model, expected_original: bytes | None = None
) -> list[SignatureReport]:
    """The report on each signature of ``pdf``, recorded on ``subject``'s history."""
    reports = verify_pdf(
        pdf, trust_roots=trusted_certificates(), expected_original=expected_original
    )
    valid = _("valid")
    lines = [f"{r.field_name}: {r.signer_name} — {r.message or valid}" for r in reports]
    audit_record(
        actor=actor,
        action="signature.verify",
        target=subject,
        changes={"document": [None, hashlib.sha256(pdf).hexdigest()]},
        note="\n".join(lines) or _("The file carries no signature."),
    )
    return reports
