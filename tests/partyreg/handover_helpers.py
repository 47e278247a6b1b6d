"""What hand-over tests ask of the notifications: who was told of which event."""

from partyreg.models import Delivery, Notification
from partyreg.notifications.handover import RULE_PREFIX


def told(user, event: str | None = None) -> list[Notification]:
    rows = Notification.objects.filter(user=user, rule__startswith=RULE_PREFIX)
    if event is not None:
        rows = rows.filter(rule=f"{RULE_PREFIX}{event}")
    return list(rows.order_by("id"))


def told_users(event: str) -> list[str]:
    """Usernames told of ``event``, one entry per notification (a repeat shows twice)."""
    return sorted(
        Notification.objects.filter(rule=f"{RULE_PREFIX}{event}").values_list(
            "user__username", flat=True
        )
    )


def email_of(notification: Notification) -> Delivery:
    return notification.deliveries.get(channel=Delivery.Channel.EMAIL)
