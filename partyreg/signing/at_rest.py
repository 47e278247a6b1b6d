"""Encryption at rest of the installed certificate files and their passphrases (Fernet)."""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

__all__ = ["InvalidToken", "decrypt", "encrypt"]


def _fernet() -> Fernet:
    key = settings.PARTYREG_SIGNING["KEY"]
    if not key:
        # A key of its own, so SECRET_KEY itself never encrypts anything.
        digest = hashlib.sha256(b"partyreg.signing.at_rest:" + settings.SECRET_KEY.encode())
        key = base64.urlsafe_b64encode(digest.digest())
    return Fernet(key)


def encrypt(data: bytes) -> str:
    return _fernet().encrypt(data).decode("ascii")


def decrypt(token: str) -> bytes:
    """The stored bytes; raises ``InvalidToken`` when the key is not the one that encrypted."""
    return _fernet().decrypt(token.encode("ascii"))
