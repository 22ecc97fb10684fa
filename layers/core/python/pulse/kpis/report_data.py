"""One month's data for a report, computed once.

:func:`build_report_data` links replies to messages once (one :func:`prepare`
over the month and the month before) and derives from the same arrays every
number a report shows beside the KPIs: daily and per-platform series, weekly
net sentiment, response-time buckets, business-hours medians, top posts and the
ranked follow-up list. The view model only arranges them.

Local days and weeks are found by binary search over the UTC instants of the
period's local midnights (DST included), not by converting every message's time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow.compute as pc

from pulse.config import OpeningHours
from pulse.kpis.core import (
    MICROS_PER_MINUTE,
    NO_REPLY,
    Kpis,
    KpiSet,
    Prepared,
    _strings,
    engagements_of,
    kpi_set_of,
    micros,
    posts_in_period,
    prepare,
)
from pulse.kpis.extras import business_hours_minutes, top_posts
from pulse.period import Period
from pulse.tables import Tables

I64 = npt.NDArray[np.int64]

#: First-response-time buckets: (upper bound in minutes, label).
RESPONSE_BUCKETS: tuple[tuple[float, str], ...] = (
    (15, "< 15 min"),
    (60, "15–60 min"),
    (240, "1–4 h"),
    (1440, "4–24 h"),
    (float("inf"), "> 24 h"),
)

#: Rows of the follow-up list a report shows; the rest are counted.
FOLLOW_UP_ROWS = 15

#: Follow-up tiers, in order: complaints, then questions waiting for an answer, then
#: neutral or unlabelled messages, then positive ones.
FOLLOW_UP_TIERS = ("negative", "question", "neutral", "positive")
_QUESTION = r"[?？¿؟]"


def response_buckets(minutes: pd.Series | npt.NDArray[np.float64]) -> dict[str, int]:
    """Number of response times (minutes) per :data:`RESPONSE_BUCKETS` bucket."""
    values = np.asarray(minutes, dtype="float64")
    buckets: dict[str, int] = {}
    lower = float("-inf")
    for upper, label in RESPONSE_BUCKETS:
        buckets[label] = int(((values >= lower) & (values < upper)).sum())
        lower = upper
    return buckets


@dataclass(frozen=True)
class ReportData:
    """What one brand-month's report shows, computed once from its tables.

    Attributes
    ----------
    kpi_set
        The KPIs of the month and of the month before, overall and per platform.
    daily
        One row per local day: ``posts``, ``impressions``, ``engagements``,
        ``inbound``, ``responded``, ``followers`` (see :func:`daily_series`).
    followers_by_platform
        Per platform with follower snapshots: its ``followers`` column of ``daily``.
    weekly_net_sentiment
        Net sentiment of the month's labelled inbound messages per week (index: the
        week's first local day, Monday, or the 1st for the first week); NaN for a
        week with neutral messages only. Weeks without labelled messages are absent.
    response_buckets, business_response_buckets
        Answered messages of the month per :data:`RESPONSE_BUCKETS` bucket, in
        elapsed time and counting opening hours only.
    business_first_response, previous_business_first_response
        Median first response counted in opening hours only (minutes), this month
        and the month before; None without answered messages.
    top_posts
        The month's 5 posts with the most engagements (see :func:`top_posts`).
    follow_up
        The first :data:`FOLLOW_UP_ROWS` unanswered inbound messages of the month,
        ranked (see :func:`follow_up_order`), with ``tier`` added.
    unanswered_count
        How many inbound messages of the month have no reply.
    """

    period: Period
    kpi_set: KpiSet
    daily: pd.DataFrame
    followers_by_platform: dict[str, pd.Series]
    weekly_net_sentiment: pd.Series
    response_buckets: dict[str, int]
    business_response_buckets: dict[str, int]
    business_first_response: float | None
    previous_business_first_response: float | None
    top_posts: pd.DataFrame
    follow_up: pd.DataFrame
    unanswered_count: int
    platforms: list[str] = field(default_factory=list)

    @property
    def kpis(self) -> Kpis:
        return self.kpi_set.kpis

    @property
    def previous(self) -> Kpis:
        return self.kpi_set.previous


# ---------------------------------------------------------------------------
# Local days and weeks
# ---------------------------------------------------------------------------


def local_days(period: Period) -> pd.DatetimeIndex:
    """The period's local dates (naive midnights), as a daily index."""
    return pd.DatetimeIndex(pd.date_range(period.first_day, period.last_day, freq="D"), name="date")


def _day_starts(period: Period) -> I64:
    """UTC microseconds of each local midnight of the period and of the period's end.

    A midnight skipped by DST starts the day at the first existing instant; a
    repeated one at its first occurrence.
    """
    days = pd.date_range(period.first_day, period.last_day + timedelta(days=1), freq="D")
    starts = days.tz_localize(
        period.tz, ambiguous=np.ones(len(days), dtype=bool), nonexistent="shift_forward"
    )
    return np.asarray(starts.tz_convert("UTC").as_unit("us").asi8, dtype=np.int64)


