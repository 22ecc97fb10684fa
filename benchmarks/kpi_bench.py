"""Benchmark: our KPIs (pandas/NumPy/Arrow) beside DuckDB computing the same definitions in SQL.

Generates one brand-month (default 100,000 posts and 10 million messages, plus
the month before, on six platforms, with ids repeated across platforms, several
replies per message, replies after the month's end, customers answering the
brand back, missing metrics and an account starting mid-month), times
``compute_kpi_set`` and one DuckDB query over the same data in the same run,
and checks that every KPI agrees (overall, per platform, and the month before).

    .venv/bin/python -m benchmarks.kpi_bench [--posts N] [--messages N] [--repeat N]
"""

from __future__ import annotations

import argparse
import math
import os
import time
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pulse.kpis import KPI_FIELDS, compute_kpi_set
from pulse.period import Month, Period
from pulse.tables import Tables

PLATFORMS = np.array(["x", "facebook", "instagram", "linkedin", "mastodon", "bluesky"])
PLATFORM_WEIGHTS = np.array([0.30, 0.25, 0.25, 0.08, 0.07, 0.05])
NO_IMPRESSIONS = {"mastodon", "bluesky"}
MONTH = Month(2026, 3)  # the month of the spring DST change in Europe
TZ = "Europe/Paris"
US = 1_000_000


def _str(values: pa.Array) -> pd.Series:
    return pd.Series(pd.arrays.ArrowStringArray(pc.cast(values, pa.large_string())))


def _ids(platform: np.ndarray, n_platforms: int, base: int) -> pd.Series:
    """Per-platform counters as 18-digit strings: the same id appears on several platforms."""
    order = np.argsort(platform, kind="stable")
    counts = np.bincount(platform, minlength=n_platforms)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    local = np.empty(len(platform), dtype=np.int64)
    local[order] = np.arange(len(platform)) - starts[platform[order]]
    return _str(pa.array(local + base))


def _times(micros: np.ndarray) -> pd.Series:
    return pd.Series(pd.to_datetime(micros, unit="us", utc=True)).astype("datetime64[us, UTC]")


