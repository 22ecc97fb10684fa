"""The KPI definitions of ``docs/kpis.md``, vectorised over NumPy and Arrow.

All functions are pure: they take canonical tables (see :mod:`pulse.tables`) and
a :class:`~pulse.period.Period` and return plain typed values. ``None`` means
"not defined for this period" (for example a rate with a zero denominator) and
is shown as "n/a" in reports, never as 0.

The tables are expected to be canonical: one row per key (``platform`` +
``post_id``, ``platform`` + ``message_id``, ``platform`` + ``account`` +
``date``), as :func:`pulse.tables.deduplicate`, the lake and the importer
produce them.

How it is fast: every table is turned once into NumPy arrays (platform as a
small integer code, instants as integer microseconds). Replies are linked to
the message they answer once per call: both sides are partitioned by platform
and a hash of the id's last bytes, and each partition is one Arrow dictionary
encoding (small enough for the CPU cache), the partitions spread over one
thread per core. Every period and
platform is then a few boolean masks and ``bincount`` calls over the same
arrays. :func:`compute_kpi_set` does this linking once for the month and the
month before.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pulse.exceptions import DataError
from pulse.period import Period
from pulse.tables import ACCOUNT_METRICS, ENGAGEMENT_COLUMNS, Tables

I64 = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]

#: Sentinel "first reply" instant of a message nobody answered.
NO_REPLY = np.iinfo(np.int64).max
MICROS_PER_MINUTE = 60_000_000
SENTIMENT_LABELS = ("negative", "neutral", "positive")
_EPOCH = pd.Timestamp(0, tz="UTC")
#: Platforms whose public follower count is rounded (YouTube: ``subscriberCount`` to 3 significant
#: figures, https://developers.google.com/youtube/v3/docs/channels#statistics.subscriberCount): a
#: follower growth that rests on it is approximate, and the report says so.
ROUNDED_PUBLIC_COUNTS = frozenset({"youtube"})


@dataclass(frozen=True)
class Sentiment:
    """Counts of labelled inbound messages and the net sentiment."""

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
    followers_gained: int | None = None
    followers_lost: int | None = None
    follower_growth_rounded: bool = False
    account_views: int | None = None
    account_reach_daily_average: float | None = None

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


# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------


def micros(value: pd.Timestamp) -> int:
    """A UTC instant as integer microseconds since the epoch."""
    return int((pd.Timestamp(value) - _EPOCH) // pd.Timedelta(microseconds=1))


def _micros_array(times: pd.Series) -> I64:
    if len(times) == 0:
        return np.empty(0, dtype=np.int64)
    if not isinstance(times.dtype, pd.DatetimeTZDtype):
        times = pd.to_datetime(times, utc=True)
    values = times.array.as_unit("us")
    return np.asarray(values.asi8, dtype=np.int64)


def _in_period(times: pd.Series, period: Period) -> pd.Series:
    return (times >= period.start) & (times < period.end)


def _ratio(numerator: float, denominator: float) -> float | None:
    return None if denominator == 0 else float(numerator) / float(denominator)


def _strings(series: pd.Series) -> pa.Array:
    """``series`` as one Arrow string array (zero-copy for Arrow-backed strings)."""
    array = pa.array(series, from_pandas=True)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks() if array.num_chunks != 1 else array.chunk(0)
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        array = pc.cast(array, pa.large_string())
    return array


def _local_codes(series: pd.Series) -> tuple[npt.NDArray[np.int64], list[str]]:
    """Integer codes of ``series`` and the values they stand for."""
    if len(series) == 0:
        return np.empty(0, dtype=np.int64), []
    if isinstance(series.dtype, pd.CategoricalDtype):
        codes = series.cat.codes.to_numpy().astype(np.int64)
        uniques = [str(c) for c in series.cat.categories]
    else:
        encoded = pc.dictionary_encode(_strings(series))
        codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
        uniques = [str(v) for v in encoded.dictionary.to_pylist()]
    if codes.min() < 0:
        raise DataError("platform: empty value (every row needs a platform)")
    return codes, uniques


def platform_codes(columns: Sequence[pd.Series]) -> tuple[list[npt.NDArray[np.int16]], list[str]]:
    """Codes of each platform column into one shared, sorted list of the platforms present."""
    local = [_local_codes(column) for column in columns]
    present: set[str] = set()
    for codes, uniques in local:
        used = np.bincount(codes, minlength=len(uniques)) > 0
        present.update(u for u, is_used in zip(uniques, used, strict=True) if is_used)
    platforms = sorted(present)
    lookup = {p: i for i, p in enumerate(platforms)}
    out = []
    for codes, uniques in local:
        table = np.array([lookup.get(u, 0) for u in uniques] or [0], dtype=np.int16)
        out.append(table[codes])
    return out, platforms


def _percentiles(values: npt.NDArray[np.float64]) -> tuple[float | None, float | None]:
    if len(values) == 0:
        return None, None
    median, p90 = np.percentile(values, [50, 90])
    return float(median), float(p90)


# ---------------------------------------------------------------------------
# Linking replies to the messages they answer
# ---------------------------------------------------------------------------


#: Partitions per platform when linking replies: small hash tables stay in the CPU cache.
_PARTITIONS = 64
_POOL: list[ThreadPoolExecutor] = []


def _pool() -> ThreadPoolExecutor:
    """One thread per core, shared by every call (the partitions of a reply linking run on it)."""
    if not _POOL:
        _POOL.append(ThreadPoolExecutor(max_workers=max(pa.cpu_count(), 1), thread_name_prefix="pulse-kpis"))
    return _POOL[0]


def _tail_hash(strings: pa.Array) -> npt.NDArray[np.uint16]:
    """A cheap hash of each string's last two bytes (0 for empty or null), read from the Arrow buffers."""
    offset_type = np.int64 if pa.types.is_large_string(strings.type) else np.int32
    buffers = strings.buffers()
    offsets = np.frombuffer(buffers[1], dtype=offset_type)[strings.offset : strings.offset + len(strings) + 1]
    offsets_i64: I64 = np.asarray(offsets, dtype=np.int64)
    if buffers[2] is None or len(buffers[2]) == 0:
        return np.zeros(len(strings), dtype=np.uint16)
    data = np.frombuffer(buffers[2], dtype=np.uint8)
    end, length = offsets_i64[1:], offsets_i64[1:] - offsets_i64[:-1]
    last = np.where(length >= 1, data[np.maximum(end - 1, 0)], 0).astype(np.uint16)
    before = np.where(length >= 2, data[np.maximum(end - 2, 0)], 0).astype(np.uint16)
    return last * 31 + before * 7


