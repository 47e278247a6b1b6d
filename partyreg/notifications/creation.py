"""The rows ``notify_many`` creates: reminder, notification, and a delivery per channel.

Only the reminder rows a call inserted itself (the unique constraint turns the others away)
get a notification; the email delivery's status follows the recipient's choice
(``NotificationPreference``): pending (sent at once), digest (waits for the daily summary) or
skipped (no address, or no email wanted).
"""

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils.translation import gettext_lazy

from ..models import Delivery, Notification, NotificationPreference, Reminder

Status = Delivery.Status
Channel = Delivery.Channel
Choice = NotificationPreference.Email
NO_ADDRESS = gettext_lazy("The user has no email address.")
NO_EMAIL = gettext_lazy("The user chose to get no email.")


def create_rows(by_identity: dict, *, batch, now) -> tuple[list[tuple[int, str]], list[int]]:
    """Creates what was never created; returns the new notifications (id, rule) and the ids
    of the email deliveries to send now."""
    create = _create_postgresql if connection.vendor == "postgresql" else _create_orm
    return create(by_identity, batch=batch, now=now)


# One statement for everything a scan creates: the province's tens of thousands of messages
# cost the database's time, not Python's (building a model instance per row took minutes).
# Reminder rows come first, in a fixed order; only those inserted (RETURNING: not those that
# met the unique constraint) get a notification, an in-app delivery and an email delivery.
CREATE_SQL = """
WITH input AS (
    SELECT * FROM unnest(
        %(rules)s::varchar[], %(targets)s::varchar[], %(periods)s::varchar[],
        %(recipients)s::integer[], %(subjects)s::varchar[], %(bodies)s::text[],
        %(urls)s::varchar[], %(file_names)s::varchar[], %(file_types)s::varchar[],
        %(files)s::text[]
    ) AS m(rule, target, period, recipient_id, subject, body, url, file_name, file_type, file)
), fresh AS (
    INSERT INTO partyreg_reminder (rule, target, period, recipient_id, batch, created_at)
    SELECT rule, target, period, recipient_id, %(batch)s, %(now)s FROM input
    ORDER BY rule, target, period, recipient_id
    ON CONFLICT DO NOTHING
    RETURNING id, rule, target, period, recipient_id
), made AS (
    INSERT INTO partyreg_notification
        (user_id, reminder_id, rule, "key", subject, body, url, attachment_name,
         attachment_type, attachment, created_at, read_at)
    SELECT f.recipient_id, f.id, f.rule, left(f.target || '/' || f.period, 100),
        left(i.subject, 255), i.body, i.url, i.file_name, i.file_type, i.file, %(now)s, NULL
    FROM fresh f JOIN input i USING (rule, target, period, recipient_id)
    ORDER BY f.id
    RETURNING id, user_id, rule
), addressed AS (
    SELECT m.id, btrim(coalesce(u.email, '')) AS address,
        coalesce(p.email, 'immediate') AS choice
    FROM made m JOIN {users} u ON u.id = m.user_id
    LEFT JOIN {preferences} p ON p.user_id = m.user_id
), delivered AS (
    INSERT INTO partyreg_delivery (notification_id, channel, status, address, attempts,
        claimed_at, last_error, created_at, sent_at)
    SELECT id, 'in_app', 'sent', '', 1, NULL::timestamptz, '', %(now)s, %(now)s FROM made
    UNION ALL
    SELECT id, 'email',
        CASE WHEN address = '' OR choice = 'none' THEN 'skipped'
            WHEN choice = 'digest' THEN 'digest' ELSE 'pending' END,
        address, 0, NULL,
        CASE WHEN address = '' THEN %(no_address)s
            WHEN choice = 'none' THEN %(no_email)s ELSE '' END,
        %(now)s, NULL
    FROM addressed
    RETURNING id, channel, status
)
SELECT 'notification', id, rule FROM made
UNION ALL
SELECT 'email', id, '' FROM delivered WHERE channel = 'email' AND status = 'pending'
"""


