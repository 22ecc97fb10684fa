"""The KPI definitions of ``docs/kpis.md``, vectorised over pandas.

All functions are pure: they take canonical tables (see :mod:`pulse.tables`) and
a :class:`~pulse.period.Period` and return plain typed values. ``None`` means
"not defined for this period" (for example a rate with a zero denominator) and
is shown as "n/a" in reports, never as 0.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

import numpy as np
import pandas as pd

from pulse.period import Period
from pulse.tables import ENGAGEMENT_COLUMNS, Tables


@dataclass(frozen=True)
class Sentiment:
    positive: int = 0
    neutral: int = 0
    negative: int = 0

    @property
    def net(self) -> float | None:
        """(positive - negative) / (positive + negative); None when both are 0."""
        polar = self.positive + self.negative
        return None if polar == 0 else (self.positive - self.negative) / polar

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "net": self.net}


@dataclass(frozen=True)
class Kpis:
    """The KPIs of one period (for one brand, or one platform of a brand)."""

    posts: int = 0
    impressions: int | None = None
    reach: int | None = None
    engagements: int = 0
    engagement_rate: float | None = None
    engagement_rate_by_reach: float | None = None
    inbound_messages: int = 0
    responded_messages: int = 0
    response_rate: float | None = None
    first_response_time_median_minutes: float | None = None
    first_response_time_p90_minutes: float | None = None
    sentiment: Sentiment = field(default_factory=Sentiment)
    followers_start: int | None = None
    followers_end: int | None = None
    follower_growth: int | None = None
    follower_growth_rate: float | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = value.to_dict() if isinstance(value, Sentiment) else value
        return out


KPI_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Kpis))


@dataclass(frozen=True)
class KpiSet:
    """A period's KPIs, per platform, and the previous period's for comparison."""

    period: Period
    kpis: Kpis
    previous: Kpis
    by_platform: dict[str, Kpis]
    previous_by_platform: dict[str, Kpis]

    def to_dict(self) -> dict[str, Any]:
        return {
            "month": str(self.period.month),
            "timezone": self.period.tz.key,
            "kpis": self.kpis.to_dict(),
            "by_platform": {p: k.to_dict() for p, k in self.by_platform.items()},
            "previous": self.previous.to_dict(),
            "previous_by_platform": {p: k.to_dict() for p, k in self.previous_by_platform.items()},
        }


def _in_period(times: pd.Series, period: Period) -> pd.Series:
    return (times >= period.start) & (times < period.end)


def _int_or_none(value: Any) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def _ratio(numerator: float, denominator: float) -> float | None:
    return None if denominator == 0 else float(numerator) / float(denominator)


def posts_in_period(posts: pd.DataFrame, period: Period) -> pd.DataFrame:
    return posts[_in_period(posts["created_at"], period)]


def engagements_of(posts: pd.DataFrame) -> pd.Series:
    """likes + comments + shares + saves + clicks per post (missing counts are 0)."""
    return posts[list(ENGAGEMENT_COLUMNS)].fillna(0).sum(axis=1).astype("int64")


def first_responses(messages: pd.DataFrame, period: Period) -> pd.DataFrame:
    """Inbound messages of the period with their first brand reply (``first_reply_at``, NaT if none).

    A reply is a brand message on the same platform whose ``in_reply_to`` is the
    inbound message's id, whenever it was sent.
    """
    inbound = messages[(~messages["from_brand"].fillna(False)) & _in_period(messages["created_at"], period)]
    replies = messages[messages["from_brand"].fillna(False) & messages["in_reply_to"].notna()]
    first = (
        replies.groupby(["platform", "in_reply_to"], observed=True, sort=False)["created_at"]
        .min()
        .rename("first_reply_at")
    )
    first.index = first.index.set_names(["platform", "message_id"])
    out = inbound.join(first, on=["platform", "message_id"])
    out["response_minutes"] = (out["first_reply_at"] - out["created_at"]).dt.total_seconds() / 60.0
    return out


def followers_change(followers: pd.DataFrame, period: Period) -> tuple[int | None, int | None]:
    """Sum over accounts of (start, end) follower counts; (None, None) if no account has a snapshot."""
    first_day = pd.Timestamp(period.first_day)
    last_day = pd.Timestamp(period.last_day)
    dates = followers["date"]
    inside = followers[(dates >= first_day) & (dates <= last_day)].sort_values("date", kind="stable")
    if inside.empty:
        return None, None
    keys = ["platform", "account"]
    end = inside.groupby(keys, observed=True)["followers"].last()
    first_inside = inside.groupby(keys, observed=True)["followers"].first()
    before = followers[dates < first_day].sort_values("date", kind="stable")
    last_before = before.groupby(keys, observed=True)["followers"].last()
    start = last_before.reindex(end.index).fillna(first_inside)
    return int(start.sum()), int(end.sum())


def compute_kpis(tables: Tables, period: Period) -> Kpis:
    """The KPIs of ``period`` over ``tables`` (see ``docs/kpis.md`` for each definition)."""
    posts = posts_in_period(tables.posts, period)
    engagements = engagements_of(posts)
    impressions = posts["impressions"]
    reach = posts["reach"]
    with_impressions = impressions.fillna(0) > 0
    with_reach = reach.fillna(0) > 0

    responses = first_responses(tables.messages, period)
    responded = responses["first_reply_at"].notna()
    minutes = responses.loc[responded, "response_minutes"].to_numpy(dtype="float64")
    median = float(np.percentile(minutes, 50)) if len(minutes) else None
    p90 = float(np.percentile(minutes, 90)) if len(minutes) else None

    labels = responses["sentiment"].value_counts()
    sentiment = Sentiment(
        positive=int(labels.get("positive", 0)),
        neutral=int(labels.get("neutral", 0)),
        negative=int(labels.get("negative", 0)),
    )

    start, end = followers_change(tables.followers, period)
    growth = None if start is None or end is None else end - start

    return Kpis(
        posts=len(posts),
        impressions=_int_or_none(impressions.sum(min_count=1)),
        reach=_int_or_none(reach.sum(min_count=1)),
        engagements=int(engagements.sum()),
        engagement_rate=_ratio(engagements[with_impressions].sum(), impressions[with_impressions].sum()),
        engagement_rate_by_reach=_ratio(engagements[with_reach].sum(), reach[with_reach].sum()),
        inbound_messages=len(responses),
        responded_messages=int(responded.sum()),
        response_rate=_ratio(int(responded.sum()), len(responses)),
        first_response_time_median_minutes=median,
        first_response_time_p90_minutes=p90,
        sentiment=sentiment,
        followers_start=start,
        followers_end=end,
        follower_growth=growth,
        follower_growth_rate=None if growth is None or not start else growth / start,
    )


def _platform_tables(tables: Tables, platform: str) -> Tables:
    return Tables(
        posts=tables.posts[tables.posts["platform"] == platform],
        messages=tables.messages[tables.messages["platform"] == platform],
        followers=tables.followers[tables.followers["platform"] == platform],
    )


def compute_kpi_set(tables: Tables, period: Period, platforms: list[str] | None = None) -> KpiSet:
    """KPIs of ``period`` and of the month before, overall and per platform."""
    previous = period.previous()
    if platforms is None:
        found = set(tables.posts["platform"].dropna()) | set(tables.messages["platform"].dropna())
        found |= set(tables.followers["platform"].dropna())
        platforms = sorted(str(p) for p in found)
    by_platform: dict[str, Kpis] = {}
    previous_by_platform: dict[str, Kpis] = {}
    for platform in platforms:
        subset = _platform_tables(tables, platform)
        by_platform[platform] = compute_kpis(subset, period)
        previous_by_platform[platform] = compute_kpis(subset, previous)
    return KpiSet(
        period=period,
        kpis=compute_kpis(tables, period),
        previous=compute_kpis(tables, previous),
        by_platform=by_platform,
        previous_by_platform=previous_by_platform,
    )
