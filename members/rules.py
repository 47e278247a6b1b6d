"""The rules a member record keeps, whoever writes it: the form, a service, a spreadsheet row.

Here so that services.py and spreadsheets/ both read them without importing each other.
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .models import Member, Organisation

# The fields a member record is made of, as the form, the services and the spreadsheets know it.
MEMBER_FIELDS = (
    "full_name",
    "gender",
    "date_of_birth",
    "card_number",
    "profile_number",
    "admitted_on",
    "full_member_on",
    "workplace_org",
    "position",
    "phone",
    "email",
    "residence_address",
    "residence_commune",
    "status",
    "category",
    "category_reason",
    "category_since",
)


def member_check(member: Member) -> None:
    """Raises ValidationError, by field, where the record breaks a rule."""
    errors = {}
    if member.workplace_org_id and member.workplace_org.kind not in Organisation.MEMBER_HOME_KINDS:
        errors["workplace_org"] = _(
            "Choose a Party cell or grassroots organisation of the workplace."
        )
    if member.workplace_org_id and not member.workplace_org.is_active:
        errors["workplace_org"] = _("This organisation has been dissolved; choose an active one.")
    if member.residence_commune_id and member.residence_commune.kind != Organisation.Kind.COMMUNE:
        errors["residence_commune"] = _("Choose a commune or ward Party committee.")
    if member.date_of_birth and member.date_of_birth > date.today():
        errors["date_of_birth"] = _("The date of birth cannot be in the future.")
    if member.admitted_on and member.date_of_birth and member.admitted_on <= member.date_of_birth:
        errors["admitted_on"] = _("The admission date must come after the date of birth.")
    if member.full_member_on and member.admitted_on and member.full_member_on < member.admitted_on:
        errors["full_member_on"] = _("Full membership cannot come before admission.")
    if member.category != Member.Category.NORMAL and not member.category_reason.strip():
        errors["category_reason"] = _("Give the reason for the exemption.")
    if errors:
        raise ValidationError(errors)


def unrecorded_changes(*, current: Member, candidate: Member) -> dict[str, str]:
    """Errors for the fields an ordinary edit may not change (Member.CHANGE_RECORDED_FIELDS)."""
    message = _(
        "This changes the member's status, residence or workplace: record it with “Record a "
        "change” on the member's page, so that the residence side is told."
    )
    return {
        name: message
        for name in Member.CHANGE_RECORDED_FIELDS
        if getattr(current, name) != getattr(candidate, name)
    }
