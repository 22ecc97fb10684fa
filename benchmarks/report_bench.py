"""Time to produce one report, step by step, and the size of its email.

    .venv/bin/python -m benchmarks.report_bench [--brands N] [--repeat N]

Runs the real pipeline on the demo brands (demo data, Parquet lake in a temp
directory, headless Chromium): browser start once, then per report the lake
read, the KPIs, the view model and HTML, the PDF with the chart PNGs, and the
email. Prints the median of each step.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

from pulse.config import load_brands
from pulse.delivery import build_report_email
from pulse.kpis import compute_kpi_set
from pulse.period import Month
from pulse.pipeline import Services, fetch_brand
from pulse.render.browser import ChromiumRenderer
from pulse.render.html import render_html
from pulse.render.viewmodel import build_report_view
from pulse.settings import Settings

MONTH = Month(2026, 10)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=3, help="renders per brand (default 3)")
    args = parser.parse_args(argv)

    out = Path(tempfile.mkdtemp(prefix="pulse-bench-"))
    services = Services.from_settings(
        Settings(archive=str(out / "archive"), outbox=out / "outbox", state_dir=out / "state")
    )
    brands = list(load_brands())
    start, end = datetime(2026, 8, 31, tzinfo=UTC), datetime(2026, 11, 10, tzinfo=UTC)
    t0 = time.perf_counter()
    for brand in brands:
        fetch_brand(services, brand, start, end)
    fetch_s = time.perf_counter() - t0

    times: dict[str, list[float]] = defaultdict(list)
    sizes: dict[str, int] = {}
    t0 = time.perf_counter()
    renderer = ChromiumRenderer()
    renderer.start()
    browser_s = time.perf_counter() - t0
    try:
        for _ in range(args.repeat):
            for brand in brands:
                period = MONTH.period(brand.tz)
                steps = {}
                t = time.perf_counter()
                tables = services.lake.read_for_report(brand.id, MONTH)
                steps["lake read"] = time.perf_counter() - t
                t = time.perf_counter()
                kpi_set = compute_kpi_set(tables, period, platforms=brand.platforms)
                steps["KPIs"] = time.perf_counter() - t
                t = time.perf_counter()
                view = build_report_view(brand, kpi_set, tables, datetime.now(UTC))
                html = render_html(view)
                steps["view + HTML"] = time.perf_counter() - t
                t = time.perf_counter()
                rendered = renderer.render(html, footer=brand.name)
                steps["PDF + PNG (Chromium)"] = time.perf_counter() - t
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
                for step, seconds in steps.items():
                    times[step].append(seconds)
                sizes[brand.id] = len(raw)
                sizes[f"{brand.id} html"] = len(html.encode())
                sizes[f"{brand.id} pdf"] = len(rendered.pdf)
    finally:
        renderer.close()

    print(f"demo data for {len(brands)} brands into the lake: {fetch_s:.2f} s")
    print(f"browser start (once per process): {browser_s:.2f} s")
    print(f"per report, median of {len(times['total'])} ({args.repeat} x {len(brands)} brands):")
    for step, values in times.items():
        print(f"  {step:<22} {statistics.median(values) * 1000:8.0f} ms")
    print("sizes:")
    for brand in brands:
        print(
            f"  {brand.id:<20} email {sizes[brand.id] / 1e6:5.2f} MB   "
            f"html {sizes[brand.id + ' html'] / 1e6:5.2f} MB   pdf {sizes[brand.id + ' pdf'] / 1e3:6.0f} kB"
        )


if __name__ == "__main__":
    main()