def day_index(created: I64, period: Period) -> I64:
    """For each instant (UTC microseconds, inside the period): its local day, 0 for the 1st."""
    index: I64 = np.searchsorted(_day_starts(period), created, side="right") - 1
    return index


def week_starts(period: Period) -> list[date]:
    """For each local day of the period: the first day of its week (Monday), not before the 1st."""
    first = period.first_day
    return [max(d - timedelta(days=d.weekday()), first) for d in local_days(period).date]


# ---------------------------------------------------------------------------
# Series
# ---------------------------------------------------------------------------


def daily_followers(followers: pd.DataFrame, days: pd.DatetimeIndex) -> pd.Series:
    """Sum over accounts of each account's last snapshot dated on or before each day (NA before any)."""
    followers = followers[followers["date"] <= days[-1]]
    if followers.empty:
        return pd.Series(pd.array([pd.NA] * len(days), dtype="Int64"), index=days, name="followers")
    wide = (
        followers.sort_values("date", kind="stable")
        .pivot_table(index="date", columns=["platform", "account"], values="followers", aggfunc="last")
        .sort_index()
    )
    known = wide.reindex(wide.index.union(days)).ffill().reindex(days)
    total = known.sum(axis=1, min_count=1)
    return total.round().astype("Int64").rename("followers")


def _daily(tables: Tables, prepared: Prepared, period: Period) -> pd.DataFrame:
    days = local_days(period)
    n = len(days)
    out = pd.DataFrame(index=days)
    posts = posts_in_period(tables.posts, period)
    post_day = day_index(_micros(posts["created_at"]), period)
    out["posts"] = np.bincount(post_day, minlength=n).astype("int64")
    impressions = pd.Series(posts["impressions"].astype("Int64").to_numpy(), dtype="Int64")
    out["impressions"] = (
        impressions.groupby(post_day).sum(min_count=1).reindex(range(n)).astype("Int64").to_numpy()
    )
    engagements = np.zeros(n, dtype=np.int64)
    np.add.at(engagements, post_day, engagements_of(posts).to_numpy(dtype=np.int64))
    out["engagements"] = engagements

    m = prepared.inbound
    start, end = micros(period.start), micros(period.end)
    inside = (m.created >= start) & (m.created < end)
    message_day = day_index(m.created[inside], period)
    answered = m.first_reply[inside] != NO_REPLY
    out["inbound"] = np.bincount(message_day, minlength=n).astype("int64")
    out["responded"] = np.bincount(message_day[answered], minlength=n).astype("int64")
    out["followers"] = daily_followers(tables.followers, days)
    return out


def daily_series(tables: Tables, period: Period) -> pd.DataFrame:
    """One row per local day of ``period`` for charts.

    Columns: ``posts``, ``impressions`` (sum of known values, NA when none),
    ``engagements``, ``inbound`` (messages not from the brand created that
    day), ``responded`` (of those, the ones that got a reply, whenever), and
    ``followers`` (sum over accounts of each account's last snapshot dated on
    or before that day; NA before any account has one). Indexed by local date.
    """
    return _daily(tables, prepare(tables, window=(period.start, period.end)), period)


def _micros(times: pd.Series) -> I64:
    if len(times) == 0:
        return np.empty(0, dtype=np.int64)
    return np.asarray(pd.DatetimeIndex(times).as_unit("us").asi8, dtype=np.int64)


def _weekly_net_sentiment(prepared: Prepared, period: Period) -> pd.Series:
    m = prepared.inbound
    start, end = micros(period.start), micros(period.end)
    labelled = (m.created >= start) & (m.created < end) & (m.sentiment > 0)
    weeks = week_starts(period)
    keys = sorted(set(weeks))
    week_of_day = np.array([keys.index(w) for w in weeks], dtype=np.int64)
    week = week_of_day[day_index(m.created[labelled], period)]
    counts = np.bincount(week * 4 + m.sentiment[labelled], minlength=4 * len(keys)).reshape(-1, 4)
    present = counts[:, 1:].sum(axis=1) > 0
    negative, positive = counts[:, 1].astype("float64"), counts[:, 3].astype("float64")
    polar = positive + negative
    with np.errstate(invalid="ignore", divide="ignore"):
        net = np.where(polar > 0, (positive - negative) / np.where(polar > 0, polar, 1), np.nan)
    index = pd.DatetimeIndex([pd.Timestamp(k) for k, p in zip(keys, present, strict=True) if p], name="week")
    return pd.Series(net[present], index=index, name="net_sentiment", dtype="float64")


# ---------------------------------------------------------------------------
# Response times
# ---------------------------------------------------------------------------


def _answered(prepared: Prepared, period: Period) -> tuple[I64, I64]:
    """(created, first reply) of the period's answered inbound messages, UTC microseconds."""
    m = prepared.inbound
    start, end = micros(period.start), micros(period.end)
    keep = (m.created >= start) & (m.created < end) & (m.first_reply != NO_REPLY)
    return m.created[keep], m.first_reply[keep]


