"""Signing a sheet: how many milliseconds a signature adds to a rendered one-page sheet, and to
the comment workflow.

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

Then in the workflow (evaluations.signatures), on PostgreSQL (DATABASE_URL, default
partyreg_bench_signing, created and migrated; a small world built in a transaction rolled back
at the end): submitting a comment and certifying it, each step timed in a savepoint rolled back
after it, with signatures off and on. What signing adds to a sheet in the workflow is the
difference: on submission the real comment sheet is rendered, kept and signed; on certification
it is countersigned and kept again. The rendering (also timed alone) is not new work: with
signatures off the sheet is rendered in the background once certified, which a signed sheet
no longer needs (its printed sheet is the signed file).

.venv/bin/python -m bench signing
BENCH_SIGNING_RUNS=20 .venv/bin/python -m bench signing
"""

import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

RUNS = int(os.environ.get("BENCH_SIGNING_RUNS", "50"))
DATABASE_URL = "postgres://postgres@127.0.0.1:5432/partyreg_bench_signing"
TEMPLATE = "pdf/example_sheet.html"
BOX = (0, 345, 390, 545, 450)
SECOND_BOX = (0, 100, 390, 300, 450)


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partyreg.settings")
    os.environ.setdefault("PARTYREG_LOG_LEVEL", "WARNING")
    os.environ.setdefault("DATABASE_URL", DATABASE_URL)
    if os.environ["DATABASE_URL"].startswith("postgres"):
        from bench._django import _create_database

        _create_database(os.environ["DATABASE_URL"])
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


