"""Comment sheets at bloc scale: cold rendering, "print all" of ready sheets, reprint of one.

Runs on its own PostgreSQL database (partyreg_bench_sheets, the bloc-sized demo: about 2,700
members) and a real Celery worker pool of 2 processes on the "printing" queue behind Redis, the
way production runs, so the figures include the broker, the database reads and the file writes.

1. Cold: every PrintedSheet deleted, then each cell's certified comments queued for rendering
   as certifying the cell does (tasks of evaluations.printing.sheets.RENDER_BATCH sheets);
   sheets/s until
   the last is written, with each worker process's resident memory sampled (start, end, peak).
   Next to it, a plain loop in this process calling weasyprint.HTML(...).write_pdf with a fresh
   font configuration and stylesheet per sheet, on a few hundred sheets, extrapolated to the bloc;
   and WeasyPrint alone (HTML made beforehand, layout and writing only): the ceiling.
2. "Print all" with every sheet ready: seconds from the job's creation to its last file.
3. One comment changed, "print all" again: how many sheets the job had to render (1).
Also: merging 250 ready sheets with pikepdf and with pypdf, in this process.

The machine is shared; every figure is printed with the load average, and the rendering figures
also as CPU time per sheet (sheets per CPU-second times the 2 cores), which load does not skew
as much as wall-clock time.

.venv/bin/python -m bench sheets
BENCH_SHEETS=250 BENCH_PLAIN_SHEETS=60 .venv/bin/python -m bench sheets   # quicker, on a busy box
"""

import io
import os
import random
import subprocess
import sys
import time
from datetime import date, datetime

from bench._workers import (
    WORKERS,
    MemorySampler,
    _children,
    _cpu_seconds,
    _start_worker,
    _status_kib,
    _wait,
)

DATABASE_URL = "postgres://postgres@127.0.0.1:5432/partyreg_bench_sheets"
REDIS_URL = "redis://127.0.0.1:6379/7"
PLAIN_LOOP_SHEETS = int(os.environ.get("BENCH_PLAIN_SHEETS", "200"))
MERGE_SHEETS = 250
CAMPAIGN_YEAR = 2026
# Sheets measured; the whole bloc by default. A smaller figure gives a quick run on a busy
# machine (BENCH_SHEETS=400); CPU time per sheet is printed either way.
LIMIT = int(os.environ.get("BENCH_SHEETS", "2700"))

PHRASES = [
    "Đồng chí luôn giữ gìn phẩm chất chính trị, đạo đức, lối sống, được nhân dân tin yêu.",
    "Gia đình đồng chí chấp hành tốt chủ trương của Đảng, chính sách, pháp luật của Nhà nước.",
    "Tham gia đầy đủ các buổi sinh hoạt với chi bộ nơi cư trú và các cuộc họp khu dân cư.",
    "Tích cực ủng hộ quỹ khuyến học, quỹ vì người nghèo và các phong trào của tổ dân phố.",
    "Thường xuyên giữ mối liên hệ với chi ủy, tổ trưởng tổ dân phố và ban công tác Mặt trận.",
    "Có ý kiến đóng góp xác đáng trong việc xây dựng nếp sống văn minh ở khu dân cư.",
    "Vận động bà con giữ gìn vệ sinh môi trường, trật tự an toàn giao thông trên địa bàn.",
    "Năm qua có một lần vắng sinh hoạt do đi công tác, đã báo cáo chi ủy trước buổi họp.",
    "Đề nghị đồng chí dành thêm thời gian tham gia các hoạt động chung của khu phố.",
    "Đoàn kết, hòa nhã với hàng xóm; gương mẫu trong việc cưới, việc tang và lễ hội.",
    "Phản ánh kịp thời tâm tư, nguyện vọng của nhân dân với cấp ủy và chính quyền phường.",
    "Chưa thật sự chủ động nắm tình hình khu dân cư; cần khắc phục trong năm tới.",
]


def _text(rng: random.Random, sentences: int) -> str:
    return " ".join(rng.choice(PHRASES) for _ in range(sentences))


