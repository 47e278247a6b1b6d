"""What every app's views need and no domain knows: reading ids and years from a request, where
a request may send the user next, the client's address, a service's refusal shown as a message
or on a form, and PDF responses.

Ids and years come from query strings and forms that anyone can edit: a value that is not a plain
number in range reads as absent (``None`` or the default), never as an error page. ``str.isdigit``
is not enough: it accepts "²" and other digits that ``int`` refuses, and a number too large for
the database's bigint makes PostgreSQL fail the query.
"""

import ipaddress
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpResponse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

# The largest primary key a bigint column holds.
MAX_ID = 2**63 - 1
FIRST_YEAR = 2000
_ASCII_DIGITS = re.compile(r"[0-9]{1,19}")


def parse_id(value) -> int | None:
    """A primary key from user input, or None unless it is 1 to MAX_ID in ASCII digits."""
    if not isinstance(value, str) or not _ASCII_DIGITS.fullmatch(value):
        return None
    number = int(value)
    return number if 0 < number <= MAX_ID else None


def parse_ids(values) -> list[int]:
    """The valid primary keys among ``values`` (e.g. ``request.POST.getlist("ids")``), in order,
    each once."""
    ids = (parse_id(value) for value in values)
    return list(dict.fromkeys(pk for pk in ids if pk is not None))


def parse_year(value, default: int | None = None) -> int:
    """A year from user input; ``default`` (this year when not given) when missing or silly."""
    this_year = timezone.localdate().year
    fallback = default or this_year
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{4}", value):
        return fallback
    year = int(value)
    return year if FIRST_YEAR <= year <= this_year + 1 else fallback


def site_url(path: str = "") -> str:
    """``path`` on the site's own address (PARTYREG_SITE_URL), for links that leave the browser:
    e-mail, printed sheets, QR codes."""
    return settings.PARTYREG["SITE_URL"].rstrip("/") + path


def next_path(request, candidate, default: str) -> str:
    """Where a request asks to be sent next (a ``next`` field): a path on this site, or
    ``default``. Never another site ("//evil.example", "/\\evil.example", "https://…"), and
    never a bare word, which ``redirect()`` would take for a view name."""
    if (
        isinstance(candidate, str)
        and candidate.startswith("/")
        and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return candidate
    return default


def client_address(request) -> str | None:
    """The address of the browser, for the login lock-out (``AXES_CLIENT_IP_CALLABLE``).

    Behind ``settings.PARTYREG_TRUSTED_PROXIES`` reverse proxies, each of which appends the
    address it was reached from to X-Forwarded-For, the browser's address is that many entries
    from the right: what stands further left was written by the client and proves nothing.
    Without trusted proxies the header is ignored. A header with fewer entries, or a bad one
    where a proxy writes, falls back to the address of the connection.
    """
    remote = request.META.get("REMOTE_ADDR")
    proxies = settings.PARTYREG_TRUSTED_PROXIES
    if proxies <= 0:
        return remote
    chain = [entry.strip() for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    if len(chain) < proxies:
        return remote
    try:
        return str(ipaddress.ip_address(chain[-proxies]))
    except ValueError:
        return remote


def refusal(error: Exception) -> str:
    """A service's refusal (ValidationError or PermissionDenied) as one message for the user."""
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or _("You may not do this.")


def apply_validation_error(form, error: ValidationError) -> None:
    """Shows a service's refusal on the form: on its field where it names one."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def pdf_response(content, filename: str, *, attachment: bool = False) -> HttpResponse:
    """A PDF (bytes, or an open binary file) shown in the browser, or downloaded when
    ``attachment``; ``filename`` without its ".pdf"."""
    if isinstance(content, bytes | bytearray):
        response = HttpResponse(content, content_type="application/pdf")
        disposition = "attachment" if attachment else "inline"
        response["Content-Disposition"] = f'{disposition}; filename="{filename}.pdf"'
        return response
    return FileResponse(
        content,
        as_attachment=attachment,
        content_type="application/pdf",
        filename=f"{filename}.pdf",
    )
