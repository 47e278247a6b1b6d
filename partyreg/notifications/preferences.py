"""Each user's choice of notification email: each at once, one summary a day, or none.

The bell shows every notification whatever the choice; only the email follows it
(``creation`` reads it when a notification is made).
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ..audit import audit_record, changes_between
from ..models import Delivery, NotificationPreference
from .creation import NO_EMAIL
from .delivery import enqueue_deliveries

Choice = NotificationPreference.Email
Status = Delivery.Status


def email_choice(user) -> str:
    """The user's choice; a user who never chose gets each email at once."""
    preference = NotificationPreference.objects.filter(user=user).first()
    return preference.email if preference else Choice.IMMEDIATE


@transaction.atomic
def notification_preference_save(*, user, email: str) -> NotificationPreference:
    """Saves the choice. Emails still waiting for a summary follow the new choice: sent now,
    or dropped for a user who wants none."""
    if email not in Choice.values:
        raise ValidationError({"email": _("Choose how you want to receive notifications.")})
    preference, _created = NotificationPreference.objects.select_for_update().get_or_create(
        user=user
    )
    before = preference.get_email_display()
    preference.email = email
    preference.save(update_fields=["email", "updated_at"])
    waiting = Delivery.objects.filter(
        notification__user=user, channel=Delivery.Channel.EMAIL, status=Status.DIGEST
    ).filter(digest__isnull=True)
    if email == Choice.NONE:
        waiting.update(status=Status.SKIPPED, last_error=str(NO_EMAIL))
    elif email == Choice.IMMEDIATE:
        ids = list(waiting.order_by("id").values_list("id", flat=True))
        Delivery.objects.filter(pk__in=ids).update(status=Status.PENDING)
        transaction.on_commit(lambda: enqueue_deliveries(ids))
    changes = changes_between(
        {"email": str(before)}, {"email": str(preference.get_email_display())}
    )
    if changes:
        audit_record(
            actor=user, action="notifications.preference", target=preference, changes=changes
        )
    return preference
