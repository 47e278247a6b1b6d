"""What a kind of signed document is: how it renders, where each signature goes, who signs.

A kind (``DocumentType``) names its signature places (``Slot``: the element of its template whose
box the signature fills, the PDF field, the stamp's wording) and gives the few functions the
services and pages need. The comment sheet (sheets.py) and the introduction letter (letters.py)
are the two kinds; the notice of non-participation, once it has its PDF, is one more: a render
function and a ``DocumentType`` beside the letter's, named in kinds.py.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography.x509.oid import NameOID
from django.utils.functional import Promise

from partyreg.pdf import render_pdf_with_boxes
from partyreg.signing.certificates import load_certificate, subject_attribute
from partyreg.signing.models import SigningCredential

# A box on a page: page index, x1, y1, x2, y2 in PDF points from the page's lower left corner.
Box = tuple[int, float, float, float, float]
# The stamp's width (60 mm), centred on the template's signature space, at most as wide.
STAMP_WIDTH = 170.0


@dataclass(frozen=True)
class Slot:
    """A place where the document is signed."""

    name: str
    # The id of the template's signature space (an empty block under the role lines).
    element_id: str
    field_name: str
    # The stamp's second line: "T/M Chi ủy – Bí thư" (the certificate's title when it has one).
    on_behalf: str
    title: str
    # The reason the signature states (PDF /Reason).
    reason: str

    def role(self, credential: SigningCredential) -> str:
        certificate = load_certificate(credential.certificate_pem)
        title = subject_attribute(certificate, NameOID.TITLE) or self.title
        return f"{self.on_behalf} – {title}"


@dataclass(frozen=True)
class Rendered:
    pdf: bytes
    # The signature spaces found in the rendering, by element id.
    spaces: dict[str, Box]


@dataclass(frozen=True)
class DocumentType:
    """A kind of signed document. ``subject`` is the row the document is about (a comment
    request, a referral); every function takes it as loaded by ``load``."""

    kind: str
    label: Promise
    slots: tuple[Slot, ...]
    # The subject, or 404 unless the user may see it.
    load: Callable[[Any, int], Any]
    # The code printed on the document (its QR code opens the verification page).
    code: Callable[[Any], str]
    # The document as issued, showing ``code``.
    render: Callable[[Any, str], Rendered]
    # The committee that signs a slot.
    committee: Callable[[Any, str], Any]
    # Whether the user acts for that committee.
    can_sign: Callable[[Any, Any, str], bool]
    # Why the slot cannot be signed now (the subject's state), or None.
    not_now: Callable[[Any, str], str | None]
    record_url: Callable[[Any], str]
    # What the page calls the subject (shown to those who may see it) and the file's name.
    describe: Callable[[Any], str]
    filename: Callable[[Any], str]
    # The member the document is about: opening the file is logged as a look at their record
    # (members.MemberView, by ``viewed_via``).
    member: Callable[[Any], Any]
    viewed_via: str

    def slot(self, name: str) -> Slot:
        return next(slot for slot in self.slots if slot.name == name)

    def has_slot(self, name: str) -> bool:
        return any(slot.name == name for slot in self.slots)


def render_with_spaces(
    template_name: str, context: dict, slots: tuple[Slot, ...], stylesheets=()
) -> Rendered:
    pdf, spaces = render_pdf_with_boxes(
        template_name,
        context,
        element_ids=[slot.element_id for slot in slots],
        stylesheets=stylesheets,
    )
    return Rendered(pdf=pdf, spaces=spaces)


def signature_box(space: Box) -> Box:
    """The stamp's box in a signature space: ``STAMP_WIDTH`` wide (at most the space's width),
    centred under the role lines, as high as the space."""
    page, x1, y1, x2, y2 = space
    width = min(STAMP_WIDTH, x2 - x1)
    middle = (x1 + x2) / 2
    return (page, round(middle - width / 2, 2), y1, round(middle + width / 2, 2), y2)
