"""PDF rendering: shared vs fresh font configuration, and three ways to print a batch.

1. ~200 renders of a one-page sheet through partyreg.pdf.render_pdf, once with a fresh
   FontConfiguration + parsed stylesheet per render, once with the per-process shared ones.
   Each mode runs in its own forked process so their memory does not mix: renders/s, resident
   memory after the warm-up and at the end (its growth), and peak RSS.
2. A batch of sheets as one PDF: render_pdf_many (each sheet laid out, pages joined, fonts
   embedded once), one long HTML document with page breaks, and per-sheet PDFs merged by pypdf.

Run with `python -m bench` (calls run()) or `python -m bench.pdf_render`.
"""

import io
import multiprocessing
import os
import resource
import time
from datetime import date

RENDERS = 200
WARM_UP = 5
BATCH = 50
TEMPLATE = "pdf/example_sheet.html"


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partyreg.settings")
    import django

    django.setup()
    import logging

    # WeasyPrint logs every rendering step at INFO.
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


def _context(i: int) -> dict:
    return {
        "superior_name": "Đảng bộ thành phố Đà Lạt",
        "issuer_name": "Đảng ủy Phường 1",
        "number": f"{i + 1}-GGT/ĐU",
        "place": "Đà Lạt",
        "date": date(2026, 11, 20),
        "title": "Giấy giới thiệu",
        "subtitle": "đảng viên đang công tác về sinh hoạt nơi cư trú",
        "cell_name": "Khu phố 3",
        "member_name": f"Nguyễn Thị Ánh Tuyết {i}",
        "birth_date": date(1980, 1, 5),
        "workplace": "Chi bộ Văn phòng Sở Tài chính",
        "recipients": ["Như trên", "Lưu VP"],
        "signature": {"on_behalf": "T/M Đảng ủy", "title": "Bí thư", "name": "Đặng Văn Ộ"},
    }


def _rss_mib() -> float | None:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return None


def _renders(fresh: bool, renders: int, queue) -> None:
    from partyreg.pdf import load_resources, render_pdf

    def one(i):
        resources = load_resources() if fresh else None
        return render_pdf(TEMPLATE, _context(i), resources=resources)

    for i in range(WARM_UP):
        one(i)
    rss_start = _rss_mib()
    started = time.perf_counter()
    for i in range(renders):
        one(i)
    elapsed = time.perf_counter() - started
    queue.put(
        {
            "renders_per_s": renders / elapsed,
            "ms_per_render": 1000 * elapsed / renders,
            "rss_start_mib": rss_start,
            "rss_end_mib": _rss_mib(),
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }
    )


def _in_child(target, *args) -> dict:
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    process = context.Process(target=target, args=(*args, queue))
    process.start()
    result = queue.get()
    process.join()
    return result


def _batch_one_html(contexts) -> bytes:
    """Every sheet's <section> in one HTML document; .sheet + .sheet breaks the page."""
    from django.template.loader import render_to_string
    from weasyprint import HTML

    from partyreg.pdf import PDF_ORIGIN, StaticOnlyFetcher, shared_resources

    pages = [render_to_string(TEMPLATE, context) for context in contexts]
    head, _, _ = pages[0].partition("<body>")
    bodies = [page.partition("<body>")[2].rpartition("</body>")[0] for page in pages]
    html = f"{head}<body>{''.join(bodies)}</body></html>"
    resources = shared_resources()
    return HTML(string=html, base_url=PDF_ORIGIN, url_fetcher=StaticOnlyFetcher()).write_pdf(
        stylesheets=[resources.stylesheet], font_config=resources.font_config
    )


def _batch_pypdf(contexts) -> bytes:
    from pypdf import PdfWriter

    from partyreg.pdf import render_pdf

    writer = PdfWriter()
    for context in contexts:
        writer.append(io.BytesIO(render_pdf(TEMPLATE, context)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _batches(queue) -> None:
    from pypdf import PdfReader

    from partyreg.pdf import render_pdf_many

    contexts = [_context(i) for i in range(BATCH)]
    ways = {
        "render_pdf_many (pages joined)": lambda: render_pdf_many(TEMPLATE, contexts),
        "one HTML with page breaks": lambda: _batch_one_html(contexts),
        "per-sheet PDFs merged by pypdf": lambda: _batch_pypdf(contexts),
    }
    render_pdf_many(TEMPLATE, contexts[:2])  # warm-up: shared resources built
    results = {}
    for name, way in ways.items():
        started = time.perf_counter()
        pdf = way()
        elapsed = time.perf_counter() - started
        results[name] = {
            "sheets_per_s": BATCH / elapsed,
            "seconds": elapsed,
            "pages": len(PdfReader(io.BytesIO(pdf)).pages),
            "kib": len(pdf) / 1024,
        }
    queue.put(results)


def run(renders: int = RENDERS) -> dict:
    _setup_django()
    from partyreg.pdf import harfbuzz_subset_available

    print(f"PDF rendering ({TEMPLATE}, one A4 page)")
    print(f"  HarfBuzz subsetter available: {harfbuzz_subset_available()}")
    results = {}
    for label, fresh in (("fresh FontConfiguration + CSS", True), ("shared (render_pdf)", False)):
        result = _in_child(_renders, fresh, renders)
        results[label] = result
        growth = (
            f"{result['rss_end_mib'] - result['rss_start_mib']:+.1f} MiB"
            if result["rss_start_mib"] is not None
            else "n/a"
        )
        print(
            f"  {label:32} {result['renders_per_s']:6.1f} renders/s "
            f"({result['ms_per_render']:.1f} ms), RSS growth over {renders} renders {growth}, "
            f"peak RSS {result['peak_rss_mib']:.0f} MiB"
        )
    fresh, shared = results["fresh FontConfiguration + CSS"], results["shared (render_pdf)"]
    print(f"  shared is {shared['renders_per_s'] / fresh['renders_per_s']:.2f}x the fresh rate")

    batches = _in_child(_batches)
    print(f"Batch of {BATCH} sheets in one PDF")
    for name, result in batches.items():
        print(
            f"  {name:32} {result['sheets_per_s']:6.1f} sheets/s ({result['seconds']:.2f} s), "
            f"{result['pages']} pages, {result['kib']:.0f} KiB"
        )
    results["batches"] = batches
    return results


if __name__ == "__main__":
    run()
