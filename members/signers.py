"""A committee's electronic signing: the certificates it signs with, and its switch.

A site administrator installs a signing certificate (partyreg.signing, in the admin), gives it
to a committee here (``committee_signer_set``) and switches the committee's signing on
(``committee_signing_set``). The workflows ask ``committee_signer`` who signs for a committee:
nobody while the site's signing (``PARTYREG_SIGNING_ENABLED``) or the committee's switch is off,
so a committee without a certificate keeps printing its documents to be signed on paper.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from partyreg.audit import audit_record, audited_update, snapshot
from partyreg.signing.models import SigningCredential

from .models import CommitteeSigner, CommitteeSigning, Organisation, Role
from .scoping import in_scope, is_site_admin

SIGNER_FIELDS = ("organisation", "credential", "user", "active")


def _refuse_unless_admin(actor) -> None:
    if not is_site_admin(actor):
        raise PermissionDenied(_("Only a site administrator gives committees their certificates."))


def _user_or_none(actor):
    return actor if actor is not None and actor.is_authenticated else None


@transaction.atomic
def committee_signer_set(
    *, actor, organisation: Organisation, credential: SigningCredential, user=None
) -> CommitteeSigner:
    """``credential`` signs for ``organisation`` from now on (for ``user`` only, when given)."""
    _refuse_unless_admin(actor)
    committee_signer_check(organisation=organisation, credential=credential, user=user)
    signer = CommitteeSigner.objects.create(
        organisation=organisation, credential=credential, user=user, added_by=_user_or_none(actor)
    )
    audit_record(
        actor=actor,
        action="signer.add",
        target=signer,
        subject=organisation,
        changes={name: [None, value] for name, value in snapshot(signer, SIGNER_FIELDS).items()},
    )
    return signer


def committee_signer_check(
    *, organisation: Organisation, credential: SigningCredential, user=None
) -> None:
    """Why ``credential`` cannot sign for ``organisation`` (a ``ValidationError``), if it cannot."""
    if not SigningCredential.objects.filter(pk=credential.pk, active=True).exists():
        raise ValidationError(
            {"credential": _("This signing certificate was deactivated; install it again.")}
        )
    if not organisation.is_active:
        raise ValidationError({"organisation": _("This organisation is no longer active.")})
    if user is not None and not in_scope(user, organisation, Role.ACTING_KINDS):
        raise ValidationError(
            {
                "user": _("%(user)s does not act for %(org)s; give them a role there first.")
                % {"user": user.get_username(), "org": organisation}
            }
        )
    if CommitteeSigner.objects.filter(
        organisation=organisation, credential=credential, active=True
    ).exists():
        raise ValidationError(
            _("This certificate already signs for %(org)s.") % {"org": organisation}
        )


@transaction.atomic
def committee_signer_remove(*, actor, signer: CommitteeSigner) -> CommitteeSigner:
    _refuse_unless_admin(actor)
    signer = CommitteeSigner.objects.select_for_update().get(pk=signer.pk)
    return audited_update(
        actor=actor,
        obj=signer,
        values={"active": False},
        take_snapshot=lambda row: snapshot(row, SIGNER_FIELDS),
        action="signer.remove",
        subject=signer.organisation,
    )


@transaction.atomic
def committee_signing_set(*, actor, organisation: Organisation, enabled: bool) -> CommitteeSigning:
    """Switches the committee's electronic signing on or off."""
    _refuse_unless_admin(actor)
    committee_signing_check(organisation=organisation, enabled=enabled)
    switch, _created = CommitteeSigning.objects.select_for_update().get_or_create(
        organisation=organisation
    )
    return audited_update(
        actor=actor,
        obj=switch,
        values={
            "enabled": enabled,
            "changed_by": _user_or_none(actor),
            "changed_at": timezone.now(),
        },
        take_snapshot=lambda row: snapshot(row, ("enabled",)),
        action="signing.switch",
        subject=organisation,
    )


def committee_signing_check(*, organisation: Organisation, enabled: bool) -> None:
    if enabled and not _active_signers(organisation).exists():
        raise ValidationError(
            _("%(org)s has no signing certificate; give it one before switching signing on.")
            % {"org": organisation}
        )


# --- Reads ----------------------------------------------------------------------------------


def _active_signers(organisation: Organisation):
    return CommitteeSigner.objects.filter(
        organisation=organisation, active=True, credential__active=True
    ).select_related("credential")


def signing_enabled(organisation: Organisation) -> bool:
    """Whether the committee signs its documents electronically (the site's switch and its own)."""
    return (
        settings.PARTYREG_SIGNING["ENABLED"]
        and CommitteeSigning.objects.filter(organisation=organisation, enabled=True).exists()
    )


def committee_signer(organisation: Organisation, user) -> CommitteeSigner | None:
    """The certificate ``user`` signs with for ``organisation``: their own first, else the
    committee's; None when the committee does not sign electronically or has none for them."""
    if not signing_enabled(organisation):
        return None
    user_id = user.pk if user is not None and user.is_authenticated else None
    signers = _active_signers(organisation).filter(Q(user__isnull=True) | Q(user_id=user_id))
    return min(signers, key=lambda s: (s.user_id is None, -s.added_at.timestamp()), default=None)


def committee_signers(organisation: Organisation) -> list[CommitteeSigner]:
    """Every active certificate of the committee (an upload is matched against them)."""
    return list(_active_signers(organisation).order_by("-added_at"))