def _load() -> str:
    return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def setup() -> None:
    os.environ.setdefault("DATABASE_URL", DATABASE_URL)
    os.environ.setdefault("REDIS_URL", REDIS_URL)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partyreg.settings")
    os.environ.setdefault("DJANGO_DEBUG", "0")
    os.environ.setdefault("PARTYREG_MEDIA_ROOT", "/tmp/partyreg-bench-sheets-media")
    from bench._django import _create_database

    _create_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    import logging

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    from django.core.management import call_command

    from evaluations.demo.tree import demo_loaded

    call_command("migrate", verbosity=0)
    if not demo_loaded():
        print("Loading the bloc-sized demo…", flush=True)
        # Without the demo's workflows: prepare() gives every member a referral of its own.
        call_command("load_demo", size="bloc", workflows=False)


def prepare() -> "Campaign":  # noqa: F821
    """2,700 certified comments of the demo bloc, written with bulk_create."""
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from evaluations.demo.plan import DEFAULT_SEED, generate
    from evaluations.models import (
        Campaign,
        CommentRequest,
        Criterion,
        CriterionAnswer,
        SheetForm,
        Sitting,
    )
    from members.models import Member, Organisation
    from residence.models import Referral

    bloc = Organisation.objects.get(code="demo-b01")
    campaign = Campaign.objects.filter(organisation=bloc, year=CAMPAIGN_YEAR).first()
    if campaign is not None and campaign.requests.count() >= 2_000:
        return campaign
    started = time.perf_counter()
    plan = generate("bloc", DEFAULT_SEED)
    cell_of = {m.card_number: m.residence_cell for m in plan.members}
    orgs = {o.code: o for o in Organisation.objects.filter(code__isnull=False)}
    members = list(
        Member.objects.filter(workplace_org__path__startswith=bloc.path).select_related(
            "workplace_org__parent"
        )
    )
    secretary = get_user_model().objects.filter(username="chibo").first()
    officer = get_user_model().objects.filter(username="phuong").first()
    rng = random.Random(213)
    with transaction.atomic():
        campaign = Campaign.objects.create(
            organisation=bloc,
            year=CAMPAIGN_YEAR,
            title=f"Lấy ý kiến nhận xét đảng viên năm {CAMPAIGN_YEAR}",
            due_on=date(CAMPAIGN_YEAR, 11, 30),
        )
        Criterion.objects.bulk_create(
            Criterion(
                campaign=campaign,
                form=c.form,
                position=c.position,
                text=c.text,
                levels=list(c.levels),
            )
            for c in Criterion.objects.filter(campaign__isnull=True)
        )
        criteria = {
            form: list(campaign.criteria.filter(form=form).order_by("position"))
            for form in SheetForm.values
        }
        cells = {orgs[code] for code in cell_of.values() if code in orgs}
        sittings = {
            cell.pk: s
            for cell, s in zip(
                cells,
                Sitting.objects.bulk_create(
                    Sitting(
                        residence_cell=cell,
                        year=CAMPAIGN_YEAR,
                        held_on=date(CAMPAIGN_YEAR, 11, 8),
                        place=f"Nhà văn hóa {cell.name.removeprefix('Chi bộ ')}",
                        cell_committee_attendees="Đặng Văn Lộc — Bí thư chi bộ\n"
                        "Nguyễn Thị Hoa — Phó Bí thư\nTrần Văn Hùng — Chi ủy viên",
                        front_committee_attendees="Lê Văn Tâm — Trưởng ban công tác Mặt trận\n"
                        "Phạm Thị Lan — Tổ trưởng tổ dân phố",
                    )
                    for cell in cells
                ),
                strict=True,
            )
        }
        chosen = [m for m in members if cell_of.get(m.card_number) in orgs][:2_700]
        referrals = Referral.objects.bulk_create(
            Referral(
                member=m,
                issuing_org=m.workplace_org,
                signing_org=m.workplace_org,
                commune=orgs[cell_of[m.card_number]].parent,
                residence_cell=orgs[cell_of[m.card_number]],
                year=CAMPAIGN_YEAR,
                number=90_000 + i,
                state=Referral.State.REPORTED,
                due_on=date(CAMPAIGN_YEAR, 2, 1),
                presented_on=date(CAMPAIGN_YEAR, 1, 20),
            )
            for i, m in enumerate(chosen)
        )
        submitted = timezone.make_aware(datetime(CAMPAIGN_YEAR, 11, 10, 9))
        certified = timezone.make_aware(datetime(CAMPAIGN_YEAR, 11, 20, 15))
        requests = []
        for m, referral in zip(chosen, referrals, strict=True):
            cell = orgs[cell_of[m.card_number]]
            invited = rng.choice([2, 2, 3, 4])
            present = rng.randint(max(0, invited - 2), invited)
            excused = rng.randint(0, invited - present)
            requests.append(
                CommentRequest(
                    campaign=campaign,
                    member=m,
                    referral=referral,
                    workplace_org=(
                        m.workplace_org.parent
                        if m.workplace_org.kind == Organisation.Kind.CELL
                        else m.workplace_org
                    ),
                    residence_cell=cell,
                    commune=cell.parent,
                    form=SheetForm.EXEMPT if m.category == "exempt_activity" else SheetForm.NORMAL,
                    due_on=date(CAMPAIGN_YEAR, 11, 30),
                    state=CommentRequest.State.CERTIFIED,
                    sitting=sittings[cell.pk],
                    other_comments=_text(rng, rng.choice([0, 1, 2, 3])),
                    meetings_invited=invited,
                    meetings_present=present,
                    meetings_excused=excused,
                    meetings_unexcused=invited - present - excused,
                    submitted_at=submitted,
                    submitted_by=secretary,
                    certified_at=certified,
                    certified_by=officer,
                )
            )
        CommentRequest.objects.bulk_create(requests, batch_size=1000)
        answers = []
        for r in requests:
            long_one = rng.random() < 0.05
            for c in criteria[r.form]:
                sentences = rng.choice([8, 12]) if long_one else rng.choice([0, 1, 1, 2, 3])
                answers.append(
                    CriterionAnswer(
                        request=r,
                        criterion=c,
                        level=rng.choices([0, 1, 2], weights=[5, 4, 1])[0],
                        comment=_text(rng, sentences),
                    )
                )
        CriterionAnswer.objects.bulk_create(answers, batch_size=5000)
    print(
        f"Prepared {len(requests):,} certified comments ({len(answers):,} answers) in "
        f"{time.perf_counter() - started:.1f} s",
        flush=True,
    )
    return campaign


