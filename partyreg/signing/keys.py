"""Where the signing key lives: three ways, one interface.

``Signer.sign(pdf, appearance)`` returns the document signed, or raises ``SigningRefused``:

- ``Pkcs11Signer``: a token or HSM, reached through its PKCS#11 module;
- ``Pkcs12Signer``: a certificate file (PKCS#12) with its passphrase;
- ``ExternalSigner``: signed outside the site; ``sign`` accepts the uploaded file only when it is
  the given document with valid signatures added (see ``verify.verify_pdf``).
"""

import abc
import contextlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property

import pkcs11
from asn1crypto import keys
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    pkcs12,
)
from pyhanko.config.pkcs11 import TokenCriteria
from pyhanko.sign import signers
from pyhanko.sign.general import SigningError
from pyhanko.sign.pkcs11 import PKCS11Signer, open_pkcs11_session
from pyhanko.sign.signers.pdf_cms import Signer as PyhankoSigner
from pyhanko_certvalidator.registry import SimpleCertificateStore

from .certificates import from_asn1, to_asn1
from .problems import Problem, SigningRefused


@dataclass(frozen=True)
class Appearance:
    """Where the signature shows and what it says.

    ``box`` is (page index, x1, y1, x2, y2) in PDF points from the page's lower left corner.
    """

    field_name: str
    box: tuple[int, float, float, float, float]
    name: str
    role: str
    reason: str


class Signer(abc.ABC):
    @property
    @abc.abstractmethod
    def certificate(self) -> x509.Certificate:
        """The certificate of the signature ``sign`` makes."""

    @abc.abstractmethod
    def sign(self, pdf: bytes, appearance: Appearance, *, tsa_url: str | None = None) -> bytes:
        """``pdf`` with a signature added as an incremental update."""


class KeySigner(Signer):
    """A signer whose key the site can use: pyHanko signs with it."""

    @abc.abstractmethod
    def session(self) -> contextlib.AbstractContextManager[PyhankoSigner]:
        """pyHanko's signer, for the time of one signature."""

    def sign(self, pdf: bytes, appearance: Appearance, *, tsa_url: str | None = None) -> bytes:
        from .pdf import append_signature

        with self.session() as signer:
            return append_signature(pdf, signer=signer, appearance=appearance, tsa_url=tsa_url)


class LoadedKeySigner(signers.SimpleSigner):
    """pyHanko's ``SimpleSigner`` holding the key object itself.

    ``SimpleSigner`` reads its key from DER for every raw signature, twice a document (the size
    estimate, then the signature); reading an RSA key has cryptography check it, which took
    60 ms on the benchmark machine. This signer reads the key once.
    """

    def __init__(self, *, key, **kwargs):
        super().__init__(**kwargs)
        self._key = key

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        algorithm = getattr(hashes, digest_algorithm.upper())()
        if isinstance(self._key, rsa.RSAPrivateKey) and not self.prefer_pss:
            return self._key.sign(data, padding.PKCS1v15(), algorithm)
        if isinstance(self._key, ec.EllipticCurvePrivateKey):
            return self._key.sign(data, ec.ECDSA(algorithm))
        return super().sign_raw(data, digest_algorithm)


class Pkcs12Signer(KeySigner):
    def __init__(self, data: bytes, passphrase: bytes):
        self._data = data
        self._passphrase = passphrase

    @cached_property
    def _loaded(self) -> LoadedKeySigner:
        try:
            key, certificate, others = pkcs12.load_key_and_certificates(
                self._data, self._passphrase
            )
        except ValueError as error:
            raise SigningRefused(Problem.UNAVAILABLE) from error
        if key is None or certificate is None:
            raise SigningRefused(Problem.UNAVAILABLE)
        return LoadedKeySigner(
            key=key,
            signing_key=keys.PrivateKeyInfo.load(
                key.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption())
            ),
            signing_cert=to_asn1(certificate),
            cert_registry=SimpleCertificateStore.from_certs([to_asn1(c) for c in others]),
        )

    @property
    def certificate(self) -> x509.Certificate:
        return from_asn1(self._loaded.signing_cert)

    @contextlib.contextmanager
    def session(self) -> Iterator[PyhankoSigner]:
        yield self._loaded


class Pkcs11Signer(KeySigner):
    """A key on a token, found by the token's label and the key's; its certificate is the
    token's certificate object with the same label. ``chain``: the certificates between it and
    the authority, embedded in each signature."""

    def __init__(
        self,
        *,
        module: str,
        token_label: str,
        key_label: str,
        pin: str,
        chain: Iterable[x509.Certificate] = (),
    ):
        self.module = module
        self.token_label = token_label
        self.key_label = key_label
        self._pin = pin
        self._chain = [to_asn1(certificate) for certificate in chain]

    @contextlib.contextmanager
    def session(self) -> Iterator[PyhankoSigner]:
        try:
            session = open_pkcs11_session(
                self.module,
                token_criteria=TokenCriteria(label=self.token_label),
                user_pin=self._pin,
            )
        except (pkcs11.PKCS11Error, OSError) as error:
            raise SigningRefused(Problem.UNAVAILABLE) from error
        try:
            yield PKCS11Signer(
                session, key_label=self.key_label, cert_label=self.key_label, ca_chain=self._chain
            )
        except (pkcs11.PKCS11Error, SigningError) as error:
            # No key or certificate with that label, or the token refused to sign.
            raise SigningRefused(Problem.UNAVAILABLE) from error
        finally:
            session.close()

    @cached_property
    def _certificate(self) -> x509.Certificate:
        with self.session() as signer:
            return from_asn1(signer.signing_cert)

    @property
    def certificate(self) -> x509.Certificate:
        return self._certificate


class ExternalSigner(Signer):
    """A file signed outside the site (on the signer's own token) and uploaded."""

    def __init__(
        self,
        signed_pdf: bytes,
        *,
        trust_roots: Iterable[x509.Certificate],
        expected_fingerprint: str | None = None,
    ):
        self.signed_pdf = signed_pdf
        self.trust_roots = list(trust_roots)
        self.expected_fingerprint = expected_fingerprint

    def _reports(self, original: bytes | None):
        from .verify import verify_pdf

        return verify_pdf(self.signed_pdf, trust_roots=self.trust_roots, expected_original=original)

    @property
    def certificate(self) -> x509.Certificate:
        """The certificate of the file's newest signature."""
        reports = self._reports(None)
        if not reports:
            raise SigningRefused(Problem.UNSIGNED)
        return reports[-1].certificate

    def sign(self, pdf: bytes, appearance: Appearance, *, tsa_url: str | None = None) -> bytes:
        """The uploaded file, if it is ``pdf`` with valid signatures added by the expected
        signer; the appearance is the outside signer's to choose."""
        reports = self._reports(pdf)
        for report in reports:
            if report.problem is not None:
                raise SigningRefused(report.problem)
        added = [report for report in reports if report.signed_bytes > len(pdf)]
        if not added:
            raise SigningRefused(Problem.UNSIGNED)
        if self.expected_fingerprint and added[-1].fingerprint != self.expected_fingerprint:
            raise SigningRefused(Problem.WRONG_SIGNER)
        return self.signed_pdf