def generate(n_posts: int, n_messages: int, seed: int = 7) -> tuple[Tables, Period]:
    rng = np.random.default_rng(seed)
    period = MONTH.period(TZ)
    previous = period.previous()
    start, end = previous.start.value // 1000, period.end.value // 1000
    month_start = period.start.value // 1000
    n_plat = len(PLATFORMS)

    # Posts: 85% in the month, the rest in the month before.
    p_code = rng.choice(n_plat, n_posts, p=PLATFORM_WEIGHTS)
    in_month = rng.random(n_posts) < 0.85
    p_time = np.where(
        in_month, rng.integers(month_start, end, n_posts), rng.integers(start, month_start, n_posts)
    )
    impressions = rng.integers(0, 50_000, n_posts).astype("float64")
    no_impr = np.isin(PLATFORMS[p_code], list(NO_IMPRESSIONS)) | (rng.random(n_posts) < 0.05)
    impressions[no_impr] = np.nan
    reach = np.floor(impressions * rng.uniform(0.3, 0.9, n_posts))
    reach[rng.random(n_posts) < 0.2] = np.nan
    posts = pd.DataFrame(
        {
            "platform": _str(pa.array(PLATFORMS[p_code])),
            "account": _str(pa.array(np.char.add(PLATFORMS[p_code], "-main"))),
            "post_id": _ids(p_code, n_plat, 10**17),
            "created_at": _times(p_time),
            "text": _str(
                pa.array(np.array(["New collection 🎉 <b>now</b>, in store", 'Tips, "quoted"'])[p_code % 2])
            ),
            "impressions": pd.array(impressions, dtype="Float64").astype("Int64"),
            "reach": pd.array(reach, dtype="Float64").astype("Int64"),
        }
    )
    for name, high in (("likes", 500), ("comments", 50), ("shares", 30), ("saves", 20), ("clicks", 200)):
        posts[name] = pd.array(rng.integers(0, high, n_posts), dtype="Int64")

    # Messages: inbound (65%), brand replies (30%, several per message, some after the month's end),
    # customers answering the brand back (5%).
    n_in = int(n_messages * 0.65)
    n_rep = int(n_messages * 0.30)
    n_back = n_messages - n_in - n_rep
    in_code = rng.choice(n_plat, n_in, p=PLATFORM_WEIGHTS)
    in_time = np.where(
        rng.random(n_in) < 0.9, rng.integers(month_start, end, n_in), rng.integers(start, month_start, n_in)
    )
    target = rng.integers(0, n_in, n_rep)
    delay = (rng.exponential(3 * 3600, n_rep) * US).astype(np.int64)
    rep_code, rep_time = in_code[target], in_time[target] + delay
    back_target = rng.integers(0, n_rep, n_back)
    back_code = rep_code[back_target]
    back_time = rep_time[back_target] + (rng.exponential(3600, n_back) * US).astype(np.int64)
    code = np.concatenate([in_code, rep_code, back_code])
    times = np.concatenate([in_time, rep_time, back_time])
    from_brand = np.concatenate([np.zeros(n_in, bool), np.ones(n_rep, bool), np.zeros(n_back, bool)])
    ids = _ids(code, n_plat, 10**17)
    id_array = pa.array(ids)
    reply_to = pa.concat_arrays(
        [
            pa.nulls(n_in, pa.large_string()),
            id_array.take(pa.array(target)),
            id_array.take(pa.array(n_in + back_target)),
        ]
    )
    labels = np.array(["negative", "neutral", "positive"])[rng.integers(0, 3, n_messages)]
    sentiment = pa.array(labels, mask=from_brand | (rng.random(n_messages) < 0.3))
    shuffle = rng.permutation(n_messages)
    messages = pd.DataFrame(
        {
            "platform": _str(pa.array(PLATFORMS[code])).take(shuffle),
            "account": _str(pa.array(np.char.add(PLATFORMS[code], "-main"))).take(shuffle),
            "message_id": ids.take(shuffle),
            "created_at": _times(times).take(shuffle),
            "author": _str(pa.array(np.where(from_brand, "brand", "customer"))).take(shuffle),
            "from_brand": pd.array(from_brand, dtype="boolean").take(shuffle),
            "in_reply_to": _str(reply_to).take(shuffle),
            "text": _str(pa.array(np.where(from_brand, "Thanks, DM us 🙏", 'Where, is "my" order?'))).take(
                shuffle
            ),
            "sentiment": _str(sentiment).take(shuffle),
        }
    ).reset_index(drop=True)
    messages["sentiment_score"] = pd.array([None] * n_messages, dtype="Float64")

    # Followers: one account per platform with daily snapshots; bluesky starts mid-month.
    days = pd.date_range(previous.first_day, period.last_day, freq="D")
    rows = []
    for i, platform in enumerate(PLATFORMS):
        span = (
            days[days >= pd.Timestamp(period.first_day) + pd.Timedelta(days=14)]
            if platform == "bluesky"
            else days
        )
        counts = 10_000 * (i + 1) + np.cumsum(rng.integers(-20, 60, len(span)))
        rows.append(
            pd.DataFrame(
                {"platform": platform, "account": f"{platform}-main", "date": span, "followers": counts}
            )
        )
    followers = pd.concat(rows, ignore_index=True).astype(
        {"platform": "string", "account": "string", "date": "datetime64[us]", "followers": "Int64"}
    )
    return Tables(posts=posts, messages=messages, followers=followers), period


