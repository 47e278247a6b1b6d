"""The introduction letter (giấy giới thiệu, forms 1-213 and 2-213) as printed PDF."""

from partyreg.pdf import render_pdf_many

from .models import Referral

LETTER_TEMPLATE = "residence/referral_letter.html"
COMMITTEE_PREFIX = "Đảng ủy "


def place_name(commune_name: str) -> str:
    """ "Đảng ủy phường Xuân Hương" → "phường Xuân Hương", the place a member lives in."""
    if commune_name.startswith(COMMITTEE_PREFIX):
        return commune_name[len(COMMITTEE_PREFIX) :]
    return commune_name


def letter_context(referral: Referral) -> dict:
    committee = referral.signing_org
    member = referral.member
    return {
        "referral": referral,
        "member": member,
        "superior_name": committee.superior_name
        or (committee.parent.name if committee.parent_id else ""),
        "issuer_name": committee.name,
        "number": referral.number_display,
        "place": committee.place_name,
        "date": referral.issued_at,
        "title": "GIẤY GIỚI THIỆU",
        "commune_place": place_name(referral.commune.name),
        "signature": {"on_behalf": "T/M ĐẢNG ỦY", "title": "BÍ THƯ", "name": ""},
        "recipients": ["Như trên;", "Lưu."],
    }


def render_letters(referrals: list[Referral]) -> bytes:
    """One PDF with one letter per referral, in the order given."""
    return render_pdf_many(LETTER_TEMPLATE, [letter_context(r) for r in referrals])