def _first_reply_by_string(ids: pa.Array, targets: pa.Array, reply_times: I64) -> I64:
    """First reply per id: one dictionary encoding of ids and targets together."""
    encoded = pc.dictionary_encode(pa.concat_arrays([ids, targets]))
    codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
    first = np.full(len(encoded.dictionary), NO_REPLY, dtype=np.int64)
    np.minimum.at(first, codes[len(ids) :], reply_times)
    result: I64 = first[codes[: len(ids)]]
    return result


def link_replies(
    platform: npt.NDArray[np.int16],
    message_id: pa.Array,
    in_reply_to: pa.Array,
    from_brand: Mask,
    created: I64,
    inbound_rows: I64,
) -> I64:
    """The first brand reply (integer microseconds, :data:`NO_REPLY` if none) of each inbound row.

    A reply is a brand message on the same platform whose ``in_reply_to`` is the
    inbound message's id, whenever it was sent. Ids are compared exactly, as
    strings, and only within a platform (ids are unique within a platform only).
    """
    first = np.full(len(inbound_rows), NO_REPLY, dtype=np.int64)
    if len(inbound_rows) == 0:
        return first
    has_target = pc.is_valid(in_reply_to).to_numpy(zero_copy_only=False)
    reply_rows = np.flatnonzero(from_brand & has_target)
    if len(reply_rows) == 0:
        return first
    # Partition both sides by (platform, hash of the id's last bytes): equal ids on the same
    # platform land in the same partition, and each partition's hash table is small.
    parts = np.uint16(_PARTITIONS)
    in_key = platform[inbound_rows].astype(np.uint16) * parts + _tail_hash(message_id)[inbound_rows] % parts
    reply_key = platform[reply_rows].astype(np.uint16) * parts + _tail_hash(in_reply_to)[reply_rows] % parts
    in_order = np.argsort(in_key, kind="stable")
    reply_order = np.argsort(reply_key, kind="stable")
    in_sorted, reply_sorted = inbound_rows[in_order], reply_rows[reply_order]
    reply_times = created[reply_sorted]
    n_keys = int(max(in_key.max(), reply_key.max())) + 1
    in_bounds = np.concatenate([[0], np.cumsum(np.bincount(in_key, minlength=n_keys))])
    reply_bounds = np.concatenate([[0], np.cumsum(np.bincount(reply_key, minlength=n_keys))])
    linked = np.full(len(inbound_rows), NO_REPLY, dtype=np.int64)

    def link(key: int) -> None:
        a, b = int(in_bounds[key]), int(in_bounds[key + 1])
        c, d = int(reply_bounds[key]), int(reply_bounds[key + 1])
        if a < b and c < d:
            ids = message_id.take(pa.array(in_sorted[a:b]))
            targets = in_reply_to.take(pa.array(reply_sorted[c:d]))
            linked[a:b] = _first_reply_by_string(ids, targets, reply_times[c:d])

    # Partitions are independent and Arrow releases the GIL: every core links its share.
    list(_pool().map(link, range(n_keys)))
    first[in_order] = linked
    return first


