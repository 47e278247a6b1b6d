"""A refused signature's audit entry outlives the transaction the refusal rolls back.

A workflow signs inside its own transaction (the comment is submitted and signed, or neither),
so a refusal rolls back everything, the core's audit entry of the refusal included. The signing
code keeps the entry here (``refusal_keep``) before raising; ``keep_signing_refusals``, put
around a service outside its ``transaction.atomic``, writes the kept entries again once the
service's transaction has rolled back. Nested services (certifying a cell's comments, each
certified in a savepoint) write them at each level: a level whose transaction rolls back too
loses its copy, and the outermost writes them for good.
"""

import functools
import threading

from django.db import transaction

from partyreg.signing.services import signature_refusal_record

_kept = threading.local()


def refusal_keep(*, actor, credential, subject, field_name: str, problem) -> None:
    """Keep the entry of a refusal about to roll back (the arguments of
    ``signature_refusal_record``); written by the nearest ``keep_signing_refusals``."""
    if getattr(_kept, "depth", 0):
        _kept.entries.append(
            {
                "actor": actor,
                "credential": credential,
                "subject": subject,
                "field_name": field_name,
                "problem": problem,
            }
        )


def keep_signing_refusals(service):
    """Decorates a service, outside its ``@transaction.atomic``: see the module's note."""

    @functools.wraps(service)
    def wrapper(*args, **kwargs):
        depth = getattr(_kept, "depth", 0)
        if depth == 0:
            _kept.entries = []
        _kept.depth = depth + 1
        try:
            return service(*args, **kwargs)
        except Exception:
            _write_kept()
            raise
        finally:
            _kept.depth = depth
            if depth == 0:
                _kept.entries = []

    return wrapper


def _write_kept() -> None:
    connection = transaction.get_connection()
    if connection.needs_rollback:
        return  # an enclosing transaction already failed: a level further out writes them
    for entry in _kept.entries:
        signature_refusal_record(**entry)
    if not connection.in_atomic_block:
        # Written for good: no transaction left to roll them back.
        _kept.entries = []
