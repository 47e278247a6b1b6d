"""A test public-key infrastructure: authorities, signer certificates, a PKCS#12 file, a SoftHSM2
token holding a key, and an NSS database for poppler's pdfsig. Used by the signing tests and by
bench/signing.py."""

import os
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

SOFTHSM_MODULE = "/usr/lib/softhsm/libsofthsm2.so"
PASSPHRASE = "mật-khẩu-thử"
TOKEN_LABEL = "partyreg-test"
KEY_LABEL = "chi-uy"
PIN = "246810"
SO_PIN = "13579135"


@dataclass(frozen=True)
class Issued:
    key: rsa.RSAPrivateKey
    certificate: x509.Certificate

    @property
    def pem(self) -> str:
        return self.certificate.public_bytes(serialization.Encoding.PEM).decode()

    def pkcs12(self, *chain: x509.Certificate, passphrase: str = PASSPHRASE) -> bytes:
        return pkcs12.serialize_key_and_certificates(
            b"signer",
            self.key,
            self.certificate,
            list(chain) or None,
            serialization.BestAvailableEncryption(passphrase.encode()),
        )


def _name(common_name: str, title: str = "", organisation: str = "") -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.COUNTRY_NAME, "VN")]
    if organisation:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation))
    if title:
        attributes.append(x509.NameAttribute(NameOID.TITLE, title))
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(attributes)


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=not ca,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def make_authority(common_name: str) -> Issued:
    key = _key()
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(_name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=3650))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_usage(ca=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return Issued(key, certificate)


def make_signer(
    authority: Issued,
    common_name: str,
    *,
    title: str = "",
    organisation: str = "",
    valid_from: timedelta = timedelta(days=-30),
    valid_to: timedelta = timedelta(days=365),
    timestamping: bool = False,
) -> Issued:
    """A signer's certificate issued by ``authority``, valid from now + ``valid_from`` to now +
    ``valid_to``; ``timestamping``: a timestamping authority's."""
    key = _key()
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name, title, organisation))
        .issuer_name(authority.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now + valid_from)
        .not_valid_after(now + valid_to)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(ca=False), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(authority.key.public_key()),
            critical=False,
        )
    )
    if timestamping:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True
        )
    return Issued(key, builder.sign(authority.key, hashes.SHA256()))


def init_softhsm_token(directory: Path, signer: Issued) -> None:
    """A SoftHSM2 token in ``directory`` holding ``signer``'s key and certificate, both labelled
    KEY_LABEL. Sets SOFTHSM2_CONF for this process: call before the module is first loaded."""
    import pkcs11
    from pkcs11 import Attribute, ObjectClass
    from pkcs11.util.x509 import decode_x509_certificate

    tokens = directory / "tokens"
    tokens.mkdir(parents=True)
    config = directory / "softhsm2.conf"
    config.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\n")
    os.environ["SOFTHSM2_CONF"] = str(config)
    subprocess.run(
        ["softhsm2-util", "--init-token", "--free", "--label", TOKEN_LABEL, "--pin", PIN]
        + ["--so-pin", SO_PIN],
        check=True,
        capture_output=True,
    )
    numbers = signer.key.private_numbers()
    key_attributes = {
        Attribute.CLASS: ObjectClass.PRIVATE_KEY,
        Attribute.KEY_TYPE: pkcs11.KeyType.RSA,
        Attribute.MODULUS: _bytes(numbers.public_numbers.n),
        Attribute.PUBLIC_EXPONENT: _bytes(numbers.public_numbers.e),
        Attribute.PRIVATE_EXPONENT: _bytes(numbers.d),
        Attribute.PRIME_1: _bytes(numbers.p),
        Attribute.PRIME_2: _bytes(numbers.q),
        Attribute.EXPONENT_1: _bytes(numbers.dmp1),
        Attribute.EXPONENT_2: _bytes(numbers.dmq1),
        Attribute.COEFFICIENT: _bytes(numbers.iqmp),
    }
    certificate_attributes = decode_x509_certificate(
        signer.certificate.public_bytes(serialization.Encoding.DER)
    )
    common = {Attribute.TOKEN: True, Attribute.LABEL: KEY_LABEL, Attribute.ID: b"\x01"}
    token = pkcs11.lib(SOFTHSM_MODULE).get_token(token_label=TOKEN_LABEL)
    with token.open(rw=True, user_pin=PIN) as session:
        session.create_object(
            key_attributes | common | {Attribute.SIGN: True, Attribute.PRIVATE: True}
        )
        session.create_object(certificate_attributes | common)


def _bytes(number: int) -> bytes:
    return number.to_bytes((number.bit_length() + 7) // 8, "big")


def nss_database(directory: Path, authority: Issued) -> str:
    """An NSS database trusting ``authority``, for ``pdfsig -nssdir``."""
    directory.mkdir(parents=True)
    (directory / "ca.pem").write_text(authority.pem)
    database = f"sql:{directory}"
    subprocess.run(["certutil", "-N", "-d", database, "--empty-password"], check=True)
    subprocess.run(
        ["certutil", "-A", "-d", database, "-n", "partyreg-test-ca", "-t", "CT,C,C"]
        + ["-i", str(directory / "ca.pem")],
        check=True,
    )
    return database