SQL = """
WITH periods(name, s, e, d0, d1) AS (VALUES
    ('current', $cs::TIMESTAMPTZ, $ce::TIMESTAMPTZ, $cd0::DATE, $cd1::DATE),
    ('previous', $ps::TIMESTAMPTZ, $pe::TIMESTAMPTZ, $pd0::DATE, $pd1::DATE)),
pp AS (
    SELECT *, coalesce(likes, 0) + coalesce(comments, 0) + coalesce(shares, 0)
              + coalesce(saves, 0) + coalesce(clicks, 0) AS eng
    FROM posts),
pk AS (
    SELECT pr.name, platform, count(*) AS posts, sum(impressions) AS impressions, sum(reach) AS reach,
           sum(eng) AS engagements,
           sum(eng) FILTER (WHERE impressions > 0) AS rate_num,
           sum(impressions) FILTER (WHERE impressions > 0) AS rate_den,
           sum(eng) FILTER (WHERE reach > 0) AS reach_num,
           sum(reach) FILTER (WHERE reach > 0) AS reach_den
    FROM pp JOIN periods pr ON pp.created_at >= pr.s AND pp.created_at < pr.e
    GROUP BY GROUPING SETS ((pr.name), (pr.name, platform))),
fr AS (
    SELECT platform, in_reply_to AS id, min(created_at) AS first_at
    FROM messages WHERE from_brand AND in_reply_to IS NOT NULL GROUP BY ALL),
inb AS (
    SELECT pr.name, m.platform, m.sentiment,
           (epoch_us(fr.first_at) - epoch_us(m.created_at)) / 60000000.0 AS minutes
    FROM messages m
    JOIN periods pr ON m.created_at >= pr.s AND m.created_at < pr.e
    LEFT JOIN fr ON fr.platform = m.platform AND fr.id = m.message_id
    WHERE NOT m.from_brand),
mk AS (
    SELECT name, platform, count(*) AS inbound, count(minutes) AS responded,
           quantile_cont(minutes, 0.5) AS median, quantile_cont(minutes, 0.9) AS p90,
           count_if(sentiment = 'positive') AS positive, count_if(sentiment = 'neutral') AS neutral,
           count_if(sentiment = 'negative') AS negative
    FROM inb GROUP BY GROUPING SETS ((name), (name, platform))),
acc AS (
    SELECT pr.name, platform, account,
           arg_max(followers, date) FILTER (WHERE date >= pr.d0 AND date < pr.d1) AS f_end,
           arg_min(followers, date) FILTER (WHERE date >= pr.d0 AND date < pr.d1) AS f_first,
           arg_max(followers, date) FILTER (WHERE date < pr.d0) AS f_before
    FROM followers, periods pr GROUP BY ALL
    HAVING count(*) FILTER (WHERE date >= pr.d0 AND date < pr.d1) > 0),
fk AS (
    SELECT name, platform, sum(coalesce(f_before, f_first)) AS f_start, sum(f_end) AS f_end
    FROM acc GROUP BY GROUPING SETS ((name), (name, platform))),
keys AS (
    SELECT name, platform FROM pk UNION SELECT name, platform FROM mk
    UNION SELECT name, platform FROM fk)
SELECT k.name, k.platform,
       coalesce(pk.posts, 0) AS posts, pk.impressions, pk.reach, coalesce(pk.engagements, 0) AS engagements,
       pk.rate_num / nullif(pk.rate_den, 0) AS engagement_rate,
       pk.reach_num / nullif(pk.reach_den, 0) AS engagement_rate_by_reach,
       coalesce(mk.inbound, 0) AS inbound_messages, coalesce(mk.responded, 0) AS responded_messages,
       mk.responded / nullif(mk.inbound, 0) AS response_rate,
       mk.median AS first_response_time_median_minutes, mk.p90 AS first_response_time_p90_minutes,
       coalesce(mk.positive, 0) AS positive, coalesce(mk.neutral, 0) AS neutral,
       coalesce(mk.negative, 0) AS negative,
       fk.f_start AS followers_start, fk.f_end AS followers_end
FROM keys k
LEFT JOIN pk ON pk.name = k.name AND pk.platform IS NOT DISTINCT FROM k.platform
LEFT JOIN mk ON mk.name = k.name AND mk.platform IS NOT DISTINCT FROM k.platform
LEFT JOIN fk ON fk.name = k.name AND fk.platform IS NOT DISTINCT FROM k.platform
"""