def _create_postgresql(by_identity: dict, *, batch, now) -> tuple[list[tuple[int, str]], list]:
    messages = list(by_identity.values())
    params = {
        "rules": [m.rule for m in messages],
        "targets": [m.target for m in messages],
        "periods": [m.period for m in messages],
        "recipients": [m.recipient_id for m in messages],
        "subjects": [m.subject for m in messages],
        "bodies": [m.body for m in messages],
        "urls": [m.url for m in messages],
        "file_names": [m.attachment.name if m.attachment else "" for m in messages],
        "file_types": [m.attachment.mimetype if m.attachment else "" for m in messages],
        "files": [m.attachment.content if m.attachment else "" for m in messages],
        "batch": batch,
        "now": now,
        "no_address": str(NO_ADDRESS),
        "no_email": str(NO_EMAIL),
    }
    sql = CREATE_SQL.format(
        users=connection.ops.quote_name(get_user_model()._meta.db_table),
        preferences=connection.ops.quote_name(NotificationPreference._meta.db_table),
    )
    created, email_ids = [], []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for kind, pk, rule in cursor.fetchall():
            if kind == "email":
                email_ids.append(pk)
            else:
                created.append((pk, rule))
    created.sort()
    email_ids.sort()
    return created, email_ids


def _create_orm(by_identity: dict, *, batch, now) -> tuple[list[tuple[int, str]], list]:
    """The same with the ORM, for SQLite (the embedded mode and the fast tests)."""
    Reminder.objects.bulk_create(
        [
            Reminder(
                rule=rule,
                target=target,
                period=period,
                recipient_id=recipient_id,
                batch=batch,
                created_at=now,
            )
            for rule, target, period, recipient_id in sorted(by_identity)
        ],
        ignore_conflicts=True,
        batch_size=500,
    )
    fresh = list(
        Reminder.objects.filter(batch=batch)
        .values_list(
            "id", "rule", "target", "period", "recipient_id", "recipient__email",
            "recipient__notification_preference__email",
        )
        .order_by("id")
    )  # fmt: skip
    notifications, addresses = [], []
    for reminder_id, rule, target, period, recipient_id, email, choice in fresh:
        message = by_identity[(rule, target, period, recipient_id)]
        attachment = message.attachment
        notifications.append(
            Notification(
                user_id=recipient_id,
                reminder_id=reminder_id,
                rule=rule,
                key=f"{target}/{period}"[:100],
                subject=message.subject[:255],
                body=message.body,
                url=message.url,
                attachment_name=attachment.name if attachment else "",
                attachment_type=attachment.mimetype if attachment else "",
                attachment=attachment.content if attachment else "",
                created_at=now,
            )
        )
        addresses.append(((email or "").strip(), choice or Choice.IMMEDIATE))
    Notification.objects.bulk_create(notifications, batch_size=500)
    deliveries = []
    for notification, (address, choice) in zip(notifications, addresses, strict=True):
        status, error = _email_status(address, choice)
        deliveries.append(
            Delivery(
                notification=notification,
                channel=Channel.IN_APP,
                status=Status.SENT,
                attempts=1,
                created_at=now,
                sent_at=now,
            )
        )
        deliveries.append(
            Delivery(
                notification=notification,
                channel=Channel.EMAIL,
                status=status,
                address=address,
                last_error=error,
                created_at=now,
            )
        )
    Delivery.objects.bulk_create(deliveries, batch_size=500)
    email_ids = [
        d.pk for d in deliveries if d.channel == Channel.EMAIL and d.status == Status.PENDING
    ]
    return [(n.pk, n.rule) for n in notifications], email_ids


def _email_status(address: str, choice: str) -> tuple[str, str]:
    """The email delivery's status and note, as CREATE_SQL decides them."""
    if not address:
        return Status.SKIPPED, str(NO_ADDRESS)
    if choice == Choice.NONE:
        return Status.SKIPPED, str(NO_EMAIL)
    if choice == Choice.DIGEST:
        return Status.DIGEST, ""
    return Status.PENDING, ""
