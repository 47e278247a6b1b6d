"""Checking the signatures of a PDF: who signed, when, and whether each signature holds.

A signature holds when the bytes it covers are unchanged, it matches its certificate, nothing
but further signatures was added after it, its certificate was valid at the time of signing and
was issued by one of the trusted authorities, and, when the site's own rendering is given, what
was signed is that rendering.

The time of signing is the timestamp's when the signature has one from a trusted authority (B-T),
else the time the signer's software wrote (B-B), which the signer could have set back.
"""

import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.x509.oid import NameOID
from django.utils import timezone
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.misc import PdfReadError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.status import SignatureCoverageLevel

from .certificates import common_name, fingerprint, from_asn1, subject_attribute, validation_context
from .problems import Problem


@dataclass(frozen=True)
class SignatureReport:
    field_name: str
    signer_name: str
    # The signer's title and organisation as the certificate names them.
    role: str
    committee: str
    serial: str
    fingerprint: str
    certificate: x509.Certificate
    signing_time: datetime | None
    timestamped: bool
    stated_reason: str
    intact: bool
    valid: bool
    trusted: bool
    unmodified: bool
    # Whether what was signed is the expected rendering (None: no rendering given).
    matches_original: bool | None
    # Length of the file as this signature signed it.
    signed_bytes: int
    problem: Problem | None

    @property
    def ok(self) -> bool:
        return self.problem is None

    @property
    def message(self) -> str:
        return str(self.problem.label) if self.problem else ""


def verify_pdf(
    pdf_bytes: bytes,
    *,
    trust_roots: Iterable[x509.Certificate],
    expected_original: bytes | None = None,
) -> list[SignatureReport]:
    """One report per signature of ``pdf_bytes``, oldest first; none for a file that is not
    a readable PDF. ``expected_original``: the document the site issued, which the file must
    start with, unchanged, under its first signature made after it."""
    roots = list(trust_roots)
    try:
        signatures = PdfFileReader(io.BytesIO(pdf_bytes), strict=False).embedded_regular_signatures
    except (PdfReadError, ValueError):
        return []
    matches = None
    if expected_original is not None:
        matches = _matches_original(pdf_bytes, signatures, expected_original)
    return [_report(signature, roots, matches) for signature in signatures]


def _report(
    signature: EmbeddedPdfSignature, roots: list[x509.Certificate], matches: bool | None
) -> SignatureReport:
    certificate = from_asn1(signature.signer_cert)
    claimed = signature.self_reported_timestamp
    try:
        status = validate_pdf_signature(
            signature,
            signer_validation_context=validation_context(
                roots, moment=claimed or timezone.now(), others=signature.other_embedded_certs
            ),
            ts_validation_context=validation_context(roots, moment=None),
        )
    except ValueError:  # pyHanko's SignatureValidationError among them
        status = None
    timestamp = status.timestamp_validity if status else None
    signing_time = timestamp.timestamp if timestamp and timestamp.trusted else claimed
    facts = {
        "intact": bool(status and status.intact),
        "valid": bool(status and status.valid),
        "trusted": bool(status and status.trusted),
        "unmodified": bool(status) and _unmodified(status),
    }
    problem = _problem(
        **facts,
        timestamp_ok=timestamp is None or (timestamp.intact and timestamp.valid),
        timestamp_trusted=timestamp is None or timestamp.trusted,
        in_validity=signing_time is None
        or certificate.not_valid_before_utc <= signing_time <= certificate.not_valid_after_utc,
        matches=matches,
    )
    return SignatureReport(
        field_name=signature.field_name,
        signer_name=common_name(certificate),
        role=subject_attribute(certificate, NameOID.TITLE),
        committee=subject_attribute(certificate, NameOID.ORGANIZATION_NAME),
        serial=f"{certificate.serial_number:x}",
        fingerprint=fingerprint(certificate),
        certificate=certificate,
        signing_time=signing_time,
        timestamped=bool(timestamp and timestamp.trusted),
        stated_reason=str(signature.sig_object.get("/Reason", "")),
        matches_original=matches,
        signed_bytes=signature.byte_range[2] + signature.byte_range[3],
        problem=problem,
        **facts,
    )


def _unmodified(status) -> bool:
    """Nothing but signatures and form filling was added after the signature."""
    if status.coverage is None or status.coverage < SignatureCoverageLevel.ENTIRE_REVISION:
        return False
    level = status.modification_level
    return status.docmdp_ok is not False and (
        level is None or level <= ModificationLevel.FORM_FILLING
    )


