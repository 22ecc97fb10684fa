"""Every number of pulse.kpis.ReportData equals the slow reference on generated data."""

from __future__ import annotations

import math

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pulse.kpis import build_report_data, compute_kpi_set
from pulse.period import Month
from pulse.tables import Tables
from tests.unit.kpi_reference import (
    reference_buckets,
    reference_daily,
    reference_follow_up,
    reference_weekly_net,
)
from tests.unit.test_kpis_properties import datasets

TEXTS = ["Where is my order?", "merci", "¿Dónde está?", "", None, "great stuff", "why?? no answer"]


@st.composite
def report_datasets(draw: st.DrawFn) -> tuple[Tables, Month, str]:
    """The KPI datasets, with message texts (some questions) and sentiment scores (some ties)."""
    tables, month, tz = draw(datasets())
    n = len(tables.messages)
    messages = tables.messages.copy()
    messages["text"] = pd.array([draw(st.sampled_from(TEXTS)) for _ in range(n)], dtype="string")
    scores = [draw(st.sampled_from([None, -0.9, -0.4, 0.0, 0.4])) for _ in range(n)]
    messages["sentiment_score"] = pd.array(scores, dtype="Float64")
    return Tables(posts=tables.posts, messages=messages, followers=tables.followers), month, tz


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None or (isinstance(a, float) and math.isnan(a)):
        return (a is None or math.isnan(a)) and (b is None or math.isnan(b))  # type: ignore[arg-type]
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(report_datasets())
def test_report_data_matches_the_reference(data: tuple[Tables, Month, str]) -> None:
    tables, month, tz = data
    period = month.period(tz)
    result = build_report_data(tables, period, follow_up_rows=1_000)

    assert result.kpi_set == compute_kpi_set(tables, period)

    expected_daily = reference_daily(tables, month.year, month.month, tz)
    assert [d.date() for d in result.daily.index] == list(expected_daily)
    for day, expected in zip(result.daily.index, expected_daily.values(), strict=True):
        row = result.daily.loc[day]
        got = {
            "posts": int(row["posts"]),
            "impressions": None if pd.isna(row["impressions"]) else int(row["impressions"]),
            "engagements": int(row["engagements"]),
            "inbound": int(row["inbound"]),
            "responded": int(row["responded"]),
        }
        assert got == expected, f"{day.date()}: {got} != {expected}"

    expected_weeks = reference_weekly_net(tables, month.year, month.month, tz)
    got_weeks = {w.date(): (None if pd.isna(v) else float(v)) for w, v in result.weekly_net_sentiment.items()}
    assert list(got_weeks) == list(expected_weeks)
    assert all(_same(got_weeks[w], expected_weeks[w]) for w in expected_weeks), (got_weeks, expected_weeks)

    assert result.response_buckets == reference_buckets(tables, month.year, month.month, tz)

    expected_order = reference_follow_up(tables, month.year, month.month, tz)
    got_order = list(zip(result.follow_up["platform"], result.follow_up["message_id"], strict=True))
    assert got_order == expected_order
    assert result.unanswered_count == len(expected_order)


def test_follow_up_is_cut_and_counted() -> None:
    rows = [
        {
            "platform": "x",
            "account": "a",
            "message_id": str(i),
            "created_at": f"2026-10-{i + 1:02d}T10:00:00Z",
            "author": f"u{i}",
            "from_brand": False,
            "text": "Where is it?" if i % 2 else "hello",
            "sentiment": "negative" if i == 7 else None,
        }
        for i in range(20)
    ]
    from pulse.tables import normalize

    tables = Tables(messages=normalize("messages", pd.DataFrame(rows)))
    data = build_report_data(tables, Month(2026, 10).period("Europe/Paris"), follow_up_rows=5)
    assert data.unanswered_count == 20 and len(data.follow_up) == 5
    assert list(data.follow_up["message_id"]) == ["7", "1", "3", "5", "9"]
    assert list(data.follow_up["tier"]) == ["negative", "question", "question", "question", "question"]
