"""Fixtures of the signing tests (tests/partyreg/signing, tests/evaluations/signatures), loaded
for every test by tests/conftest.py: a test CA with its signers, a SoftHSM2 token in a temporary
directory, poppler's pdfsig trusting the test CA, and the signing settings.

Session-wide and defined once: the SoftHSM2 module reads its configuration when first loaded, so
one token serves the whole run.
"""

import shutil
import subprocess
import tempfile
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.conftest import missing
from tests.partyreg.signing import pki


@pytest.fixture(scope="session")
def pki_world():
    authority = pki.make_authority("CA thử nghiệm Ban Cơ yếu")
    foreign = pki.make_authority("CA không đăng ký")
    return SimpleNamespace(
        authority=authority,
        signer=pki.make_signer(
            authority, "Đặng Văn Ộ", title="Bí thư", organisation="Chi bộ Phòng Ngân sách"
        ),
        countersigner=pki.make_signer(
            authority,
            "Trần Thị Hoa",
            title="Phó Bí thư Thường trực",
            organisation="Đảng ủy phường Xuân Hương",
        ),
        token_signer=pki.make_signer(
            authority, "Phạm Quốc Việt", title="Bí thư", organisation="Đảng ủy Sở Tài chính"
        ),
        expired=pki.make_signer(
            authority,
            "Hoàng Văn Cũ",
            valid_from=timedelta(days=-400),
            valid_to=timedelta(days=-1),
        ),
        foreign_authority=foreign,
        foreign=pki.make_signer(foreign, "Người Lạ"),
    )


@pytest.fixture(scope="session")
def softhsm(pki_world):
    """A SoftHSM2 token, in a directory of its own, holding the token signer's key."""
    if not shutil.which("softhsm2-util") or not Path(pki.SOFTHSM_MODULE).exists():
        missing("needs softhsm2: apt install softhsm2")
    with tempfile.TemporaryDirectory(prefix="partyreg-softhsm-") as directory:
        pki.init_softhsm_token(Path(directory), pki_world.token_signer)
        yield SimpleNamespace(
            module=pki.SOFTHSM_MODULE,
            token_label=pki.TOKEN_LABEL,
            key_label=pki.KEY_LABEL,
            pin=pki.PIN,
        )


@pytest.fixture(scope="session")
def pdfsig(pki_world, tmp_path_factory):
    """``pdfsig(pdf_bytes)``: poppler's report, trusting the test CA."""
    if not shutil.which("pdfsig"):
        missing("needs pdfsig: apt install poppler-utils")
    if not shutil.which("certutil"):
        missing("needs certutil for pdfsig's trust store: apt install libnss3-tools")
    directory = tmp_path_factory.mktemp("pdfsig")
    database = pki.nss_database(directory / "nss", pki_world.authority)

    def run(pdf: bytes) -> str:
        path = directory / "document.pdf"
        path.write_bytes(pdf)
        # Not -no-ocsp: with it poppler 22.12 reports every certificate as "Unknown issue". The
        # test certificates name no OCSP responder, so nothing is fetched.
        result = subprocess.run(
            ["pdfsig", "-nssdir", database, str(path)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        return result.stdout

    return run


@pytest.fixture
def signing_settings(settings):
    settings.PARTYREG_SIGNING = settings.PARTYREG_SIGNING | {"TSA_URL": "", "KEY": ""}
    return settings.PARTYREG_SIGNING


@pytest.fixture
def token_settings(settings, signing_settings, softhsm):
    settings.PARTYREG_SIGNING = signing_settings | {
        "PKCS11_MODULE": softhsm.module,
        "PKCS11_PIN": softhsm.pin,
    }
    return settings.PARTYREG_SIGNING
