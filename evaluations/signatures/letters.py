"""The introduction letter, signed by its issuing committee ("T/M ĐẢNG ỦY / BÍ THƯ").

The letter is signed as issued: its lower part, which the residence side fills in on paper
("received on …, assigned to cell …"), stays blank whenever it is signed; the site records
those steps itself. It carries a verification code and its QR code, as the comment sheet does.

The referral workflow (residence) knows nothing of signatures: the issuing committee signs the
letter on its signatures page, reached from the referral.
"""

import copy

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from members.models import MemberView, Role
from members.scoping import in_scope
from residence.letters import LETTER_TEMPLATE, letter_context
from residence.models import Referral
from residence.selectors import referral_get

from ..printing.sheets import qr_data_uri, verify_url
from . import services
from .documents import DocumentType, Rendered, Slot, render_with_spaces
from .models import SignedDocument

ISSUER = Slot(
    name="issuer",
    element_id="sign-issuer",
    field_name="DangUyGioiThieu",
    on_behalf="T/M Đảng ủy",
    title="Bí thư",
    reason="Giới thiệu đảng viên về sinh hoạt nơi cư trú",
)


def _render(referral: Referral, code: str) -> Rendered:
    issued = copy.copy(referral)
    issued.received_at = None
    issued.residence_cell = None
    url = verify_url(code)
    context = {
        **letter_context(issued),
        "verification_code": code,
        "verify_url": url,
        "qr_code": qr_data_uri(url),
    }
    return render_with_spaces(LETTER_TEMPLATE, context, (ISSUER,))


def _can_sign(user, referral: Referral, slot: str) -> bool:
    return user.is_authenticated and in_scope(user, referral.signing_org, Role.ACTING_KINDS)


def _not_now(referral: Referral, slot: str) -> str | None:
    if referral.state == Referral.State.CLOSED:
        return _("The referral is closed; its letter is no longer signed.")
    return None


LETTER = DocumentType(
    kind=SignedDocument.Kind.LETTER,
    label=gettext_lazy("introduction letter"),
    slots=(ISSUER,),
    load=referral_get,
    code=services.new_verification_code,
    render=_render,
    committee=lambda referral, slot: referral.signing_org,
    can_sign=_can_sign,
    not_now=_not_now,
    record_url=lambda referral: reverse("residence:referral_detail", args=[referral.pk]),
    describe=lambda referral: f"{referral.number_display} — {referral.member.full_name}",
    filename=lambda referral: f"giay-gioi-thieu-{referral.number}-{referral.year}-ky-so",
    member=lambda referral: referral.member,
    viewed_via=MemberView.Via.LETTER,
)
