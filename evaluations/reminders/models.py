"""Per-organisation switches of the reminder rules, beside the rules they switch."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OrganisationReminderSetting(models.Model):
    """A rule switched on or off for an organisation and everything below it.

    The setting nearest to an organisation (itself, else its closest ancestor with one) wins,
    so a province can switch a rule off and one commune below it switch it back on.
    """

    organisation = models.ForeignKey(
        "members.Organisation",
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="reminder_settings",
    )
    rule = models.CharField(_("reminder"), max_length=32)
    enabled = models.BooleanField(_("enabled"), default=True)
    updated_at = models.DateTimeField(_("changed at"), default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        # The table it had when the model lived in members: moved without copying a row.
        db_table = "members_organisationremindersetting"
        verbose_name = _("reminder setting")
        verbose_name_plural = _("reminder settings")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "rule"], name="reminder_setting_once_per_rule"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation}: {self.rule} {'on' if self.enabled else 'off'}"
