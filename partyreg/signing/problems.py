"""Why a signature is refused, in words a committee secretary understands."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class Problem(models.TextChoices):
    ALTERED = "altered", _("The document was changed after it was signed.")
    INVALID = "invalid", _("The signature does not match the signer's certificate.")
    EXPIRED = "expired", _("The certificate had expired at the time of signing.")
    UNTRUSTED = (
        "untrusted",
        _("The certificate was not issued by a registered certificate authority."),
    )
    NOT_ISSUED = "not_issued", _("What was signed is not the document the site issued.")
    WRONG_SIGNER = (
        "wrong_signer",
        _("The certificate is not the one registered for this committee."),
    )
    UNSIGNED = "unsigned", _("The file carries no new signature.")
    UNAVAILABLE = "unavailable", _("The signing key cannot be used; ask the administrator.")


class SigningRefused(ValidationError):
    """A signature not made, or not accepted, for ``problem``."""

    def __init__(self, problem: Problem):
        super().__init__(problem.label, code=problem.value)
        self.problem = problem
