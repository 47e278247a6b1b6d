from django import template
from django.utils.translation import gettext_lazy as _

register = template.Library()

# How the audit log names its actions and fields to a reader.
AUDIT_ACTIONS = {
    "member.create": _("Member added"),
    "member.update": _("Member changed"),
    "member.reassign": _("Member reassigned"),
    "member.import": _("Imported from a spreadsheet"),
    "organisation.create": _("Organisation created"),
    "organisation.update": _("Organisation changed"),
    "organisation.move": _("Organisation moved"),
    "organisation.merge": _("Merged into another organisation"),
    "organisation.absorb": _("Took in a merged organisation"),
    "organisation.follow_merge": _("Moved to the merged organisation"),
    "organisation.areas": _("Areas of the residence cell changed"),
    "role.grant": _("Role granted"),
    "role.revoke": _("Role revoked"),
}
AUDIT_FIELDS = {
    "full_name": _("full name"),
    "gender": _("gender"),
    "date_of_birth": _("date of birth"),
    "card_number": _("Party card number"),
    "profile_number": _("profile number"),
    "admitted_on": _("admitted on"),
    "full_member_on": _("full member since"),
    "workplace_org": _("workplace Party cell"),
    "position": _("position"),
    "phone": _("phone"),
    "email": _("email"),
    "residence_address": _("residence address"),
    "residence_commune": _("commune of residence"),
    "status": _("status"),
    "category": _("category"),
    "category_reason": _("reason for the category"),
    "category_since": _("category since"),
    "name": _("name"),
    "code": _("code"),
    "kind": _("kind"),
    "parent": _("parent organisation"),
    "is_active": _("active"),
    "merged_into": _("merged into"),
    "merged_from": _("merged from"),
    "areas": _("areas covered"),
    "user": _("user"),
}


def register_audit_labels(actions: dict | None = None, fields: dict | None = None) -> None:
    """Lets each app name its own actions and fields for the history tables."""
    AUDIT_ACTIONS.update(actions or {})
    AUDIT_FIELDS.update(fields or {})


@register.filter
def audit_action(code: str) -> str:
    return AUDIT_ACTIONS.get(code, code)


@register.filter
def audit_field(name: str) -> str:
    return AUDIT_FIELDS.get(name, name)
