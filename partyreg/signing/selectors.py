"""Reads of the signing infrastructure."""

from cryptography import x509

from .certificates import load_certificate
from .models import TrustedAuthority


def trusted_certificates() -> list[x509.Certificate]:
    """The certificates of the authorities administrators trust now."""
    return [
        load_certificate(pem)
        for pem in TrustedAuthority.objects.filter(active=True).values_list(
            "certificate_pem", flat=True
        )
    ]