def _business_minutes(
    created: I64, replied: I64, hours: OpeningHours, period: Period
) -> npt.NDArray[np.float64]:
    start = pd.DatetimeIndex(created.astype("datetime64[us]")).tz_localize("UTC")
    end = pd.DatetimeIndex(replied.astype("datetime64[us]")).tz_localize("UTC")
    minutes: npt.NDArray[np.float64] = business_hours_minutes(start, end, hours, period.tz)
    return minutes


def _median(values: npt.NDArray[np.float64]) -> float | None:
    return float(np.percentile(values, 50)) if len(values) else None


# ---------------------------------------------------------------------------
# Follow-up list
# ---------------------------------------------------------------------------


def follow_up_order(
    sentiment: npt.NDArray[np.int8],
    score: npt.NDArray[np.float64],
    created: I64,
    question: npt.NDArray[np.bool_],
) -> tuple[I64, npt.NDArray[np.int8]]:
    """The order in which unanswered messages need attention, and each message's tier.

    Tiers (:data:`FOLLOW_UP_TIERS`): complaints (negative) first, then questions
    (a non-negative message with a question mark), then neutral or unlabelled
    messages, then positive ones. Within a tier the most negative score comes
    first (a missing score counts as 0), then the oldest message.

    ``sentiment`` holds codes 0 unlabelled, 1 negative, 2 neutral, 3 positive.
    """
    tier = np.select([sentiment == 1, question, sentiment == 3], [0, 1, 3], default=2).astype(np.int8)
    order: I64 = np.lexsort((created, np.nan_to_num(score, nan=0.0), tier))
    return order, tier


def _follow_up(tables: Tables, prepared: Prepared, period: Period, rows: int) -> tuple[pd.DataFrame, int]:
    m = prepared.inbound
    start, end = micros(period.start), micros(period.end)
    open_ = np.flatnonzero((m.created >= start) & (m.created < end) & (m.first_reply == NO_REPLY))
    messages = tables.messages
    frame_rows = m.rows[open_]
    texts = _strings(messages["text"]).take(frame_rows) if len(frame_rows) else None
    question = (
        pc.fill_null(pc.match_substring_regex(texts, _QUESTION), False).to_numpy(zero_copy_only=False)
        if texts is not None
        else np.zeros(0, dtype=bool)
    )
    score_column = (
        messages["sentiment_score"] if "sentiment_score" in messages else pd.Series(dtype="float64")
    )
    all_scores = pd.to_numeric(score_column).astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
    scores = np.asarray(all_scores[frame_rows] if len(frame_rows) else [], dtype=np.float64)
    order, tier = follow_up_order(m.sentiment[open_], scores, m.created[open_], question)
    top = order[:rows]
    shown = messages.iloc[frame_rows[top]].reset_index(drop=True)
    shown["tier"] = [FOLLOW_UP_TIERS[t] for t in tier[top]]
    return shown, len(open_)


# ---------------------------------------------------------------------------
# The month's data
# ---------------------------------------------------------------------------


def build_report_data(
    tables: Tables,
    period: Period,
    *,
    platforms: list[str] | None = None,
    opening_hours: OpeningHours | None = None,
    follow_up_rows: int = FOLLOW_UP_ROWS,
) -> ReportData:
    """Everything a report of ``period`` shows, from one linking of replies over it and the month before."""
    previous = period.previous()
    prepared = prepare(tables, window=(previous.start, period.end))
    kpi_set = kpi_set_of(prepared, period, platforms)
    daily = _daily(tables, prepared, period)

    days = local_days(period)
    followers_by_platform = {}
    for platform in kpi_set.by_platform:
        own = tables.followers[tables.followers["platform"] == platform]
        if not own.empty:
            followers_by_platform[platform] = daily_followers(own, days)

    created, replied = _answered(prepared, period)
    elapsed = (replied - created) / MICROS_PER_MINUTE
    hours = opening_hours or OpeningHours()
    business = _business_minutes(created, replied, hours, period)
    previous_created, previous_replied = _answered(prepared, previous)
    previous_business = _business_minutes(previous_created, previous_replied, hours, previous)

    follow_up, unanswered_count = _follow_up(tables, prepared, period, follow_up_rows)
    return ReportData(
        period=period,
        kpi_set=kpi_set,
        daily=daily,
        followers_by_platform=followers_by_platform,
        weekly_net_sentiment=_weekly_net_sentiment(prepared, period),
        response_buckets=response_buckets(elapsed),
        business_response_buckets=response_buckets(business),
        business_first_response=_median(business),
        previous_business_first_response=_median(previous_business),
        top_posts=top_posts(tables, period, n=5),
        follow_up=follow_up,
        unanswered_count=unanswered_count,
        platforms=list(kpi_set.by_platform),
    )
