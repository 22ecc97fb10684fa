"""What the report shows beside the KPIs: business-hours response times, top
posts, unanswered messages and which engagement denominator a platform
supports (daily series: :mod:`pulse.kpis.report_data`). Pure functions over the canonical tables.
"""

from __future__ import annotations

from datetime import time
from typing import Literal
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from pulse.config import OpeningHours
from pulse.kpis.core import Kpis, engagements_of, first_responses, posts_in_period
from pulse.period import Period
from pulse.tables import Tables

Denominator = Literal["impressions", "reach"]

#: Platforms whose APIs report neither impressions nor reach for posts.
NO_VIEW_COUNTS: frozenset[str] = frozenset({"mastodon", "bluesky"})


def engagement_denominator(platform: str, kpis: Kpis | None = None) -> Denominator | None:
    """The denominator of the engagement rate that applies to ``platform``.

    ``"impressions"`` where the platform reports impressions, else ``"reach"``
    where it reports reach, else None (Mastodon and Bluesky report neither:
    their engagement rates are null and the report shows engagements only).
    With ``kpis``, the answer follows the data: the first rate that is defined.
    """
    if kpis is not None:
        if kpis.engagement_rate is not None:
            return "impressions"
        if kpis.engagement_rate_by_reach is not None:
            return "reach"
        return None
    return None if platform.lower() in NO_VIEW_COUNTS else "impressions"


# ---------------------------------------------------------------------------
# Business hours
# ---------------------------------------------------------------------------


def _local_instants(days: pd.DatetimeIndex, at: time, tz: ZoneInfo) -> pd.DatetimeIndex:
    """``day + at`` in ``tz`` as UTC; a time skipped by DST moves forward, a repeated one is the first."""
    naive = days + pd.Timedelta(hours=at.hour, minutes=at.minute, seconds=at.second)
    return naive.tz_localize(tz, ambiguous=np.ones(len(naive), dtype=bool), nonexistent="shift_forward")


def business_hours_minutes(
    start: pd.Series | pd.DatetimeIndex,
    end: pd.Series | pd.DatetimeIndex,
    opening_hours: OpeningHours,
    tz: str | ZoneInfo,
) -> np.ndarray:
    """Minutes of ``[start, end]`` that fall within opening hours, per pair of instants.

    Opening hours are local times in ``tz`` on the given weekdays (0 = Monday);
    an ``end`` at or before ``start`` (e.g. 22:00-06:00) closes on the next day.
    A pair with ``end <= start`` or a missing instant gives NaN when missing, 0
    otherwise. Vectorised over the pairs, looping over the local days spanned.
    """
    zone = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
    s = pd.DatetimeIndex(pd.to_datetime(start, utc=True)).as_unit("us")
    e = pd.DatetimeIndex(pd.to_datetime(end, utc=True)).as_unit("us")
    result = np.zeros(len(s), dtype="float64")
    valid: np.ndarray = ~(np.asarray(s.isna()) | np.asarray(e.isna()))
    result[~valid] = np.nan
    todo = np.flatnonzero(valid & (e > s))
    if len(todo) == 0 or not opening_hours.days:
        return result
    overnight = opening_hours.end <= opening_hours.start
    # A window opening on the day before the start may still be open (overnight hours).
    first_day = s[todo].tz_convert(zone).tz_localize(None).normalize() - pd.Timedelta(days=1)
    last_day = e[todo].tz_convert(zone).tz_localize(None).normalize()
    span = ((last_day - first_day) // pd.Timedelta(days=1)).to_numpy()
    s_us = s[todo].asi8
    e_us = e[todo].asi8
    open_days = np.zeros(7, dtype=bool)
    open_days[list(opening_hours.days)] = True
    for k in range(int(span.max()) + 1):
        alive = span >= k
        if not alive.any():
            break
        idx = np.flatnonzero(alive)
        day = first_day[idx] + pd.Timedelta(days=k)
        is_open = open_days[day.day_of_week]
        if not is_open.any():
            continue
        idx, day = idx[is_open], day[is_open]
        opens = _local_instants(day, opening_hours.start, zone).asi8
        close_day = day + pd.Timedelta(days=1) if overnight else day
        closes = _local_instants(close_day, opening_hours.end, zone).asi8
        overlap = np.minimum(e_us[idx], closes) - np.maximum(s_us[idx], opens)
        result[todo[idx]] += np.maximum(overlap, 0) / 60_000_000
    return result


def business_hours_response_minutes(
    tables: Tables, period: Period, opening_hours: OpeningHours
) -> pd.DataFrame:
    """Responded inbound messages of ``period`` with ``business_minutes`` to their first reply."""
    responses = first_responses(tables.messages, period)
    responded = responses[responses["first_reply_at"].notna()].copy()
    responded["business_minutes"] = business_hours_minutes(
        responded["created_at"], responded["first_reply_at"], opening_hours, period.tz
    )
    return responded


def business_hours_first_response(
    tables: Tables, period: Period, opening_hours: OpeningHours
) -> tuple[float | None, float | None]:
    """Median and 90th percentile of first response time counted in opening hours only (minutes)."""
    minutes = business_hours_response_minutes(tables, period, opening_hours)["business_minutes"]
    if minutes.empty:
        return None, None
    median, p90 = np.percentile(minutes.to_numpy(dtype="float64"), [50, 90])
    return float(median), float(p90)


# ---------------------------------------------------------------------------
# Top posts, unanswered messages
# ---------------------------------------------------------------------------


def top_posts(tables: Tables, period: Period, n: int = 5) -> pd.DataFrame:
    """The ``n`` posts of ``period`` with the most engagements.

    Ties go to the earlier post, then by platform and id, so the order is
    reproducible. Adds ``engagements``, ``engagement_rate`` (by impressions,
    NaN when the post has none) and ``engagement_rate_by_reach``.
    """
    posts = posts_in_period(tables.posts, period).copy()
    posts["engagements"] = engagements_of(posts)
    impressions = posts["impressions"].astype("Float64")
    reach = posts["reach"].astype("Float64")
    engagements = posts["engagements"].astype("Float64")
    posts["engagement_rate"] = (engagements / impressions.where(impressions > 0)).astype("float64")
    posts["engagement_rate_by_reach"] = (engagements / reach.where(reach > 0)).astype("float64")
    ordered = posts.sort_values(
        ["engagements", "created_at", "platform", "post_id"],
        ascending=[False, True, True, True],
        kind="stable",
    )
    return ordered.head(n).reset_index(drop=True)


def unanswered(tables: Tables, period: Period) -> pd.DataFrame:
    """Inbound messages of ``period`` that no brand message on the same platform replies to (ever)."""
    responses = first_responses(tables.messages, period)
    left = responses[responses["first_reply_at"].isna()]
    return left.drop(columns=["first_reply_at", "response_minutes"]).reset_index(drop=True)


__all__ = [
    "NO_VIEW_COUNTS",
    "Denominator",
    "business_hours_first_response",
    "business_hours_minutes",
    "business_hours_response_minutes",
    "engagement_denominator",
    "top_posts",
    "unanswered",
]