# --- The measurements -------------------------------------------------------------------------


def _ids(campaign) -> list[int]:
    return list(campaign.requests.order_by("pk").values_list("pk", flat=True)[:LIMIT])


def cold(campaign, worker) -> None:
    from evaluations.models import PrintedSheet
    from evaluations.printing.sheets import queue_sheet_render

    PrintedSheet.objects.filter(request__campaign=campaign).delete()
    ids = _ids(campaign)
    pids = _children(worker.pid)
    sampler = MemorySampler(pids)
    cpu_before = sum(_cpu_seconds(p) for p in pids)
    started = time.perf_counter()
    # What certifying every cell's comments does: one certification per cell, whose sheets
    # are queued in batches (evaluations.printing.sheets.RENDER_BATCH) once it is committed.
    by_cell: dict[int, list[int]] = {}
    for request_id, cell_id in campaign.requests.filter(pk__in=ids).values_list(
        "pk", "residence_cell_id"
    ):
        by_cell.setdefault(cell_id, []).append(request_id)
    for cell_ids in by_cell.values():
        queue_sheet_render(cell_ids)
    quarters = iter((1, 2, 3, 4))
    next_quarter = [next(quarters)]

    def finished() -> bool:
        count = PrintedSheet.objects.filter(request_id__in=ids).count()
        while next_quarter[0] and count >= len(ids) * next_quarter[0] / 4:
            sampler.mark(f"{25 * next_quarter[0]}%")
            next_quarter[0] = next(quarters, 0)
        return count >= len(ids)

    done = _wait(finished, sampler)
    elapsed = time.perf_counter() - started
    cpu_per_sheet = (sum(_cpu_seconds(p) for p in pids) - cpu_before) / len(ids)
    sampler.sample()
    pages = sum(PrintedSheet.objects.filter(request_id__in=ids).values_list("pages", flat=True))
    print(
        f"1. Cold: {len(ids):,} sheets ({pages:,} pages) by {WORKERS} Celery worker processes in "
        f"{elapsed:.1f} s = {len(ids) / elapsed:.1f} sheets/s{'' if done else ' (TIMED OUT)'} "
        f"[{_load()}]",
        flush=True,
    )
    print(
        f"   worker CPU time {1000 * cpu_per_sheet:.0f} ms per sheet, all included: "
        f"{WORKERS / cpu_per_sheet:.1f} sheets/s on {WORKERS} otherwise idle cores",
        flush=True,
    )
    print(f"   worker memory: {sampler.report()}", flush=True)
    print(f"   worker RSS along the run: {sampler.course()}", flush=True)