def _problem(
    *,
    intact: bool,
    valid: bool,
    trusted: bool,
    unmodified: bool,
    timestamp_ok: bool,
    timestamp_trusted: bool,
    in_validity: bool,
    matches: bool | None,
) -> Problem | None:
    """The first reason the signature does not hold, in the order a reader needs them."""
    if not intact:
        return Problem.ALTERED
    if not valid or not timestamp_ok:
        return Problem.INVALID
    if not unmodified:
        return Problem.ALTERED
    if not in_validity:
        return Problem.EXPIRED
    if not trusted or not timestamp_trusted:
        return Problem.UNTRUSTED
    if matches is False:
        return Problem.NOT_ISSUED
    return None


def _matches_original(
    pdf_bytes: bytes, signatures: list[EmbeddedPdfSignature], expected: bytes
) -> bool:
    """Whether the file is ``expected`` followed by one revision that adds a signature covering
    all of it (and nothing else a reader sees), then anything the signatures allow."""
    if not pdf_bytes.startswith(expected):
        return False
    try:
        base = PdfFileReader(io.BytesIO(expected), strict=False).xrefs.total_revisions
    except (PdfReadError, ValueError):
        return False
    later = [s for s in signatures if s.signed_revision >= base]
    if not later:
        return False
    first = min(later, key=lambda s: s.signed_revision)
    start, hole, _, _ = first.byte_range
    if first.signed_revision != base or start != 0 or hole < len(expected):
        return False
    return _only_a_signature_added(first.reader, base)


# What signing changes in objects the document already had: the catalog gains the form (and
# pyHanko's PAdES extension, version and XMP metadata), a page gains the signature's widget; the
# information dictionary and XMP stream are rewritten with the modification date.
CATALOG_KEYS_SIGNING_SETS = {"/AcroForm", "/Extensions", "/Metadata", "/Version"}


def _only_a_signature_added(reader: PdfFileReader, revision: int) -> bool:
    """Whether ``revision`` adds signature fields and changes nothing the pages show.

    pyHanko's own review of later revisions (``DEFAULT_DIFF_POLICY``) needs a form in the
    revision it starts from, which a rendering without fields does not have; this checks the
    objects that revision rewrote instead.
    """
    xrefs = reader.xrefs
    if xrefs.refs_freed_in_revision(revision):
        return False
    before = reader.get_historical_resolver(revision - 1)
    after = reader.get_historical_resolver(revision)
    trailer = reader.trailer.flatten(revision - 1)
    root = trailer.raw_get("/Root")
    if _dump(reader.trailer.flatten(revision).raw_get("/Root")) != _dump(root):
        return False
    catalog = root.get_object()
    metadata = [trailer.raw_get("/Info") if "/Info" in trailer else None]
    metadata.append(catalog.raw_get("/Metadata") if "/Metadata" in catalog else None)
    rewritable = {m.reference for m in metadata if isinstance(m, generic.IndirectObject)}
    for ref in xrefs.explicit_refs_in_revision(revision):
        if xrefs.get_introducing_revision(ref) == revision or ref in rewritable:
            continue
        old, new = before(ref), after(ref)
        if ref == root.reference:
            if not _same_except(old, new, CATALOG_KEYS_SIGNING_SETS):
                return False
        elif isinstance(old, generic.DictionaryObject) and old.get("/Type") == "/Page":
            if not _page_gains_only_signatures(old, new, xrefs, revision):
                return False
        else:
            return False
    return True


def _dump(value: generic.PdfObject) -> bytes:
    out = io.BytesIO()
    value.write_to_stream(out)
    return out.getvalue()


def _same_except(old, new, keys: set[str]) -> bool:
    if not isinstance(new, generic.DictionaryObject):
        return False
    kept = set(old) - keys
    return kept == set(new) - keys and all(
        _dump(old.raw_get(key)) == _dump(new.raw_get(key)) for key in kept
    )


def _page_gains_only_signatures(old, new, xrefs, revision: int) -> bool:
    if not _same_except(old, new, {"/Annots"}):
        return False
    before, after = _raw_annotations(old), _raw_annotations(new)
    if (
        after is None
        or before is None
        or [_dump(a) for a in after[: len(before)]] != [_dump(b) for b in before]
    ):
        return False
    for added in after[len(before) :]:
        if not isinstance(added, generic.IndirectObject):
            return False
        if xrefs.get_introducing_revision(added.reference) != revision:
            return False
        widget = added.get_object()
        field = widget if "/FT" in widget else widget.get("/Parent", widget)
        if widget.get("/Subtype") != "/Widget" or field.get("/FT") != "/Sig":
            return False
    return True


def _raw_annotations(page) -> list | None:
    """The page's annotations as references, or None when they are not a plain array."""
    if "/Annots" not in page:
        return []
    annotations = page.raw_get("/Annots")
    if not isinstance(annotations, generic.ArrayObject):
        return None
    return [annotations.raw_get(index) for index in range(len(annotations))]