# ---------------------------------------------------------------------------
# Prepared arrays
# ---------------------------------------------------------------------------


@dataclass
class _Posts:
    platform: npt.NDArray[np.int16]
    created: I64
    impressions: I64
    has_impressions: Mask
    reach: I64
    has_reach: Mask
    engagements: I64


@dataclass
class _Inbound:
    """Inbound messages (not from the brand) in the prepared window, with their first reply."""

    rows: I64  # positions in the messages frame
    platform: npt.NDArray[np.int16]
    created: I64
    first_reply: I64
    sentiment: npt.NDArray[np.int8]  # 0 unlabelled, 1 negative, 2 neutral, 3 positive


@dataclass
class Prepared:
    """The tables as arrays, ready for any number of periods and platforms."""

    platforms: list[str]
    posts: _Posts
    inbound: _Inbound
    followers: pd.DataFrame  # code, account, date, followers
    account_days: pd.DataFrame  # code, account, date, the ACCOUNT_METRICS (float, NaN unknown)


def _nullable_ints(series: pd.Series) -> tuple[I64, Mask]:
    known = series.notna().to_numpy(dtype=bool)
    values = pd.to_numeric(series).astype("Float64").to_numpy(dtype="float64", na_value=0.0)
    return values.astype(np.int64), known


def engagements_of(posts: pd.DataFrame) -> pd.Series:
    """likes + comments + shares + saves + clicks per post (missing counts are 0)."""
    total = np.zeros(len(posts), dtype=np.int64)
    for column in ENGAGEMENT_COLUMNS:
        if column in posts.columns:
            values, _ = _nullable_ints(posts[column])
            total += values
    return pd.Series(total, index=posts.index, name="engagements")


def sentiment_codes(labels: pd.Series) -> npt.NDArray[np.int8]:
    """0 when unlabelled (or not one of the three labels), 1 negative, 2 neutral, 3 positive."""
    if len(labels) == 0:
        return np.empty(0, dtype=np.int8)
    found = pc.index_in(_strings(labels), value_set=pa.array(SENTIMENT_LABELS, pa.large_string()))
    codes = np.asarray(pc.fill_null(found, -1).to_numpy(zero_copy_only=False), dtype=np.int8)
    return codes + np.int8(1)