def plain_loop(campaign, total: int) -> None:
    """weasyprint.HTML(...).write_pdf with a fresh font configuration and stylesheets each."""
    from django.template.loader import render_to_string
    from weasyprint import HTML

    from evaluations.printing import sheets
    from partyreg.pdf import PDF_ORIGIN, StaticOnlyFetcher, _parse_static_css, load_resources

    ids = _ids(campaign)[:PLAIN_LOOP_SHEETS]
    rss_before = _status_kib(os.getpid(), "VmRSS")
    cpu_before = time.process_time()
    started = time.perf_counter()
    for request_id in ids:
        request = sheets.sheet_queryset().get(pk=request_id)
        sheets.ensure_verification_code(request)
        html = render_to_string(
            sheets.SHEET_TEMPLATE, sheets.sheet_context(sheets.sheet_inputs(request))
        )
        resources = load_resources()
        own = [_parse_static_css(name, resources.font_config) for name in sheets.SHEET_STYLESHEETS]
        HTML(string=html, base_url=PDF_ORIGIN, url_fetcher=StaticOnlyFetcher()).write_pdf(
            stylesheets=[resources.stylesheet, *own], font_config=resources.font_config
        )
    elapsed = time.perf_counter() - started
    cpu_per_sheet = (time.process_time() - cpu_before) / len(ids)
    rate = len(ids) / elapsed
    print(
        f"   plain loop (1 process, fresh HTML().write_pdf per sheet): {len(ids)} sheets in "
        f"{elapsed:.1f} s = {rate:.1f} sheets/s; extrapolated to {total:,} sheets: "
        f"{total / rate / 60:.1f} min [{_load()}]",
        flush=True,
    )
    print(
        f"   plain loop CPU time {1000 * cpu_per_sheet:.0f} ms per sheet: "
        f"{WORKERS / cpu_per_sheet:.1f} sheets/s on {WORKERS} otherwise idle cores; memory "
        f"{rss_before / 1024:.0f} → {_status_kib(os.getpid(), 'VmRSS') / 1024:.0f} MiB",
        flush=True,
    )


