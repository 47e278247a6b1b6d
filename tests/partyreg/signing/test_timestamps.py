"""PAdES B-T with a timestamping authority, B-B when it does not answer."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from asn1crypto import keys, tsp
from cryptography.hazmat.primitives import serialization
from pyhanko.sign.timestamps import DummyTimeStamper

from partyreg.signing.certificates import to_asn1
from partyreg.signing.keys import Pkcs12Signer
from partyreg.signing.pdf import sign_pdf
from partyreg.signing.problems import Problem
from partyreg.signing.verify import verify_pdf

from . import pki
from .conftest import SIGNER_BOX


@pytest.fixture(scope="module")
def tsa_url(pki_world):
    """A timestamping authority on 127.0.0.1, its certificate issued by the test CA."""
    tsa = pki.make_signer(pki_world.authority, "TSA thử nghiệm", timestamping=True)
    stamper = DummyTimeStamper(
        tsa_cert=to_asn1(tsa.certificate),
        tsa_key=keys.PrivateKeyInfo.load(
            tsa.key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        ),
    )

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            request = tsp.TimeStampReq.load(self.rfile.read(int(self.headers["Content-Length"])))
            body = stamper.request_tsa_response(request).dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()


def sign(pdf: bytes, issued: pki.Issued, tsa_url: str | None) -> bytes:
    return sign_pdf(
        pdf,
        signer=Pkcs12Signer(issued.pkcs12(), pki.PASSPHRASE.encode()),
        field_name="ChiUy",
        box=SIGNER_BOX,
        name="Đặng Văn Ộ",
        role="Bí thư",
        reason="Nhận xét",
        tsa_url=tsa_url,
    )


def test_a_timestamped_signature_is_b_t_and_dated_by_the_authority(pki_world, sheet_pdf, tsa_url):
    signed = sign(sheet_pdf, pki_world.signer, tsa_url)

    [report] = verify_pdf(
        signed, trust_roots=[pki_world.authority.certificate], expected_original=sheet_pdf
    )
    assert report.ok, report.message
    assert report.timestamped is True


def test_a_timestamp_does_not_make_an_expired_certificate_acceptable(pki_world, sheet_pdf, tsa_url):
    signed = sign(sheet_pdf, pki_world.expired, tsa_url)

    [report] = verify_pdf(signed, trust_roots=[pki_world.authority.certificate])
    assert report.timestamped and report.problem == Problem.EXPIRED


def test_without_an_answer_from_the_authority_the_signature_is_b_b(pki_world, sheet_pdf, caplog):
    signed = sign(sheet_pdf, pki_world.signer, "http://127.0.0.1:9/")

    [report] = verify_pdf(signed, trust_roots=[pki_world.authority.certificate])
    assert report.ok and report.timestamped is False
    assert "signing without one (B-B)" in caplog.text