def prepare(tables: Tables, window: tuple[pd.Timestamp, pd.Timestamp] | None = None) -> Prepared:
    """Arrays of ``tables``; only inbound messages created in ``window`` (UTC [start, end)) are kept."""
    days = tables.account_daily
    (post_codes, message_codes, follower_codes, day_codes), platforms = platform_codes(
        [
            tables.posts["platform"],
            tables.messages["platform"],
            tables.followers["platform"],
            days["platform"],
        ]
    )

    posts = tables.posts
    impressions, has_impressions = _nullable_ints(posts["impressions"])
    reach, has_reach = _nullable_ints(posts["reach"])
    prepared_posts = _Posts(
        platform=post_codes,
        created=_micros_array(posts["created_at"]),
        impressions=impressions,
        has_impressions=has_impressions,
        reach=reach,
        has_reach=has_reach,
        engagements=engagements_of(posts).to_numpy(),
    )

    messages = tables.messages
    m_platform = message_codes
    m_created = _micros_array(messages["created_at"])
    from_brand = messages["from_brand"].to_numpy(dtype=bool, na_value=False)
    candidate = ~from_brand
    if window is not None:
        candidate &= (m_created >= micros(window[0])) & (m_created < micros(window[1]))
    inbound_rows = np.flatnonzero(candidate)
    first = link_replies(
        m_platform,
        _strings(messages["message_id"]),
        _strings(messages["in_reply_to"]),
        from_brand,
        m_created,
        inbound_rows,
    )
    sentiment = sentiment_codes(messages["sentiment"])[inbound_rows]
    inbound = _Inbound(
        rows=inbound_rows,
        platform=m_platform[inbound_rows],
        created=m_created[inbound_rows],
        first_reply=first,
        sentiment=sentiment,
    )

    followers = pd.DataFrame(
        {
            "code": follower_codes,
            "account": tables.followers["account"].astype("string").to_numpy(),
            "date": pd.to_datetime(tables.followers["date"]).to_numpy(dtype="datetime64[us]"),
            "followers": pd.to_numeric(tables.followers["followers"]).to_numpy(dtype="float64"),
        }
    )
    account_days = pd.DataFrame(
        {
            "code": day_codes,
            "account": days["account"].astype("string").to_numpy(),
            "date": pd.to_datetime(days["date"]).to_numpy(dtype="datetime64[us]"),
            **{
                m: pd.to_numeric(days[m]).astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
                for m in ACCOUNT_METRICS
            },
        }
    )
    return Prepared(platforms, prepared_posts, inbound, followers, account_days)


# ---------------------------------------------------------------------------
# Aggregation per period, per platform
# ---------------------------------------------------------------------------


def _group_sum(codes: npt.NDArray[np.int16], values: I64, n: int) -> I64:
    """Sums of ``values`` per code; exact whatever the values (no int64 wrap-around).

    Counts are at most 10^15 (the tables refuse more), so int64 sums are exact up
    to 9,223 rows at that cap; beyond what int64 can surely hold, Python integers.
    """
    if len(values) and int(np.abs(values).max()) * len(values) > np.iinfo(np.int64).max:
        exact = np.zeros(n, dtype=object)
        np.add.at(exact, codes, values.astype(object))
        return exact  # an object array of Python ints, summed exactly by the callers' int(np.sum(...))
    out = np.zeros(n, dtype=np.int64)
    np.add.at(out, codes, values)
    return out


def _bounds(period: Period) -> tuple[int, int]:
    return micros(period.start), micros(period.end)


def _month_days(frame: pd.DataFrame, period: Period) -> pd.DataFrame:
    """Rows of a dated frame (``date``: a local day) that fall in ``period``'s month."""
    first_day = np.datetime64(period.first_day, "us")
    after_last = np.datetime64(period.month.next().first_day, "us")
    dates = frame["date"].to_numpy()
    return frame[(dates >= first_day) & (dates < after_last)]


def _follower_accounts(followers: pd.DataFrame, period: Period) -> pd.DataFrame:
    """Per (code, account) with a snapshot in the period: ``start`` and ``end`` counts."""
    inside = _month_days(followers, period).sort_values("date", kind="stable")
    keys = ["code", "account"]
    if inside.empty:
        return pd.DataFrame({"start": [], "end": []}, index=pd.MultiIndex.from_arrays([[], []], names=keys))
    grouped = inside.groupby(keys, sort=False)["followers"]
    end = grouped.last()
    before = followers[followers["date"].to_numpy() < np.datetime64(period.first_day, "us")]
    last_before = before.sort_values("date", kind="stable").groupby(keys, sort=False)["followers"].last()
    start = last_before.reindex(end.index).fillna(grouped.first())
    return pd.DataFrame({"start": start, "end": end})


