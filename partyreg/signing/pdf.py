"""Signing a PDF: a PAdES signature with a visible box, added as an incremental update.

The document the site rendered stays byte for byte the start of the signed file: the signature
is appended after it (a new revision), so a second signature on the same file (the commune's
certification after the cell's) leaves the first one valid.
"""

import io
import logging

import aiohttp
from django.utils import timezone
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.timestamps import HTTPTimeStamper, TimestampRequestError

from .keys import Appearance, Signer
from .stamp import stamp_style

logger = logging.getLogger(__name__)

# How long the site waits for the timestamping authority, in seconds.
TSA_TIMEOUT = 10
TSA_ERRORS = (aiohttp.ClientError, TimeoutError, TimestampRequestError)


def append_signature(
    pdf: bytes, *, signer: signers.Signer, appearance: Appearance, tsa_url: str | None = None
) -> bytes:
    """``pdf`` signed by pyHanko's ``signer``: PAdES B-T with a timestamp from ``tsa_url``, or
    B-B without one, or when the timestamping authority does not answer."""
    if tsa_url:
        try:
            return _sign(pdf, signer, appearance, HTTPTimeStamper(tsa_url, timeout=TSA_TIMEOUT))
        except TSA_ERRORS as error:
            logger.warning("No timestamp from %s (%s): signing without one (B-B).", tsa_url, error)
    return _sign(pdf, signer, appearance, None)


def _sign(pdf: bytes, signer: signers.Signer, appearance: Appearance, timestamper) -> bytes:
    page, *box = appearance.box
    metadata = signers.PdfSignatureMetadata(
        field_name=appearance.field_name,
        name=appearance.name,
        reason=appearance.reason,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
    )
    pdf_signer = signers.PdfSigner(
        metadata,
        signer=signer,
        timestamper=timestamper,
        stamp_style=stamp_style(),
        new_field_spec=fields.SigFieldSpec(
            sig_field_name=appearance.field_name, on_page=page, box=tuple(box)
        ),
    )
    out = io.BytesIO()
    pdf_signer.sign_pdf(
        IncrementalPdfFileWriter(io.BytesIO(pdf)),
        output=out,
        appearance_text_params={
            "signer_name": appearance.name,
            "role": appearance.role,
            "time": f"{timezone.localtime():%d/%m/%Y %H:%M}",
        },
    )
    return out.getvalue()


def sign_pdf(
    pdf_bytes: bytes,
    *,
    signer: Signer,
    field_name: str,
    box: tuple[int, float, float, float, float],
    name: str,
    role: str,
    reason: str,
    tsa_url: str | None = None,
) -> bytes:
    """``pdf_bytes`` with one more signature, shown in ``box`` (page index, x1, y1, x2, y2 in
    points from the lower left corner) as the signer's ``name``, ``role`` and the time.

    Raises ``SigningRefused`` when the signer cannot sign (or, for a file signed outside, when
    the upload is not this document validly signed).
    """
    appearance = Appearance(field_name=field_name, box=box, name=name, role=role, reason=reason)
    return signer.sign(pdf_bytes, appearance, tsa_url=tsa_url)
