"""Example-based edge cases of docs/kpis.md and the report helpers."""

from __future__ import annotations

import pandas as pd
import pytest

from pulse.config import OpeningHours
from pulse.kpis import (
    business_hours_minutes,
    compute_kpi_set,
    compute_kpis,
    daily_series,
    engagement_denominator,
    top_posts,
    unanswered,
)
from pulse.period import Month
from pulse.tables import Tables, normalize

PARIS = Month(2026, 3).period("Europe/Paris")


def msg(
    pid: str, at: str, brand: bool = False, reply_to: str | None = None, platform: str = "x", **kw: object
) -> dict[str, object]:
    return {
        "platform": platform,
        "account": "a",
        "message_id": pid,
        "created_at": at,
        "from_brand": brand,
        "in_reply_to": reply_to,
        **kw,
    }


def tables(
    posts: list[dict[str, object]] = (),
    messages: list[dict[str, object]] = (),
    followers: list[dict[str, object]] = (),
) -> Tables:  # type: ignore[assignment]
    def frame(name: str, rows: list[dict[str, object]], cols: tuple[str, ...]) -> pd.DataFrame:
        return normalize(name, pd.DataFrame(list(rows)) if rows else pd.DataFrame({c: [] for c in cols}))  # type: ignore[arg-type]

    return Tables(
        posts=frame("posts", posts, ("platform", "account", "post_id", "created_at")),
        messages=frame(
            "messages", messages, ("platform", "account", "message_id", "created_at", "from_brand")
        ),
        followers=frame("followers", followers, ("platform", "account", "date", "followers")),
    )


def test_local_midnight_on_the_first_decides_the_month() -> None:
    # 2026-03-01 00:00 in Paris is 2026-02-28 23:00 UTC.
    t = tables(
        messages=[
            msg("1", "2026-02-28T22:59:59.999999Z"),
            msg("2", "2026-02-28T23:00:00Z"),
            msg("3", "2026-03-31T21:59:59Z"),
            msg("4", "2026-03-31T22:00:00Z"),
        ]
    )
    k = compute_kpis(t, PARIS)
    assert k.inbound_messages == 2  # 2 and 3; the month ends at 00:00 CEST (22:00 UTC) after the DST change


def test_replies_after_the_month_several_replies_and_the_same_id_elsewhere() -> None:
    t = tables(
        messages=[
            msg("1", "2026-03-31T20:00:00Z"),
            msg("r1", "2026-04-02T20:00:00Z", brand=True, reply_to="1"),  # after the month: counts
            msg("r2", "2026-03-31T21:00:00Z", brand=True, reply_to="1"),  # the earliest reply
            msg("1", "2026-03-10T10:00:00Z", platform="instagram"),  # same id, other platform: unanswered
            msg("c1", "2026-03-31T21:30:00Z", reply_to="r2"),  # customer answers back: inbound, unanswered
        ]
    )
    k = compute_kpis(t, PARIS)
    assert (k.inbound_messages, k.responded_messages, k.response_rate) == (3, 1, pytest.approx(1 / 3))
    assert k.first_response_time_median_minutes == 60.0
    assert list(unanswered(t, PARIS)["message_id"]) == ["1", "c1"]


def test_rates_and_nulls() -> None:
    base = {"platform": "x", "account": "a", "created_at": "2026-03-05T10:00:00Z", "likes": 5}
    t = tables(
        posts=[
            {**base, "post_id": "1", "impressions": 100, "reach": None},
            {**base, "post_id": "2", "impressions": 0, "reach": 50},
            {**base, "post_id": "3", "impressions": None, "reach": None, "platform": "mastodon"},
        ]
    )
    k = compute_kpis(t, PARIS)
    assert (k.posts, k.impressions, k.reach, k.engagements) == (3, 100, 50, 15)
    assert k.engagement_rate == 5 / 100 and k.engagement_rate_by_reach == 5 / 50
    assert k.response_rate is None and k.first_response_time_median_minutes is None
    assert k.sentiment.net is None and k.followers_start is None
    per = compute_kpi_set(t, PARIS).by_platform
    assert per["mastodon"].engagement_rate is None and per["mastodon"].engagement_rate_by_reach is None
    assert engagement_denominator("mastodon") is None and engagement_denominator("x") == "impressions"
    assert engagement_denominator("mastodon", per["mastodon"]) is None
    assert engagement_denominator("x", per["x"]) == "impressions"


def test_followers_start_before_the_month_and_accounts_starting_mid_month() -> None:
    t = tables(
        followers=[
            {"platform": "x", "account": "a", "date": "2026-02-20", "followers": 100},
            {"platform": "x", "account": "a", "date": "2026-03-15", "followers": 130},
            {"platform": "x", "account": "b", "date": "2026-03-10", "followers": 10},  # starts mid-month
            {"platform": "x", "account": "b", "date": "2026-03-31", "followers": 20},
            {
                "platform": "x",
                "account": "c",
                "date": "2026-02-10",
                "followers": 999,
            },  # nothing inside: left out
        ]
    )
    k = compute_kpis(t, PARIS)
    assert (k.followers_start, k.followers_end, k.follower_growth) == (110, 150, 40)
    assert k.follower_growth_rate == pytest.approx(40 / 110)
    daily = daily_series(t, PARIS)
    assert daily.loc["2026-03-01", "followers"] == 100 + 999
    assert daily.loc["2026-03-31", "followers"] == 130 + 20 + 999