def _followers_by_platform(counts: pd.DataFrame, n: int) -> tuple[I64, I64, npt.NDArray[np.int64]]:
    """Per platform code, from :func:`_follower_accounts`: start sum, end sum, accounts with a snapshot."""
    starts = np.zeros(n, dtype=np.int64)
    ends = np.zeros(n, dtype=np.int64)
    accounts = np.zeros(n, dtype=np.int64)
    if counts.empty:
        return starts, ends, accounts
    codes = counts.index.get_level_values("code").to_numpy().astype(np.int16)
    starts = _group_sum(codes, counts["start"].to_numpy().astype(np.int64), n)
    ends = _group_sum(codes, counts["end"].to_numpy().astype(np.int64), n)
    accounts = np.bincount(codes, minlength=n).astype(np.int64)
    return starts, ends, accounts


@dataclass(frozen=True)
class _Audience:
    """Account-level figures of one period and one selection of platforms (see :func:`_audiences`)."""

    growth: int | None = None
    rounded: bool = False
    gained: int | None = None
    lost: int | None = None
    views: int | None = None
    reach_daily_average: float | None = None


def _sums(days: pd.DataFrame, column: str) -> tuple[int | None, dict[int, int]]:
    """Sum of the known values of ``column`` overall (None when none is known) and per platform code."""
    known = days[["code", column]].dropna()
    if known.empty:
        return None, {}
    by_code = known.groupby("code")[column].sum()
    codes: list[int] = by_code.index.to_numpy(dtype=np.int64).tolist()
    sums: list[int] = by_code.to_numpy(dtype=np.int64).tolist()
    return int(known[column].sum()), dict(zip(codes, sums, strict=True))


def _audiences(
    prepared: Prepared, period: Period, counts: pd.DataFrame
) -> tuple[_Audience, dict[int, _Audience]]:
    """Follower growth, follows, unfollows, account views and daily reach of ``period``, overall and per code.

    Each account's growth is its follows minus its unfollows summed over the
    period when both are known for every day of it, else its last snapshot
    minus its start count (``counts``, from :func:`_follower_accounts`); accounts
    without either are left out, and a growth is None when no account has one.
    ``rounded``: some account's growth rests on a count in :data:`ROUNDED_PUBLIC_COUNTS`.
    """
    days = _month_days(prepared.account_days, period)
    growth: dict[tuple[int, str], int] = {}
    if len(days):
        n_days = (period.last_day - period.first_day).days + 1
        both = days.dropna(subset=["followers_gained", "followers_lost"])
        flows = both.groupby(["code", "account"], sort=False).agg(
            days=("date", "nunique"), gained=("followers_gained", "sum"), lost=("followers_lost", "sum")
        )
        flows = flows[flows["days"] == n_days]
        growth = {
            (int(code), str(account)): int(gained) - int(lost)
            for (code, account), gained, lost in zip(flows.index, flows["gained"], flows["lost"], strict=True)
        }
    rounded: set[tuple[int, str]] = set()
    for (code, name), start, end in zip(counts.index, counts["start"], counts["end"], strict=True):
        account = (int(code), str(name))
        if account not in growth:
            growth[account] = int(end) - int(start)
            if prepared.platforms[account[0]] in ROUNDED_PUBLIC_COUNTS:
                rounded.add(account)
    codes = sorted({c for c, _ in growth} | {int(c) for c in days["code"].unique()})
    if len(days):
        gained, gained_by = _sums(days, "followers_gained")
        lost, lost_by = _sums(days, "followers_lost")
        views, views_by = _sums(days, "views")
        reach = days[["code", "date", "reach"]].dropna()
        daily = reach.groupby("date")["reach"].sum()
        by_code_day = reach.groupby(["code", "date"])["reach"].sum().groupby(level="code").mean()
    else:  # no account days (most sources today): nothing to group
        gained = lost = views = None
        gained_by, lost_by, views_by = {}, {}, {}
        daily = by_code_day = pd.Series(dtype="float64")
    overall = _Audience(
        growth=sum(growth.values()) if growth else None,
        rounded=bool(rounded),
        gained=gained,
        lost=lost,
        views=views,
        reach_daily_average=float(daily.mean()) if len(daily) else None,
    )
    per_code = {}
    for code in codes:
        mine = [g for (c, _), g in growth.items() if c == code]
        per_code[code] = _Audience(
            growth=sum(mine) if mine else None,
            rounded=any(c == code for c, _ in rounded),
            gained=gained_by.get(code),
            lost=lost_by.get(code),
            views=views_by.get(code),
            reach_daily_average=float(by_code_day[code]) if code in by_code_day.index else None,
        )
    return overall, per_code