def duckdb_kpis(
    tables: Tables, period: Period, threads: int | None = None
) -> dict[tuple[str, str | None], dict[str, Any]]:
    """The same definitions in SQL; keyed by ("current" | "previous", platform or None)."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    for name in ("posts", "messages", "followers"):
        con.register(name, pa.Table.from_pandas(tables.get(name), preserve_index=False))
    prev = period.previous()
    params = {
        "cs": period.start.to_pydatetime(),
        "ce": period.end.to_pydatetime(),
        "cd0": period.first_day,
        "cd1": period.month.next().first_day,
        "ps": prev.start.to_pydatetime(),
        "pe": prev.end.to_pydatetime(),
        "pd0": prev.first_day,
        "pd1": prev.month.next().first_day,
    }
    cursor = con.execute(SQL, params)
    columns = [d[0] for d in cursor.description]
    out: dict[tuple[str, str | None], dict[str, Any]] = {}
    for row in cursor.fetchall():
        record = dict(zip(columns, row, strict=True))
        key = (record.pop("name"), record.pop("platform"))
        sentiment = {k: int(record.pop(k)) for k in ("positive", "neutral", "negative")}
        polar = sentiment["positive"] + sentiment["negative"]
        sentiment["net"] = None if polar == 0 else (sentiment["positive"] - sentiment["negative"]) / polar
        record["sentiment"] = sentiment
        start, end = record["followers_start"], record["followers_end"]
        record["follower_growth"] = None if start is None else end - start
        record["follower_growth_rate"] = None if not start else (end - start) / start
        # The generated data has no account_daily rows (and no YouTube): growth rests on the
        # snapshots, no account-level figure is known.
        record["follower_growth_rounded"] = False
        record |= dict.fromkeys(
            ("followers_gained", "followers_lost", "account_views", "account_reach_daily_average")
        )
        out[key] = {k: (int(v) if isinstance(v, (int, np.integer)) else v) for k, v in record.items()}
    return out


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)
    return bool(a == b)


def compare(ours: dict[str, Any], theirs: dict[tuple[str, str | None], dict[str, Any]]) -> list[str]:
    expected = {("current", None): ours["kpis"], ("previous", None): ours["previous"]}
    for platform, k in ours["by_platform"].items():
        expected[("current", platform)] = k
    for platform, k in ours["previous_by_platform"].items():
        expected[("previous", platform)] = k
    problems = []
    for key, values in expected.items():
        other = theirs.get(key)
        if other is None:
            if values["posts"] or values["inbound_messages"] or values["followers_end"] is not None:
                problems.append(f"{key}: missing from DuckDB")
            continue
        for name in KPI_FIELDS:
            if not _close(values[name], other[name]):
                problems.append(f"{key} {name}: ours {values[name]!r} vs DuckDB {other[name]!r}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each engine; the best is reported")
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    tables, period = generate(args.posts, args.messages)
    print(
        f"data: {len(tables.posts):,} posts, {len(tables.messages):,} messages, "
        f"{len(tables.followers):,} follower snapshots; {period.month} {TZ} and the month before "
        f"(generated in {time.perf_counter() - t0:.1f} s)"
    )
    ours_times, duck_times, duck1_times = [], [], []
    # CPU seconds of the whole process (every thread): on a shared machine wall time mostly
    # measures the neighbours; CPU time is what each engine costs.
    ours_cpu, duck_cpu, duck1_cpu = [], [], []
    ours: dict[str, Any] = {}
    theirs: dict[tuple[str, str | None], dict[str, Any]] = {}
    for _ in range(args.repeat):
        t, c = time.perf_counter(), time.process_time()
        ours = compute_kpi_set(tables, period).to_dict()
        ours_times.append(time.perf_counter() - t)
        ours_cpu.append(time.process_time() - c)
        t, c = time.perf_counter(), time.process_time()
        theirs = duckdb_kpis(tables, period)
        duck_times.append(time.perf_counter() - t)
        duck_cpu.append(time.process_time() - c)
        t, c = time.perf_counter(), time.process_time()
        duckdb_kpis(tables, period, threads=1)
        duck1_times.append(time.perf_counter() - t)
        duck1_cpu.append(time.process_time() - c)
    problems = compare(ours, theirs)

    def runs(times: list[float]) -> str:
        return f"{min(times):.2f} s (runs: {', '.join(f'{x:.2f}' for x in times)})"

    print(f"pulse compute_kpi_set (1 thread): {runs(ours_times)}")
    print(f"DuckDB {duckdb.__version__} SQL, all cores: {runs(duck_times)}")
    print(f"DuckDB {duckdb.__version__} SQL, 1 thread:  {runs(duck1_times)}")
    print(
        f"CPU seconds (best run): pulse {min(ours_cpu):.2f}, DuckDB all cores {min(duck_cpu):.2f}, "
        f"DuckDB 1 thread {min(duck1_cpu):.2f}; load average {os.getloadavg()[0]:.1f} "
        f"on {os.cpu_count()} cores"
    )
    if problems:
        print(f"DISAGREEMENT ({len(problems)}):")
        for p in problems[:30]:
            print("  " + p)
        return 1
    k = ours["kpis"]
    print(
        f"agree on every KPI ({1 + len(ours['by_platform'])} groups x 2 months): "
        f"inbound {k['inbound_messages']:,}, "
        f"responded {k['responded_messages']:,}, median {k['first_response_time_median_minutes']:.2f} min, "
        f"engagement rate {k['engagement_rate']:.5f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
