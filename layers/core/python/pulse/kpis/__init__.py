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
from pulse.kpis.extras import (
    NO_VIEW_COUNTS,
    business_hours_first_response,
    business_hours_minutes,
    business_hours_response_minutes,
    daily_series,
    engagement_denominator,
    top_posts,
    unanswered,
)

__all__ = [
    "KPI_FIELDS",
    "NO_VIEW_COUNTS",
    "KpiSet",
    "Kpis",
    "Sentiment",
    "business_hours_first_response",
    "business_hours_minutes",
    "business_hours_response_minutes",
    "compute_kpi_set",
    "compute_kpis",
    "daily_series",
    "engagement_denominator",
    "first_responses",
    "top_posts",
    "unanswered",
]