def _kpis(
    *,
    posts: int,
    impressions: int | None,
    reach: int | None,
    engagements: int,
    rate_num: int,
    rate_den: int,
    reach_num: int,
    reach_den: int,
    inbound: int,
    responded: int,
    times: npt.NDArray[np.float64],
    sentiment: Sequence[int],
    followers_start: int | None,
    followers_end: int | None,
    audience: _Audience,
) -> Kpis:
    median, p90 = _percentiles(times)
    growth = audience.growth
    return Kpis(
        posts=posts,
        impressions=impressions,
        reach=reach,
        engagements=engagements,
        engagement_rate=_ratio(rate_num, rate_den),
        engagement_rate_by_reach=_ratio(reach_num, reach_den),
        inbound_messages=inbound,
        responded_messages=responded,
        response_rate=_ratio(responded, inbound),
        first_response_time_median_minutes=median,
        first_response_time_p90_minutes=p90,
        sentiment=Sentiment(
            negative=int(sentiment[1]), neutral=int(sentiment[2]), positive=int(sentiment[3])
        ),
        followers_start=followers_start,
        followers_end=followers_end,
        follower_growth=growth,
        follower_growth_rate=None if growth is None or not followers_start else growth / followers_start,
        followers_gained=audience.gained,
        followers_lost=audience.lost,
        follower_growth_rounded=audience.rounded,
        account_views=audience.views,
        account_reach_daily_average=audience.reach_daily_average,
    )


def kpis_of(prepared: Prepared, period: Period) -> tuple[Kpis, dict[str, Kpis]]:
    """The KPIs of ``period``, overall and per platform, from prepared arrays."""
    n = len(prepared.platforms)
    start, end = _bounds(period)

    p = prepared.posts
    in_p = (p.created >= start) & (p.created < end)
    code = p.platform[in_p]
    eng = p.engagements[in_p]
    imp, has_imp = p.impressions[in_p], p.has_impressions[in_p]
    rch, has_rch = p.reach[in_p], p.has_reach[in_p]
    pos_imp, pos_rch = has_imp & (imp > 0), has_rch & (rch > 0)
    post_count = np.bincount(code, minlength=n)
    imp_sum = _group_sum(code, np.where(has_imp, imp, 0), n)
    imp_known = np.bincount(code[has_imp], minlength=n)
    rch_sum = _group_sum(code, np.where(has_rch, rch, 0), n)
    rch_known = np.bincount(code[has_rch], minlength=n)
    eng_sum = _group_sum(code, eng, n)
    rate_num = _group_sum(code[pos_imp], eng[pos_imp], n)
    rate_den = _group_sum(code[pos_imp], imp[pos_imp], n)
    reach_num = _group_sum(code[pos_rch], eng[pos_rch], n)
    reach_den = _group_sum(code[pos_rch], rch[pos_rch], n)

    m = prepared.inbound
    in_m = (m.created >= start) & (m.created < end)
    m_code = m.platform[in_m]
    first = m.first_reply[in_m]
    answered = first != NO_REPLY
    inbound = np.bincount(m_code, minlength=n)
    responded = np.bincount(m_code[answered], minlength=n)
    minutes = (first[answered] - m.created[in_m][answered]) / MICROS_PER_MINUTE
    r_code = m_code[answered]
    sentiment = np.bincount(m_code.astype(np.int64) * 4 + m.sentiment[in_m], minlength=4 * n).reshape(n, 4)
    order = np.argsort(r_code, kind="stable")
    by_code = np.split(minutes[order], np.cumsum(np.bincount(r_code, minlength=n))[:-1]) if n else []

    follower_counts = _follower_accounts(prepared.followers, period)
    f_start, f_end, f_accounts = _followers_by_platform(follower_counts, n)
    overall_audience, audience_of = _audiences(prepared, period, follower_counts)

    def build(sel: slice, times: npt.NDArray[np.float64]) -> Kpis:
        def total(values: npt.NDArray[Any]) -> int:
            return int(np.sum(values[sel]))

        code = range(n)[sel][0] if sel != slice(None) else None

        has_followers = total(f_accounts) > 0
        return _kpis(
            posts=total(post_count),
            impressions=total(imp_sum) if total(imp_known) else None,
            reach=total(rch_sum) if total(rch_known) else None,
            engagements=total(eng_sum),
            rate_num=total(rate_num),
            rate_den=total(rate_den),
            reach_num=total(reach_num),
            reach_den=total(reach_den),
            inbound=total(inbound),
            responded=total(responded),
            times=times,
            sentiment=sentiment[sel].reshape(-1, 4).sum(axis=0),
            followers_start=total(f_start) if has_followers else None,
            followers_end=total(f_end) if has_followers else None,
            audience=overall_audience if code is None else audience_of.get(code, _Audience()),
        )

    overall = build(slice(None), minutes)
    per_platform = {name: build(slice(i, i + 1), by_code[i]) for i, name in enumerate(prepared.platforms)}
    return overall, per_platform


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------


