"""X.509 certificates: reading them, naming them, and checking them against trusted authorities."""

import asyncio
import hashlib
from collections.abc import Iterable
from datetime import datetime

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.errors import PathBuildingError, PathValidationError

from .problems import Problem


def load_certificate(data: bytes | str) -> x509.Certificate:
    """A certificate from PEM text or DER bytes; ``ValueError`` when it is neither."""
    raw = data.encode("ascii", errors="replace") if isinstance(data, str) else data
    if raw.lstrip().startswith(b"-----BEGIN"):
        return x509.load_pem_x509_certificate(raw)
    return x509.load_der_x509_certificate(raw)


def pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(Encoding.PEM).decode("ascii")


def fingerprint(certificate: x509.Certificate | asn1_x509.Certificate) -> str:
    """SHA-256 of the DER encoding, lowercase hex: how the site names a certificate."""
    der = (
        certificate.public_bytes(Encoding.DER)
        if isinstance(certificate, x509.Certificate)
        else certificate.dump()
    )
    return hashlib.sha256(der).hexdigest()


def subject_attribute(certificate: x509.Certificate, oid) -> str:
    values = certificate.subject.get_attributes_for_oid(oid)
    return str(values[0].value) if values else ""


def common_name(certificate: x509.Certificate) -> str:
    return (
        subject_attribute(certificate, NameOID.COMMON_NAME) or certificate.subject.rfc4514_string()
    )


def to_asn1(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(Encoding.DER))


def from_asn1(certificate: asn1_x509.Certificate) -> x509.Certificate:
    return x509.load_der_x509_certificate(certificate.dump())


def validation_context(
    trust_roots: Iterable[x509.Certificate], *, moment: datetime | None, others=()
) -> ValidationContext:
    """Trust in ``trust_roots`` only, checked at ``moment``. Revocation lists are not fetched:
    a signer's revoked certificate is refused only once its authority is deactivated."""
    return ValidationContext(
        trust_roots=[to_asn1(root) for root in trust_roots],
        other_certs=list(others),
        moment=moment,
        allow_fetching=False,
        revocation_mode="soft-fail",
    )


def certificate_problem(
    certificate: x509.Certificate,
    *,
    trust_roots: Iterable[x509.Certificate],
    moment: datetime,
    intermediates: Iterable[x509.Certificate] = (),
) -> Problem | None:
    """Why ``certificate`` may not sign at ``moment``, or None: outside its validity, or not
    issued (through ``intermediates``) by one of ``trust_roots``."""
    if not certificate.not_valid_before_utc <= moment <= certificate.not_valid_after_utc:
        return Problem.EXPIRED
    validator = CertificateValidator(
        to_asn1(certificate),
        intermediate_certs=[to_asn1(c) for c in intermediates],
        validation_context=validation_context(trust_roots, moment=moment),
    )
    try:
        asyncio.run(validator.async_validate_path())
    except (PathBuildingError, PathValidationError):
        return Problem.UNTRUSTED
    return None
