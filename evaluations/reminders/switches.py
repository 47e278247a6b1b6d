"""Switching reminder rules off (or back on) for an organisation and its subtree."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from members.models import Organisation, Role
from members.ordering import by_name, in_tree_order
from members.scoping import in_scope, is_site_admin, user_roles
from partyreg.audit import audit_record

from .context import RULE_LABELS, config
from .models import OrganisationReminderSetting


def can_change_reminder_settings(user, organisation: Organisation) -> bool:
    return user.is_authenticated and in_scope(user, organisation, Role.ACTING_KINDS)


def reminder_settings_effective(organisation: Organisation) -> dict[str, bool]:
    """Each rule as it applies to the organisation: its own setting, else the nearest above."""
    ids = organisation.ancestor_ids()
    depth = {pk: i for i, pk in enumerate(ids)}
    found: dict[str, tuple[int, bool]] = {}
    for org_id, rule, enabled in OrganisationReminderSetting.objects.filter(
        organisation_id__in=ids
    ).values_list("organisation_id", "rule", "enabled"):
        if rule not in found or depth[org_id] > found[rule][0]:
            found[rule] = (depth[org_id], enabled)
    return {
        rule: found[rule][1] if rule in found else bool(config(rule).get("enabled", True))
        for rule in RULE_LABELS
    }


@transaction.atomic
def reminder_settings_save(*, actor, organisation: Organisation, enabled: dict[str, bool]):
    """Records, for the organisation and its subtree, each rule whose state changes."""
    if not can_change_reminder_settings(actor, organisation):
        raise PermissionDenied(
            _("Only the secretary or an officer of %(org)s (or above it) can change its reminders.")
            % {"org": organisation}
        )
    unknown = sorted(set(enabled) - set(RULE_LABELS))
    if unknown:
        raise ValidationError(
            _("Unknown reminder: %(rules)s. Reload the page.") % {"rules": ", ".join(unknown)}
        )
    Organisation.objects.select_for_update().filter(pk=organisation.pk).first()
    before = reminder_settings_effective(organisation)
    changed = {}
    for rule, value in enabled.items():
        if before[rule] == bool(value):
            continue
        OrganisationReminderSetting.objects.update_or_create(
            organisation=organisation,
            rule=rule,
            defaults={
                "enabled": bool(value),
                "updated_at": timezone.now(),
                "updated_by": actor if actor.is_authenticated else None,
            },
        )
        changed[str(RULE_LABELS[rule])] = [before[rule], bool(value)]
    if changed:
        audit_record(actor=actor, action="reminders.settings", target=organisation, changes=changed)
    return changed


def organisations_for_settings(user) -> list[Organisation]:
    """The organisations the user acts for directly; the site administrator's are the roots."""
    if is_site_admin(user):
        return by_name(Organisation.objects.filter(parent__isnull=True, is_active=True))
    return in_tree_order({r.organisation for r in user_roles(user) if r.kind in Role.ACTING_KINDS})