def posts_in_period(posts: pd.DataFrame, period: Period) -> pd.DataFrame:
    return posts[_in_period(posts["created_at"], period)]


def first_responses(messages: pd.DataFrame, period: Period) -> pd.DataFrame:
    """Inbound messages of the period with their first brand reply (``first_reply_at``, NaT if none).

    A reply is a brand message on the same platform whose ``in_reply_to`` is the
    inbound message's id, whenever it was sent. ``response_minutes`` is
    ``first_reply_at - created_at`` in minutes (NaN when unanswered).
    """
    prepared = prepare(Tables(messages=messages), window=(period.start, period.end))
    m = prepared.inbound
    out = messages.iloc[m.rows].copy()
    answered = m.first_reply != NO_REPLY
    first = pd.to_datetime(np.where(answered, m.first_reply, 0), unit="us", utc=True)
    out["first_reply_at"] = pd.Series(first, index=out.index).where(answered)
    minutes = np.where(answered, (m.first_reply - m.created) / MICROS_PER_MINUTE, np.nan)
    out["response_minutes"] = minutes
    return out.sort_values(["created_at"], kind="stable")


def followers_change(followers: pd.DataFrame, period: Period) -> tuple[int | None, int | None]:
    """Sum over accounts of (start, end) follower counts; (None, None) if no account has a snapshot."""
    k = compute_kpis(Tables(followers=followers), period)
    return k.followers_start, k.followers_end


def compute_kpis(tables: Tables, period: Period) -> Kpis:
    """The KPIs of ``period`` over ``tables`` (see ``docs/kpis.md`` for each definition)."""
    prepared = prepare(tables, window=(period.start, period.end))
    return kpis_of(prepared, period)[0]


def kpi_set_of(prepared: Prepared, period: Period, platforms: list[str] | None = None) -> KpiSet:
    """KPIs of ``period`` and of the month before, from arrays prepared over both."""
    kpis, by_platform = kpis_of(prepared, period)
    previous_kpis, previous_by_platform = kpis_of(prepared, period.previous())
    if platforms is not None:
        by_platform = {p: by_platform.get(p, Kpis()) for p in platforms}
        previous_by_platform = {p: previous_by_platform.get(p, Kpis()) for p in platforms}
    return KpiSet(
        period=period,
        kpis=kpis,
        previous=previous_kpis,
        by_platform=by_platform,
        previous_by_platform=previous_by_platform,
    )


def compute_kpi_set(tables: Tables, period: Period, platforms: list[str] | None = None) -> KpiSet:
    """KPIs of ``period`` and of the month before, overall and per platform.

    ``platforms`` restricts and orders the per-platform entries (a listed platform
    without data gets empty KPIs); by default every platform found in the tables.
    """
    previous = period.previous()
    return kpi_set_of(prepare(tables, window=(previous.start, period.end)), period, platforms)
