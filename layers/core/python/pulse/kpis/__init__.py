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
    kpi_set_of,
)
from pulse.kpis.extras import (
    NO_VIEW_COUNTS,
    business_hours_first_response,
    business_hours_minutes,
    business_hours_response_minutes,
    engagement_denominator,
    top_posts,
    unanswered,
)
from pulse.kpis.report_data import (
    FOLLOW_UP_ROWS,
    FOLLOW_UP_TIERS,
    RESPONSE_BUCKETS,
    ReportData,
    build_report_data,
    daily_followers,
    daily_series,
    follow_up_order,
    response_buckets,
)

__all__ = [
    "FOLLOW_UP_ROWS",
    "FOLLOW_UP_TIERS",
    "KPI_FIELDS",
    "NO_VIEW_COUNTS",
    "RESPONSE_BUCKETS",
    "KpiSet",
    "Kpis",
    "ReportData",
    "Sentiment",
    "build_report_data",
    "business_hours_first_response",
    "business_hours_minutes",
    "business_hours_response_minutes",
    "compute_kpi_set",
    "compute_kpis",
    "daily_followers",
    "daily_series",
    "engagement_denominator",
    "first_responses",
    "follow_up_order",
    "kpi_set_of",
    "response_buckets",
    "top_posts",
    "unanswered",
]