def _print(results: dict) -> None:
    print(f"  load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for label, (wall, cpu) in results.items():
        print(f"  {label:<45} {wall:7.1f} ms  ({cpu:5.1f} ms CPU)")


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
    from tests.partyreg.signing import pki

    authority = pki.make_authority("CA thử nghiệm")
    keys = SimpleNamespace(
        authority=authority,
        cell=pki.make_signer(authority, "Đặng Văn Ộ", title="Bí thư"),
        commune=pki.make_signer(authority, "Trần Thị Hoa", title="Phó Bí thư"),
        token=False,
    )
    with tempfile.TemporaryDirectory(prefix="partyreg-bench-softhsm-") as directory:
        if shutil.which("softhsm2-util") and Path(pki.SOFTHSM_MODULE).exists():
            # The token holds the cell's key; it lives until both parts are measured.
            pki.init_softhsm_token(Path(directory), keys.cell)
            keys.token = True
        else:
            print("  PKCS#11: softhsm2 not installed (apt install softhsm2), not measured")
        results = _signatures(keys, runs)
        workflow = _workflow(keys, min(runs, 20))
    return results | workflow


def _signatures(keys, runs: int) -> dict:
    from partyreg.pdf import render_pdf
    from partyreg.signing.keys import Pkcs11Signer, Pkcs12Signer
    from partyreg.signing.verify import verify_pdf
    from tests.partyreg.signing import pki
    from tests.partyreg.signing.conftest import sheet_context

    context = sheet_context("Nguyễn Thị Ánh Tuyết")
    sheet = render_pdf(TEMPLATE, context)
    data, passphrase = keys.cell.pkcs12(), pki.PASSPHRASE.encode()
    loaded = Pkcs12Signer(data, passphrase)
    results = {
        "render the sheet": _median_ms(lambda: render_pdf(TEMPLATE, context), min(runs, 20)),
        "PKCS#12, key read once": _median_ms(lambda: _sign(sheet, loaded), runs),
        "PKCS#12, file read for each signature": _median_ms(
            lambda: _sign(sheet, Pkcs12Signer(data, passphrase)), runs
        ),
    }
    if keys.token:
        token = Pkcs11Signer(
            module=pki.SOFTHSM_MODULE,
            token_label=pki.TOKEN_LABEL,
            key_label=pki.KEY_LABEL,
            pin=pki.PIN,
        )
        results["PKCS#11 (SoftHSM2), session per signature"] = _median_ms(
            lambda: _sign(sheet, token), runs
        )
    signed = _sign(sheet, loaded)
    second_signer = Pkcs12Signer(keys.commune.pkcs12(), passphrase)
    results["countersignature (PKCS#12)"] = _median_ms(
        lambda: _sign(signed, second_signer, field="DangUy", box=SECOND_BOX), runs
    )
    countersigned = _sign(signed, second_signer, field="DangUy", box=SECOND_BOX)
    results["verify both signatures"] = _median_ms(
        lambda: verify_pdf(
            countersigned, trust_roots=[keys.authority.certificate], expected_original=sheet
        ),
        min(runs, 20),
    )
    print(f"Signing a one-page sheet ({len(sheet) / 1024:.0f} KiB), medians over {runs} runs")
    _print(results)
    return results


# --- In the workflow --------------------------------------------------------------------------


def _world(keys):
    """A workplace cell, a residence cell and its commune with their secretaries, a member placed
    in the residence cell, the year's campaign open, the cell's sitting recorded; the test CA
    registered and a certificate file installed for each committee (switched off)."""
    from evaluations import services
    from members import signers
    from members.models import Organisation, Role
    from partyreg.signing import services as signing
    from partyreg.signing.certificates import pem
    from residence import services as referrals
    from tests.members.factories import MemberFactory, OrganisationFactory, RoleFactory, UserFactory
    from tests.partyreg.signing import pki

    kind = Organisation.Kind
    admin = UserFactory(username="bench-signing-admin", is_superuser=True, is_staff=True)
    agency = OrganisationFactory(name="Đảng bộ Sở Tài chính", kind=kind.GRASSROOTS)
    cell = OrganisationFactory(name="Chi bộ Phòng Ngân sách", kind=kind.CELL, parent=agency)
    commune = OrganisationFactory(name="Đảng ủy phường Xuân Hương", kind=kind.COMMUNE)
    residence = OrganisationFactory(
        name="Chi bộ Tổ dân phố 5", kind=kind.RESIDENCE_CELL, parent=commune
    )
    secretaries = {}
    for organisation in (agency, residence, commune):
        user = UserFactory(username=f"bench-signing-{organisation.pk}", first_name="Đặng Văn Ộ")
        RoleFactory(user=user, organisation=organisation, kind=Role.Kind.SECRETARY)
        secretaries[organisation] = user
    member = MemberFactory(
        full_name="Nguyễn Thị Ánh Tuyết", workplace_org=cell, residence_commune=commune
    )
    referral = referrals.referral_issue(actor=admin, member=member)
    referral = referrals.referral_receive(actor=admin, referral=referral)
    referrals.referral_assign(actor=admin, referral=referral, residence_cell=residence)
    request = services.campaign_open(actor=secretaries[agency], organisation=agency).requests[0]
    sitting = services.sitting_record(
        actor=admin,
        residence_cell=residence,
        held_on=request.requested_at.date(),
        cell_committee_attendees="Đặng Văn Ộ — Bí thư",
        front_committee_attendees="Phạm Văn Lực — Trưởng ban công tác Mặt trận",
    )
    signing.trusted_authority_add(
        actor=admin, name="CA", certificate=pem(keys.authority.certificate)
    )
    installed = {}
    for organisation, issued in ((residence, keys.cell), (commune, keys.commune)):
        installed[organisation] = signing.signing_credential_install(
            actor=admin,
            label=organisation.name,
            pkcs12_data=issued.pkcs12(),
            passphrase=pki.PASSPHRASE,
        )
        signers.committee_signer_set(
            actor=admin, organisation=organisation, credential=installed[organisation]
        )
    return SimpleNamespace(
        admin=admin,
        residence=residence,
        commune=commune,
        request=request,
        sitting=sitting,
        cell_secretary=secretaries[residence],
        commune_secretary=secretaries[commune],
        cell_file=installed[residence],
    )


def _submit(world):
    from evaluations import services
    from evaluations.models import Criterion

    criteria = Criterion.objects.filter(campaign=world.request.campaign, form=world.request.form)
    return services.comment_submit(
        actor=world.cell_secretary,
        request=world.request,
        answers={c.pk: (0, "Gương mẫu, được bà con tin tưởng.") for c in criteria},
        other_comments="Vận động bà con làm đường bê tông ngõ 12.",
        sitting=world.sitting,
    )


def _step_ms(step, runs: int, before=None) -> tuple[float, float]:
    """``step(before())`` with only ``step`` timed, in a savepoint rolled back after it."""
    from django.db import transaction

    def once():
        with transaction.atomic():
            argument = before() if before else None
            started, started_cpu = time.perf_counter(), time.process_time()
            step(argument)
            elapsed = time.perf_counter() - started, time.process_time() - started_cpu
            transaction.set_rollback(True)
        return elapsed

    once()
    timings = [once() for _ in range(runs)]
    return (
        statistics.median(1000 * wall for wall, _cpu in timings),
        statistics.median(1000 * cpu for _wall, cpu in timings),
    )


def _workflow(keys, runs: int) -> dict:
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, transaction

    from evaluations import services
    from evaluations.printing.sheets import ensure_verification_code
    from evaluations.signatures.sheets import SHEET
    from members import signers
    from partyreg.signing import services as signing
    from tests.partyreg.signing import pki

    if connection.vendor != "postgresql":
        print("In the workflow: needs PostgreSQL (DATABASE_URL), not measured")
        return {}
    call_command("migrate", verbosity=0)
    settings.PARTYREG_SIGNING = settings.PARTYREG_SIGNING | {
        "ENABLED": True,
        "TSA_URL": "",
        "PKCS11_MODULE": pki.SOFTHSM_MODULE,
        "PKCS11_PIN": pki.PIN,
    }

    def submit(_argument):
        _submit(world)

    def certify(submitted):
        services.comment_certify(actor=world.commune_secretary, request=submitted, render=False)

    def render(submitted):
        SHEET.render(submitted, ensure_verification_code(submitted))

    def switch(organisation):
        signers.committee_signing_set(actor=world.admin, organisation=organisation, enabled=True)

    results = {}
    with transaction.atomic():
        world = _world(keys)
        results["submit a comment, signatures off"] = _step_ms(submit, runs)
        results["certify it, signatures off"] = _step_ms(certify, runs, lambda: _submit(world))
        results["render the comment sheet (kept on submission)"] = _step_ms(
            render, runs, lambda: _submit(world)
        )
        switch(world.residence)
        results["submit, signed (PKCS#12)"] = _step_ms(submit, runs)
        switch(world.commune)
        results["certify, countersigned (PKCS#12)"] = _step_ms(
            certify, runs, lambda: _submit(world)
        )
        if keys.token:
            # The token holds the same key as the cell's file: the file is withdrawn first.
            signing.signing_credential_set_active(
                actor=world.admin, credential=world.cell_file, active=False
            )
            on_token = signing.signing_credential_install_token(
                actor=world.admin,
                label="Chi bộ (thiết bị ký)",
                token_label=pki.TOKEN_LABEL,
                key_label=pki.KEY_LABEL,
            )
            signers.committee_signer_set(
                actor=world.admin, organisation=world.residence, credential=on_token
            )
            results["submit, signed (PKCS#11, SoftHSM2)"] = _step_ms(submit, runs)
        transaction.set_rollback(True)
    print(f"In the workflow (comment_submit, comment_certify), medians over {runs} runs")
    _print(results)
    for label, off in (
        ("submit, signed (PKCS#12)", "submit a comment, signatures off"),
        ("submit, signed (PKCS#11, SoftHSM2)", "submit a comment, signatures off"),
        ("certify, countersigned (PKCS#12)", "certify it, signatures off"),
    ):
        if label in results:
            added = results[label][0] - results[off][0], results[label][1] - results[off][1]
            print(f"  added by signing: {label:<34} {added[0]:7.1f} ms  ({added[1]:5.1f} ms CPU)")
    return results


if __name__ == "__main__":
    run()