def test_growth_rate_null_when_start_is_zero() -> None:
    t = tables(
        followers=[
            {"platform": "x", "account": "a", "date": "2026-03-01", "followers": 0},
            {"platform": "x", "account": "a", "date": "2026-03-02", "followers": 5},
        ]
    )
    k = compute_kpis(t, PARIS)
    assert (k.follower_growth, k.follower_growth_rate) == (5, None)


def test_sentiment_counts_inbound_only() -> None:
    t = tables(
        messages=[
            msg("1", "2026-03-02T00:00:00Z", sentiment="positive"),
            msg("2", "2026-03-02T00:00:00Z", sentiment="negative"),
            msg("3", "2026-03-02T00:00:00Z", sentiment="positive"),
            msg("4", "2026-03-02T00:00:00Z", brand=True, sentiment="negative"),
            msg("5", "2026-03-02T00:00:00Z"),
        ]
    )
    s = compute_kpis(t, PARIS).sentiment
    assert (s.positive, s.neutral, s.negative, s.net) == (2, 0, 1, pytest.approx(1 / 3))


def test_business_hours_overlap_across_nights_weekends_and_dst() -> None:
    hours = OpeningHours(days=[0, 1, 2, 3, 4], start="09:00", end="18:00")
    start = pd.Series(
        pd.to_datetime(
            ["2026-03-27T16:00:00+01:00", "2026-03-30T08:00:00+02:00", "2026-03-28T10:00:00+01:00"], utc=True
        )
    )
    end = pd.Series(
        pd.to_datetime(
            ["2026-03-30T10:00:00+02:00", "2026-03-30T09:30:00+02:00", "2026-03-28T12:00:00+01:00"], utc=True
        )
    )
    # Friday 16:00-18:00 (120) + Monday 09:00-10:00 (60) across the DST weekend; Monday 09:00-09:30; Saturday: 0.
    assert list(business_hours_minutes(start, end, hours, "Europe/Paris")) == [180.0, 30.0, 0.0]


def test_top_posts_order_is_reproducible() -> None:
    base = {"platform": "x", "account": "a", "impressions": 10}
    t = tables(
        posts=[
            {**base, "post_id": "1", "created_at": "2026-03-02T00:00:00Z", "likes": 3},
            {**base, "post_id": "2", "created_at": "2026-03-01T00:00:00Z", "likes": 3},
            {**base, "post_id": "3", "created_at": "2026-03-03T00:00:00Z", "likes": 9},
        ]
    )
    top = top_posts(t, PARIS, n=2)
    assert list(top["post_id"]) == ["3", "2"] and top["engagement_rate"].iloc[0] == 0.9


def test_daily_series_uses_local_dates() -> None:
    t = tables(
        messages=[
            msg("1", "2026-02-28T23:30:00Z"),
            msg("r", "2026-03-01T08:00:00Z", brand=True, reply_to="1"),
        ]
    )
    daily = daily_series(t, PARIS)
    assert (
        len(daily) == 31
        and daily.loc["2026-03-01", "inbound"] == 1
        and daily.loc["2026-03-01", "responded"] == 1
    )


def _youtube(subscribers: dict[str, int], days: dict[str, tuple[int | None, int | None]]) -> Tables:
    followers = [
        {"platform": "youtube", "account": "UC1", "date": d, "followers": n} for d, n in subscribers.items()
    ]
    account_daily = [
        {"platform": "youtube", "account": "UC1", "date": d, "followers_gained": g, "followers_lost": lo,
         "views": 100, "reach": None}
        for d, (g, lo) in days.items()
    ]  # fmt: skip
    return Tables(
        followers=normalize("followers", pd.DataFrame(followers)),
        account_daily=normalize(
            "account_daily",
            pd.DataFrame(account_daily)
            if account_daily
            else pd.DataFrame(columns=["platform", "account", "date"]),
        ),
    )


def test_youtube_follower_growth_uses_analytics_gains_and_losses_not_the_rounded_count() -> None:
    # The public count moves by 1,000 (12,000 -> 13,000: rounded to 3 significant figures) while
    # Analytics counts +31 gained, -0 lost every day of March: the growth is the exact 31 * 31 - 0 = 961.
    march = {f"2026-03-{d:02d}": (31, 0) for d in range(1, 32)}
    tables = _youtube({"2026-02-28": 12000, "2026-03-31": 13000}, march)
    kpis = compute_kpis(tables, PARIS)
    assert kpis.follower_growth == 961 and not kpis.follower_growth_rounded
    assert (kpis.followers_gained, kpis.followers_lost) == (961, 0)
    assert (kpis.followers_start, kpis.followers_end) == (12000, 13000)  # the counts stay the snapshots
    assert kpis.account_views == 3100 and kpis.account_reach_daily_average is None


def test_youtube_growth_from_the_public_count_is_flagged_rounded() -> None:
    # Analytics lags 2-3 days: the month is not covered, the growth rests on the rounded count
    march = {f"2026-03-{d:02d}": (31, 0) for d in range(1, 29)}
    kpis = compute_kpis(_youtube({"2026-02-28": 12000, "2026-03-31": 13000}, march), PARIS)
    assert kpis.follower_growth == 1000 and kpis.follower_growth_rounded
    assert kpis.followers_gained == 28 * 31  # what is known is still shown as follows
    no_analytics = compute_kpis(_youtube({"2026-02-28": 12000, "2026-03-31": 13000}, {}), PARIS)
    assert no_analytics.follower_growth == 1000 and no_analytics.follower_growth_rounded
    assert no_analytics.followers_gained is None  # unknown, not 0
