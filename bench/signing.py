"""Signing a sheet: how many milliseconds a signature adds to a rendered one-page sheet.

The sheet is a real WeasyPrint rendering of pdf/example_sheet.html (one A4 page, the layout of
the comment sheets). The keys come from the test PKI of tests/partyreg/signing/pki.py: an RSA-2048
certificate file (PKCS#12), and the same kind of key on a SoftHSM2 token made in a temporary
directory (skipped, with a line saying so, when softhsm2 is not installed). Medians over RUNS:

- rendering the sheet, for scale;
- PKCS#12, key read once (a batch, or document_sign after its first signature: it keeps
  each installed file read per process) and read from the file for each signature;
- PKCS#11 (SoftHSM2), a session opened and logged in for each signature;
- a second signature on the signed sheet (the commune's countersignature);
- verify_pdf of the countersigned sheet against the rendering.

.venv/bin/python -m bench signing
BENCH_SIGNING_RUNS=20 .venv/bin/python -m bench signing
"""

import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

RUNS = int(os.environ.get("BENCH_SIGNING_RUNS", "50"))
TEMPLATE = "pdf/example_sheet.html"
BOX = (0, 345, 390, 545, 450)
SECOND_BOX = (0, 100, 390, 300, 450)


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partyreg.settings")
    os.environ.setdefault("PARTYREG_LOG_LEVEL", "WARNING")
    import django

    django.setup()


def _median_ms(function, runs: int = RUNS) -> tuple[float, float]:
    """Median wall-clock and CPU milliseconds (the CPU figure is what the machine's load does
    not inflate; the SoftHSM2 module runs inside this process, so it counts too)."""
    function()  # warm-up: fonts prepared, modules loaded
    wall, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        function()
        wall.append(1000 * (time.perf_counter() - started))
        cpu.append(1000 * (time.process_time() - started_cpu))
    return statistics.median(wall), statistics.median(cpu)


def _sign(pdf: bytes, signer, *, field: str = "ChiUy", box=BOX) -> bytes:
    from partyreg.signing.pdf import sign_pdf

    return sign_pdf(
        pdf,
        signer=signer,
        field_name=field,
        box=box,
        name="Đặng Văn Ộ",
        role="Bí thư Chi bộ",
        reason="Nhận xét đảng viên",
    )


def run(runs: int = RUNS) -> dict:
    _setup_django()
    from partyreg.pdf import render_pdf
    from partyreg.signing.keys import Pkcs11Signer, Pkcs12Signer
    from partyreg.signing.verify import verify_pdf
    from tests.partyreg.signing import pki
    from tests.partyreg.signing.conftest import sheet_context

    context = sheet_context("Nguyễn Thị Ánh Tuyết")
    sheet = render_pdf(TEMPLATE, context)
    authority = pki.make_authority("CA thử nghiệm")
    issued = pki.make_signer(authority, "Đặng Văn Ộ", title="Bí thư")
    commune = pki.make_signer(authority, "Trần Thị Hoa", title="Phó Bí thư")
    data, passphrase = issued.pkcs12(), pki.PASSPHRASE.encode()
    loaded = Pkcs12Signer(data, passphrase)

    results = {
        "render the sheet": _median_ms(lambda: render_pdf(TEMPLATE, context), min(runs, 20)),
        "PKCS#12, key read once": _median_ms(lambda: _sign(sheet, loaded), runs),
        "PKCS#12, file read for each signature": _median_ms(
            lambda: _sign(sheet, Pkcs12Signer(data, passphrase)), runs
        ),
    }
    with tempfile.TemporaryDirectory(prefix="partyreg-bench-softhsm-") as directory:
        if shutil.which("softhsm2-util") and Path(pki.SOFTHSM_MODULE).exists():
            pki.init_softhsm_token(Path(directory), issued)
            token = Pkcs11Signer(
                module=pki.SOFTHSM_MODULE,
                token_label=pki.TOKEN_LABEL,
                key_label=pki.KEY_LABEL,
                pin=pki.PIN,
            )
            results["PKCS#11 (SoftHSM2), session per signature"] = _median_ms(
                lambda: _sign(sheet, token), runs
            )
        else:
            print("  PKCS#11: softhsm2 not installed (apt install softhsm2), not measured")
    signed = _sign(sheet, loaded)
    second_signer = Pkcs12Signer(commune.pkcs12(), passphrase)
    results["countersignature (PKCS#12)"] = _median_ms(
        lambda: _sign(signed, second_signer, field="DangUy", box=SECOND_BOX), runs
    )
    countersigned = _sign(signed, second_signer, field="DangUy", box=SECOND_BOX)
    results["verify both signatures"] = _median_ms(
        lambda: verify_pdf(
            countersigned, trust_roots=[authority.certificate], expected_original=sheet
        ),
        min(runs, 20),
    )

    print(f"Signing a one-page sheet ({len(sheet) / 1024:.0f} KiB), medians over {runs} runs")
    print(f"  load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for label, (wall, cpu) in results.items():
        print(f"  {label:<45} {wall:7.1f} ms  ({cpu:5.1f} ms CPU)")
    return results


if __name__ == "__main__":
    run()
