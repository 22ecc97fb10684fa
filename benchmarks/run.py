"""`make bench`: every benchmark, one after the other (KPIs vs DuckDB, sentiment vs VADER, reports, complaint themes)."""

from __future__ import annotations

import runpy
import sys

BENCHMARKS = [
    "benchmarks.report_bench",
    "benchmarks.kpi_bench",
    "benchmarks.sentiment_bench",
    "benchmarks.themes_bench",
]


def main() -> None:
    for name in BENCHMARKS:
        print(f"\n=== {name} ===", flush=True)
        sys.argv = [name]
        try:
            runpy.run_module(name, run_name="__main__")
        except SystemExit as exc:  # a benchmark's own main() may exit; go on with the next one
            if exc.code not in (0, None):
                raise


if __name__ == "__main__":
    main()