def weasyprint_alone(campaign) -> None:
    """WeasyPrint's own share: the sheets' HTML made first, then only laid out and written,
    with this process's shared font configuration, stylesheets and line cache. No database,
    no broker, no file: the most any pipeline built on it could render on this machine."""
    import gc

    from django.template.loader import render_to_string

    from evaluations.printing import sheets
    from partyreg.pdf import SHARED_STYLESHEET, _document, shared_resources

    requests = sheets.sheet_queryset().filter(pk__in=_ids(campaign)[: PLAIN_LOOP_SHEETS * 2])
    pages_html = []
    for request in requests:
        sheets.ensure_verification_code(request)
        context = sheets.sheet_context(sheets.sheet_inputs(request))
        pages_html.append(render_to_string(sheets.SHEET_TEMPLATE, context))
    resources = shared_resources()
    warm, measured = pages_html[: len(pages_html) // 2], pages_html[len(pages_html) // 2 :]
    for html in warm:  # the line cache filled as a worker's is after its first sheets
        _document(html, resources, sheets.SHEET_STYLESHEETS).write_pdf()
    gc.collect()
    cpu_before, pages = time.process_time(), 0
    for html in measured:
        document = _document(html, resources, sheets.SHEET_STYLESHEETS)
        pages += len(document.pages)
        document.write_pdf()
    cpu_per_sheet = (time.process_time() - cpu_before) / len(measured)
    print(
        f"   WeasyPrint alone ({SHARED_STYLESHEET} and the sheet's stylesheet parsed once, HTML "
        f"made beforehand): {1000 * cpu_per_sheet:.0f} ms CPU per sheet of "
        f"{pages / len(measured):.2f} pages, {len(measured)} sheets: at most "
        f"{WORKERS / cpu_per_sheet:.1f} sheets/s on {WORKERS} otherwise idle cores [{_load()}]",
        flush=True,
    )


def print_all(campaign, actor, label: str, pids=()) -> None:
    from evaluations.models import PrintJob
    from evaluations.printing.jobs import print_job_start

    cpu_before = sum(_cpu_seconds(p) for p in pids)
    started = time.perf_counter()
    job = print_job_start(actor=actor, campaign=campaign, request_ids=_ids(campaign))
    _wait(
        lambda: PrintJob.objects.filter(
            pk=job.pk, status__in=[PrintJob.Status.DONE, PrintJob.Status.FAILED]
        ).exists(),
        every=0.1,
    )
    elapsed = time.perf_counter() - started
    job.refresh_from_db()
    sizes = [f.file.size / 2**20 for f in job.files.all()]
    print(
        f"{label}: {job.total:,} sheets, {job.status}, {elapsed:.1f} s from the click to "
        f"{len(sizes)} files ({', '.join(f'{s:.1f}' for s in sizes)} MiB); rendered by the job: "
        f"{job.rendered} [{_load()}]",
        flush=True,
    )
    if pids:
        cpu = sum(_cpu_seconds(p) for p in pids) - cpu_before
        print(
            f"   worker CPU time {cpu:.1f} s: {cpu / WORKERS:.1f} s on {WORKERS} otherwise idle "
            "cores (plus the database's)",
            flush=True,
        )
    if job.error:
        print(f"   error: {job.error}")


def merges(campaign) -> None:
    from pypdf import PdfWriter

    from evaluations.models import PrintedSheet
    from evaluations.printing.jobs import merge_pdfs

    sheets = list(PrintedSheet.objects.filter(request_id__in=_ids(campaign)[:MERGE_SHEETS]))
    data = [s.pdf.read() for s in sheets]
    single = sum(len(d) for d in data) / len(data) / 1024

    started = time.perf_counter()
    merged = merge_pdfs([io.BytesIO(d) for d in data])
    pike = time.perf_counter() - started

    started = time.perf_counter()
    writer = PdfWriter()
    for d in data:
        writer.append(io.BytesIO(d))
    out = io.BytesIO()
    writer.write(out)
    pypdf_seconds = time.perf_counter() - started
    print(
        f"   merging {len(data)} ready sheets (one sheet PDF {single:.0f} KiB on average): "
        f"pikepdf {pike:.2f} s → {len(merged) / 2**20:.1f} MiB; pypdf {pypdf_seconds:.2f} s → "
        f"{len(out.getvalue()) / 2**20:.1f} MiB [{_load()}]",
        flush=True,
    )


def reprint_one(campaign, actor, pids=()) -> None:
    request = campaign.requests.get(pk=_ids(campaign)[0])
    answer = request.answers.order_by("criterion__position").first()
    answer.comment = f"{answer.comment} Đã bổ sung sau khi in ({time.time():.0f})."
    answer.save(update_fields=["comment"])
    print_all(campaign, actor, "3. Reprint after changing one comment", pids)


def run() -> None:
    setup()
    from django.contrib.auth import get_user_model

    campaign = prepare()
    actor = get_user_model().objects.get(username="khoi")
    total = min(LIMIT, campaign.requests.count())
    print(f"{total:,} certified comments; {os.cpu_count()} CPUs; {_load()}", flush=True)
    # The broker database this run uses (REDIS_URL may point at another than the default).
    subprocess.run(
        ["redis-cli", "-n", os.environ["REDIS_URL"].rsplit("/", 1)[1], "flushdb"],
        check=False,
        stdout=subprocess.DEVNULL,
    )
    worker = _start_worker()
    try:
        cold(campaign, worker)
        plain_loop(campaign, total)
        weasyprint_alone(campaign)
        pids = _children(worker.pid)
        print_all(campaign, actor, "2. Print all, sheets ready", pids)
        merges(campaign)
        reprint_one(campaign, actor, pids)
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()


if __name__ == "__main__":
    sys.exit(run())
