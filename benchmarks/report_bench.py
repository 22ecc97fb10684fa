"""Time to produce one report, step by step, its memory and the size of its files.

    .venv/bin/python -m benchmarks.report_bench [--repeat N]
    .venv/bin/python -m benchmarks.report_bench --inbound 1000000 --posts 20000 [--repeat N]

Without ``--inbound``: the real pipeline on the demo brands (demo data, Parquet
lake in a temp directory, headless Chromium). With ``--inbound``: one large
brand-month (kpi_bench's generator: that many inbound messages in the month,
plus brand replies, the month before and replies after the month's end), written
to the lake by a child process, so the peak memory printed is the report path's
own. Either way the browser starts once, then per report: the lake read, the
month's data (:func:`pulse.kpis.build_report_data`), the view model and HTML, the
PDF with the chart PNGs, the publication, and the email. Prints the median of
each step over the warm runs (the first run of a large brand is left out).
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import statistics
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

from pulse.config import Account, Brand, load_brands
from pulse.delivery import build_report_email
from pulse.kpis import build_report_data
from pulse.period import Month
from pulse.pipeline import Services, fetch_brand
from pulse.pipeline.archive import publish
from pulse.pipeline.memory import release_memory
from pulse.pipeline.report import Report
from pulse.render.browser import ChromiumRenderer
from pulse.render.html import render_html
from pulse.render.viewmodel import build_report_view
from pulse.settings import Settings

MONTH = Month(2026, 10)
#: Share of kpi_bench's generated messages that are inbound and in the month (65% inbound, 90% in it).
INBOUND_SHARE = 0.65 * 0.9


def _large_brand() -> Brand:
    from benchmarks.kpi_bench import PLATFORMS, TZ

    accounts = [Account(platform=str(p), id=f"{p}-main") for p in PLATFORMS]
    return Brand(id="bench-large", name="Bench Large", language="en", timezone=TZ, accounts=accounts)


def _write_large(archive: str, posts: int, inbound: int) -> None:
    """Generate the large brand-month and write it to the lake (run in a child process)."""
    from benchmarks.kpi_bench import generate

    tables, _ = generate(posts, int(inbound / INBOUND_SHARE))
    services = Services.from_settings(Settings(archive=archive))
    brand = _large_brand()
    services.lake.write(brand.id, brand.tz, tables)


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _one_report(
    services: Services, renderer: ChromiumRenderer, brand: Brand, month: Month
) -> tuple[dict[str, float], dict[str, int]]:
    """One report, step by step: (seconds per step, sizes). Its frames die with this call, as in
    the worker, where each job's objects are local to it (and a long-lived frame's locals could be
    kept alive by anything that reads them)."""
    period = month.period(brand.tz)
    steps: dict[str, float] = {}
    t = time.perf_counter()
    tables = services.lake.read_for_report(brand.id, month)
    steps["lake read"] = time.perf_counter() - t
    t = time.perf_counter()
    data = build_report_data(tables, period, platforms=brand.platforms, opening_hours=brand.opening_hours)
    steps["KPIs"] = time.perf_counter() - t
    t = time.perf_counter()
    now = datetime.now(UTC)
    view = build_report_view(brand, data, now)
    html = render_html(view)
    steps["view + HTML"] = time.perf_counter() - t
    t = time.perf_counter()
    rendered = renderer.render(html, footer=brand.name)
    steps["PDF + PNG (Chromium)"] = time.perf_counter() - t
    t = time.perf_counter()
    report = Report(brand, month, data, view, html, rendered)
    publish(services.store, brand.id, month, report.payloads(now), now)
    steps["publish"] = time.perf_counter() - t
    t = time.perf_counter()
    message = build_report_email(
        view,
        sender="reports@example.com",
        recipients=["a@example.com"],
        pdf=rendered.pdf,
        charts_png=rendered.charts_png,
        link="https://example.com/r",
    )
    raw = message.as_bytes()
    steps["email"] = time.perf_counter() - t
    steps["total"] = sum(steps.values())
    sizes = {
        brand.id: len(raw),
        f"{brand.id} html": len(html.encode()),
        f"{brand.id} pdf": len(rendered.pdf),
    }
    return steps, sizes


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=3, help="renders per brand (default 3)")
    parser.add_argument(
        "--inbound", type=int, default=0, help="one large brand with this many inbound messages"
    )
    parser.add_argument("--posts", type=int, default=20_000, help="posts of the large brand (default 20,000)")
    args = parser.parse_args(argv)

    out = Path(tempfile.mkdtemp(prefix="pulse-bench-"))
    settings = Settings(archive=str(out / "archive"), outbox=out / "outbox", state_dir=out / "state")
    t0 = time.perf_counter()
    if args.inbound:
        from benchmarks.kpi_bench import MONTH as LARGE_MONTH

        child = multiprocessing.get_context("spawn").Process(
            target=_write_large, args=(settings.archive, args.posts, args.inbound)
        )
        child.start()
        child.join()
        if child.exitcode != 0:
            raise SystemExit(f"generating the large brand failed ({child.exitcode})")
        brands, month = [_large_brand()], LARGE_MONTH
        services = Services.from_settings(settings)
    else:
        services = Services.from_settings(settings)
        brands, month = list(load_brands()), MONTH
        start, end = datetime(2026, 8, 31, tzinfo=UTC), datetime(2026, 11, 10, tzinfo=UTC)
        for brand in brands:
            fetch_brand(services, brand, start, end)
    fetch_s = time.perf_counter() - t0

    times: dict[str, list[float]] = defaultdict(list)
    sizes: dict[str, int] = {}
    t0 = time.perf_counter()
    renderer = ChromiumRenderer()
    renderer.start()
    browser_s = time.perf_counter() - t0
    rss_before = _peak_rss_mb()
    runs = args.repeat + (1 if args.inbound else 0)
    try:
        for run in range(runs):
            for brand in brands:
                steps, report_sizes = _one_report(services, renderer, brand, month)
                renderer.forget()  # as the worker does after each job (pulse.pipeline.run_job)
                release_memory()
                if args.inbound and run == 0:
                    print(f"cold run (left out): {steps['total']:.2f} s")
                    continue
                for step, seconds in steps.items():
                    times[step].append(seconds)
                sizes.update(report_sizes)
    finally:
        renderer.close()

    what = f"{args.inbound:,} inbound messages, {args.posts:,} posts" if args.inbound else "demo data"
    print(f"{what} for {len(brands)} brand(s) into the lake: {fetch_s:.2f} s")
    print(f"browser start (once per process): {browser_s:.2f} s")
    print(f"per report, median of {len(times['total'])} ({args.repeat} x {len(brands)} brands):")
    for step, values in times.items():
        print(f"  {step:<22} {statistics.median(values) * 1000:8.0f} ms")
    print(
        f"peak memory of this process: {_peak_rss_mb():.0f} MB (before the first report: {rss_before:.0f} MB)"
    )
    print("sizes:")
    for brand in brands:
        print(
            f"  {brand.id:<20} email {sizes[brand.id] / 1e6:5.2f} MB   "
            f"html {sizes[brand.id + ' html'] / 1e6:5.2f} MB   pdf {sizes[brand.id + ' pdf'] / 1e3:6.0f} kB"
        )


if __name__ == "__main__":
    main()
