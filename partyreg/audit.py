"""The audit trail: every service writes one entry per state change, in its own transaction."""

import datetime
import decimal
from collections.abc import Callable, Iterable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext

from .models import AuditEntry


def _plain(value: Any) -> Any:
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, datetime.datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, datetime.time):
        return value.strftime("%H:%M")
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The values of ``fields`` as a reader of the log wants them: labels, not codes."""
    values = {}
    for name in fields:
        field = obj._meta.get_field(name)
        if field.is_relation:
            related = getattr(obj, name)
            values[name] = str(related) if related is not None else None
        elif field.choices:
            values[name] = str(getattr(obj, f"get_{name}_display")())
        else:
            values[name] = _plain(getattr(obj, field.attname))
    return values


def changes_between(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """``{field: [old, new]}`` for the fields whose value differs."""
    return {
        name: [before.get(name), after.get(name)]
        for name in after
        if before.get(name) != after.get(name)
    }


def audit_record(
    *,
    actor,
    action: str,
    target: models.Model,
    changes: dict | None = None,
    note: str = "",
    subject: models.Model | None = None,
) -> AuditEntry:
    subject = subject or target
    return AuditEntry.objects.create(
        **_actor_fields(actor),
        action=action,
        target_type=ContentType.objects.get_for_model(target),
        target_id=str(target.pk),
        target_repr=str(target)[:255],
        subject_type=ContentType.objects.get_for_model(subject),
        subject_id=str(subject.pk),
        changes={k: [_plain(v[0]), _plain(v[1])] for k, v in (changes or {}).items()},
        note=note,
    )


def audited_update(
    *,
    actor,
    obj: models.Model,
    values: dict[str, Any],
    take_snapshot: Callable[[models.Model], dict[str, Any]],
    action: str,
    note: str | Callable[[models.Model], str] = "",
    subject: models.Model | None = None,
) -> models.Model:
    """Sets ``values`` on ``obj``, saves it and records the difference ``take_snapshot`` sees.

    ``note`` may be a function of the saved row, for a note that names what the change set.

    The services' state machines call it once they have checked the move is allowed: one way
    to change a row's state and fields with its audit entry, whatever the model.
    """
    before = take_snapshot(obj)
    for name, value in values.items():
        setattr(obj, name, value)
    obj.save()
    audit_record(
        actor=actor,
        action=action,
        target=obj,
        subject=subject,
        changes=changes_between(before, take_snapshot(obj)),
        note=note(obj) if callable(note) else note,
    )
    return obj


def _actor_fields(actor) -> dict:
    user = actor if actor is not None and actor.is_authenticated else None
    name = (user.get_full_name() or user.get_username()) if user else gettext("system")
    return {"actor": user, "actor_name": name}


def audit_record_many(
    *,
    actor,
    action: str,
    targets: list[models.Model],
    changes: dict,
    note: str = "",
    subject_of=None,
) -> None:
    """The same change made to many rows at once (a merger), one entry per row, one INSERT.

    ``subject_of(target)`` names the row whose history shows each entry (default: the target).
    """
    if not targets:
        return
    content_type = ContentType.objects.get_for_model(targets[0])
    subjects = [subject_of(t) if subject_of else t for t in targets]
    subject_type = ContentType.objects.get_for_model(subjects[0])
    now = timezone.now()
    plain = {k: [_plain(v[0]), _plain(v[1])] for k, v in changes.items()}
    AuditEntry.objects.bulk_create(
        [
            AuditEntry(
                created_at=now,
                action=action,
                target_type=content_type,
                target_id=str(t.pk),
                target_repr=str(t)[:255],
                subject_type=subject_type,
                subject_id=str(subject.pk),
                changes=plain,
                note=note,
                **_actor_fields(actor),
            )
            for t, subject in zip(targets, subjects, strict=True)
        ],
        batch_size=1000,
    )


def audit_history(subject: models.Model):
    """Entries to show on ``subject``'s page, newest first."""
    return AuditEntry.objects.filter(
        subject_type=ContentType.objects.get_for_model(subject), subject_id=str(subject.pk)
    ).select_related("actor")
