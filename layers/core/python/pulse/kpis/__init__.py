"""KPIs: pure functions over the canonical tables (no I/O, no environment)."""

from __future__ import annotations

from pulse.kpis.core import (
    KPI_FIELDS,
    Kpis,
    KpiSet,
    Sentiment,
    compute_kpi_set,
    compute_kpis,
    first_responses,
)

__all__ = [
    "KPI_FIELDS",
    "KpiSet",
    "Kpis",
    "Sentiment",
    "compute_kpi_set",
    "compute_kpis",
    "first_responses",
]
