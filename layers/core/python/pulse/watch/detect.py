"""The daily pulse and incident detection: pure functions over the messages table.

Every hour on the hour (UTC) is an *instant*; at each instant and for each scope
(the whole brand, then each platform) three numbers are read:

* ``negative``: inbound messages labelled negative created in the 24 h before the instant;
* ``backlog``: inbound messages of the last 48 h with no brand reply yet at the instant;
* ``wait``: the median wait of the last 24 h's inbound messages, as of the instant
  (a message answered counts its response time, one still waiting counts its wait so far).

Each is compared with its usual value at the same time of day over the previous
28 days, with weekday seasonality and robust statistics (docs/alerts.md):

* the 28 daily samples are grouped by weekday; each weekday's factor is the median of
  its 4 samples over the median of all 28 (1 with fewer than 3 known samples);
* dividing each sample by its weekday's factor removes the weekly pattern; the level is
  the median of those, the spread 1.4826 x their median absolute deviation (MAD);
* usual = level x the factor of the instant's weekday. Medians ignore a past incident
  (up to 13 abnormal days out of 28 leave the level unchanged).

A reading is abnormal when it is at least the minimum volume (``min_negative``,
``min_backlog``; ``min_responses`` messages for the wait, and ``min_wait_minutes``),
at least ``ratio`` x usual, and ``z`` spreads above usual. The spread is floored at the
Poisson noise ``sqrt(max(usual, level))`` for counts; waits are compared on a log scale,
the spread floored at 0.25 and at the noise of a median of few waits, so a flat history
does not make every blip a storm. It is severe at ``severe_ratio`` x usual.
Consecutive instants where the whole brand is abnormal (calm gaps shorter than
``resolve_after_hours``) form one incident; platforms' pulses say where it happens.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from pulse.config import AlertRules
from pulse.kpis.core import micros, prepare
from pulse.tables import Tables

Metric = Literal["negative", "backlog", "wait"]
METRICS: tuple[Metric, ...] = ("negative", "backlog", "wait")
ALL = "all"

HOUR_US = 3_600_000_000
DAY_US = 24 * HOUR_US
BASELINE_DAYS = 28
BACKLOG_HOURS = 48
MAD_TO_SIGMA = 1.4826

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Reading:
    """One metric of one scope at one instant, against its usual value."""

    metric: Metric
    value: float
    usual: float
    spread: float
    abnormal: bool
    severe: bool

    @property
    def ratio(self) -> float | None:
        """value / usual; None when the usual is 0."""
        return None if self.usual <= 0 else self.value / self.usual


@dataclass(frozen=True)
class Pulse:
    """A scope (the brand, or one platform) at one instant: the last 24 h against the usual."""

    scope: str
    at: pd.Timestamp
    inbound: int
    negative: int
    backlog: int
    oldest_wait_minutes: float | None
    wait_median_minutes: float | None
    readings: dict[Metric, Reading]

    @property
    def abnormal(self) -> bool:
        return any(r.abnormal for r in self.readings.values())

    @property
    def alarming(self) -> bool:
        """Whether this pulse opens or prolongs an incident: an abnormal reading for the whole
        brand. Platform pulses say where the storm is; alone they are too small to judge."""
        return self.scope == ALL and self.abnormal

    @property
    def severe(self) -> bool:
        return any(r.severe for r in self.readings.values())


@dataclass(frozen=True)
class Incident:
    """An episode of abnormal instants for one brand.

    ``began_at`` is when the extra complaints started (the first hour of the first
    abnormal 24 h window with more negative messages than usual); ``detected_at``
    the first abnormal instant; ``resolved_at`` the first instant of the calm that
    ended it (None while it lasts).
    """

    brand: str
    began_at: pd.Timestamp
    detected_at: pd.Timestamp
    last_abnormal_at: pd.Timestamp
    resolved_at: pd.Timestamp | None
    severe: bool
    metrics: tuple[Metric, ...]
    peak_at: pd.Timestamp
    peak_negative: int
    usual_negative: float
    peak_backlog: int
    usual_backlog: float
    peak_wait_minutes: float | None
    negative_messages: int
    unanswered_messages: int
    platforms: tuple[tuple[str, int], ...]
    examples: tuple[str, ...] = field(default=())

    @property
    def id(self) -> str:
        """Stable for the incident's life: the brand and the hour it was detected."""
        return f"{self.brand}-{self.detected_at.strftime('%Y%m%dT%H')}"

    @property
    def ongoing(self) -> bool:
        return self.resolved_at is None

    def duration(self, now: pd.Timestamp) -> pd.Timedelta:
        end = self.resolved_at if self.resolved_at is not None else now
        return pd.Timedelta(end - self.began_at)


# ---------------------------------------------------------------------------
# Baseline
# ---------------------------------------------------------------------------


_LAG = np.arange(1, BASELINE_DAYS + 1)


def baselines(samples: F64) -> tuple[F64, F64, F64]:
    """(usual, spread, level) per row of ``samples``, a (n, 28) array of the same time of day 1..28 days back.

    Column ``d - 1`` holds the value ``d`` days before (NaN where unknown); columns 7, 14, 21
    and 28 days back share the instant's weekday. See the module docstring for the rule.
    """
    samples = np.atleast_2d(np.asarray(samples, dtype=np.float64))
    n_rows, n_cols = samples.shape
    lag = _LAG[:n_cols]
    with np.errstate(all="ignore"), _quiet():
        level = np.nanmedian(samples, axis=1)
        factors = np.ones((n_rows, 7))
        if n_cols >= 14:
            for r in range(7):  # r = d mod 7; r = 0 is the instant's weekday
                group = samples[:, lag % 7 == r]
                enough = (~np.isnan(group)).sum(axis=1) >= 3
                ratio = np.nanmedian(group, axis=1) / level
                ok = enough & (level > 0) & np.isfinite(ratio)
                factors[ok, r] = np.clip(ratio[ok], 0.25, 4.0)
        deseasoned = samples / factors[:, lag % 7]
        centre = np.nanmedian(deseasoned, axis=1)
        spread = MAD_TO_SIGMA * np.nanmedian(np.abs(deseasoned - centre[:, None]), axis=1)
    usual = np.nan_to_num(centre * factors[:, 0])
    return usual, np.nan_to_num(spread), np.nan_to_num(centre)


def baseline(samples: F64) -> tuple[float, float]:
    """(usual, spread) of one instant from its 28 daily samples (see :func:`baselines`)."""
    usual, spread, _ = baselines(np.asarray(samples, dtype=np.float64)[None, :])
    return float(usual[0]), float(spread[0])


class _quiet:
    """Silence numpy's "All-NaN slice" warnings (an instant without history has no baseline)."""

    def __enter__(self) -> None:
        import warnings

        self._catch = warnings.catch_warnings()
        self._catch.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)

    def __exit__(self, *exc: object) -> None:
        self._catch.__exit__(*exc)  # type: ignore[arg-type]


def judge_many(
    metric: Metric, values: F64, samples: F64, rules: AlertRules, volume: I64
) -> tuple[F64, F64, npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """(usual, spread, abnormal, severe) of each value against its row of samples.

    Counts are compared as they are, with the spread floored at the Poisson noise
    ``sqrt(max(usual, level))`` (level: the median before the weekday factor). Waits are heavy-tailed: they are compared on a log scale, the spread
    floored at 0.25 (a factor of about 1.3) and at the sampling noise of a median of ``volume``
    waits, 2 / sqrt(volume); they need ``min_responses`` messages and ``min_wait_minutes``.
    """
    values = np.asarray(values, dtype=np.float64)
    if metric == "wait":
        usual_log, spread_log, _ = baselines(np.log1p(samples))
        usual = np.expm1(usual_log)
        # The median of n waits is noisy: about 1.25 x (sd of one log wait, ~1.6) / sqrt(n).
        floor = np.maximum.reduce(
            [spread_log, np.full_like(spread_log, 0.25), 2.0 / np.sqrt(np.maximum(volume, 1))]
        )
        z = (np.log1p(np.nan_to_num(values)) - usual_log) / floor
        enough = (volume >= rules.min_responses) & (values >= rules.min_wait_minutes)
        spread = np.expm1(usual_log + floor) - usual
    else:
        usual, spread_raw, level = baselines(samples)
        # Poisson noise of the brand's everyday level: a quiet weekday is no quieter in noise.
        spread = np.maximum(spread_raw, np.sqrt(np.maximum(np.maximum(usual, level), 1.0)))
        z = (values - usual) / spread
        minimum = rules.min_negative if metric == "negative" else rules.min_backlog
        enough = values >= minimum
    abnormal = enough & (values >= rules.ratio * usual) & (z >= rules.z)
    severe = abnormal & (values >= rules.severe_ratio * np.maximum(usual, 1.0))
    return usual, spread, abnormal, severe


def judge(metric: Metric, value: float, samples: F64, rules: AlertRules, volume: int) -> Reading:
    """The reading of ``value`` against its 28 daily ``samples`` under the brand's ``rules``."""
    usual, spread, abnormal, severe = judge_many(
        metric, np.array([value]), np.asarray(samples, dtype=np.float64)[None, :], rules, np.array([volume])
    )
    return Reading(
        metric, float(value), float(usual[0]), float(spread[0]), bool(abnormal[0]), bool(severe[0])
    )


# ---------------------------------------------------------------------------
# Series on the hourly grid
# ---------------------------------------------------------------------------


@dataclass
class _Inbound:
    created: I64  # sorted
    reply: I64  # first brand reply, NO_REPLY if none
    negative: npt.NDArray[np.bool_]
    platform: npt.NDArray[np.int16]
    text: list[str]


def _inbound(messages: pd.DataFrame) -> tuple[_Inbound, list[str]]:
    prepared = prepare(Tables(messages=messages))
    m = prepared.inbound
    order = np.argsort(m.created, kind="stable")
    texts = messages["text"].astype("string").fillna("").to_numpy(dtype=object)[m.rows[order]]
    return (
        _Inbound(
            created=m.created[order],
            reply=m.first_reply[order],
            negative=(m.sentiment == 1)[order],
            platform=m.platform[order],
            text=[str(t) for t in texts],
        ),
        prepared.platforms,
    )


def _window_counts(created: I64, grid: I64, width: int) -> I64:
    """Number of ``created`` (sorted) in ``[t - width, t)`` for each instant ``t`` of ``grid``."""
    counts: I64 = np.searchsorted(created, grid, "left") - np.searchsorted(created, grid - width, "left")
    return counts


def _backlog(created: I64, reply: I64, grid: I64) -> I64:
    """Messages of the last 48 h without a reply at each instant: intervals [created, end) covering t."""
    ends = np.sort(np.minimum(np.maximum(reply, created + 1), created + BACKLOG_HOURS * HOUR_US))
    counts: I64 = np.searchsorted(created, grid, "left") - np.searchsorted(ends, grid, "right")
    return counts


def _wait_medians(created: I64, reply: I64, grid: I64) -> tuple[F64, I64]:
    """Median wait (minutes) of the 24 h's messages as of each instant, and how many there were."""
    lo = np.searchsorted(created, grid - DAY_US, "left")
    hi = np.searchsorted(created, grid, "left")
    out = np.full(len(grid), np.nan)
    for i, (a, b) in enumerate(zip(lo, hi, strict=True)):
        if b > a:
            waited = np.minimum(reply[a:b], grid[i]) - created[a:b]
            out[i] = float(np.median(waited)) / 60_000_000
    return out, (hi - lo).astype(np.int64)


@dataclass
class _Series:
    inbound: I64
    negative: I64
    backlog: I64
    wait: F64
    volume: I64


def _series(data: _Inbound, mask: npt.NDArray[np.bool_], grid: I64) -> _Series:
    created, reply = data.created[mask], data.reply[mask]
    neg = created[data.negative[mask]]
    wait, volume = _wait_medians(created, reply, grid)
    return _Series(
        inbound=_window_counts(created, grid, DAY_US),
        negative=_window_counts(neg, grid, DAY_US),
        backlog=_backlog(created, reply, grid),
        wait=wait,
        volume=volume,
    )


def _hour_grid(start: pd.Timestamp, end: pd.Timestamp) -> I64:
    """Instants on the hour in ``(start - 28 days, end]``, so each has its baseline on the grid."""
    first = (micros(start) // HOUR_US) * HOUR_US - BASELINE_DAYS * DAY_US
    last = (micros(end) // HOUR_US) * HOUR_US
    return np.arange(first, last + 1, HOUR_US, dtype=np.int64)


def _sample_matrix(values: F64, grid: I64, positions: I64, first_data: int) -> F64:
    """For each grid position, the values 1..28 days before; NaN where that 24 h window precedes the data."""
    idx = positions[:, None] - 24 * _LAG[None, :]
    out = np.full(idx.shape, np.nan)
    ok = idx >= 0
    ok[ok] = grid[idx[ok]] - DAY_US >= first_data
    out[ok] = values[idx[ok]]
    return out


#: Fewer known days than this in the baseline: nothing is judged abnormal.
MIN_BASELINE_DAYS = 14


def _ts(us: int) -> pd.Timestamp:
    return pd.Timestamp(int(us), unit="us", tz="UTC")


@dataclass
class _Scope:
    name: str
    series: _Series


def _pulses(
    scope: _Scope,
    data: _Inbound,
    grid: I64,
    positions: I64,
    rules: AlertRules,
    code: int | None,
    first_data: int,
) -> list[Pulse]:
    s = scope.series
    judged: dict[Metric, tuple[F64, F64, F64, npt.NDArray[np.bool_], npt.NDArray[np.bool_]]] = {}
    for metric in METRICS:
        series = s.wait if metric == "wait" else getattr(s, metric).astype(np.float64)
        values = series[positions]
        samples = _sample_matrix(series, grid, positions, first_data)
        usual, spread, abnormal, severe = judge_many(metric, values, samples, rules, s.volume[positions])
        known = (~np.isnan(samples)).sum(axis=1) >= MIN_BASELINE_DAYS
        ok = known & ~np.isnan(values)
        judged[metric] = (np.nan_to_num(values), usual, spread, abnormal & ok, severe & ok)
    created = data.created if code is None else data.created[data.platform == code]
    reply = data.reply if code is None else data.reply[data.platform == code]
    out = []
    for k, i in enumerate(positions):
        t = int(grid[i])
        lo = np.searchsorted(created, t - BACKLOG_HOURS * HOUR_US, "right")
        hi = np.searchsorted(created, t, "left")
        waiting = np.flatnonzero(reply[lo:hi] > t)
        oldest = float((t - created[lo + waiting[0]]) / 60_000_000) if len(waiting) else None
        readings = {
            m: Reading(m, float(v[k]), float(u[k]), float(sp[k]), bool(ab[k]), bool(sv[k]))
            for m, (v, u, sp, ab, sv) in judged.items()
        }
        wait = float(s.wait[i]) if not np.isnan(s.wait[i]) else None
        out.append(
            Pulse(
                scope.name,
                _ts(t),
                int(s.inbound[i]),
                int(s.negative[i]),
                int(s.backlog[i]),
                oldest,
                wait,
                readings,
            )
        )
    return out


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Watch:
    """The brand's pulse at every instant of a range, every scope's at the last, and the incidents."""

    pulses: list[Pulse]  # the whole brand, one per instant
    latest: dict[str, Pulse]  # scope -> pulse at the last instant (the brand, then each platform)
    incidents: list[Incident]


def watch(
    brand_id: str,
    messages: pd.DataFrame,
    start: pd.Timestamp,
    end: pd.Timestamp,
    rules: AlertRules,
) -> Watch:
    """Evaluate every hour in ``(start, end]`` and group abnormal instants into incidents.

    ``messages`` should hold the 30 days before ``start`` for a full baseline (28 days,
    plus 2 for the backlog); less history gives a shorter baseline (at least 14 days,
    else nothing is judged abnormal). An incident still abnormal at ``end``, or calm
    for fewer than ``resolve_after_hours``, is ongoing (``resolved_at`` None).
    """
    start, end = pd.Timestamp(start).tz_convert("UTC"), pd.Timestamp(end).tz_convert("UTC")
    data, platforms = _inbound(messages)
    grid = _hour_grid(start, end)
    first_data = int(data.created[0]) if len(data.created) else micros(end)
    positions = np.flatnonzero((grid > micros(start)) & (grid <= micros(end)))
    everything = _Scope(ALL, _series(data, np.ones(len(data.created), dtype=bool), grid))
    pulses = _pulses(everything, data, grid, positions, rules, None, first_data)
    latest: dict[str, Pulse] = {}
    if len(positions):
        last = int(positions[-1])
        latest[ALL] = pulses[-1]
        last_grid = grid[: last + 1]
        for code, name in enumerate(platforms):
            mask = data.platform == code
            if mask.any():
                scope = _Scope(name, _series(data, mask, last_grid))
                latest[name] = _pulses(scope, data, last_grid, np.array([last]), rules, code, first_data)[0]
    incidents = _incidents(brand_id, pulses, data, platforms, rules, end)
    return Watch(pulses, latest, incidents)


def _began(data: _Inbound, detected: int, usual_24h: float) -> int:
    """When the extra complaints started: the hour, in the 24 h before detection, from which
    negative messages most exceed the usual rate (the start of the largest cumulative excess)."""
    lo = detected - DAY_US
    mask = data.negative & (data.created >= lo) & (data.created < detected)
    hours = (data.created[mask] - lo) // HOUR_US
    counts = np.bincount(hours, minlength=24)[:24].astype(np.float64)
    excess_from = np.cumsum((counts - usual_24h / 24)[::-1])[::-1]  # excess in [hour h, detection)
    h = int(np.argmax(excess_from))
    return int(lo + h * HOUR_US) if excess_from[h] > 0 else detected


def _incidents(
    brand_id: str,
    pulses: list[Pulse],
    data: _Inbound,
    platforms: list[str],
    rules: AlertRules,
    end: pd.Timestamp,
) -> list[Incident]:
    episodes: list[list[int]] = []
    calm = rules.resolve_after_hours
    for i, pulse in enumerate(pulses):
        if pulse.alarming:
            if episodes and calm < rules.resolve_after_hours:
                episodes[-1].append(i)
            else:
                episodes.append([i])
            calm = 0
        else:
            calm += 1
    out = []
    for episode in episodes:
        first = pulses[episode[0]]
        detected = micros(first.at)
        after = episode[-1] + rules.resolve_after_hours
        resolved = pulses[after].at if after < len(pulses) else None
        peak = pulses[max(episode, key=lambda i: (pulses[i].negative, pulses[i].backlog))]
        metrics = sorted({r.metric for i in episode for r in pulses[i].readings.values() if r.abnormal}, key=METRICS.index)  # fmt: skip
        usual_neg = first.readings["negative"].usual
        began = _began(data, detected, usual_neg if np.isfinite(usual_neg) else 0.0)
        until = micros(resolved) if resolved is not None else micros(end)
        inside = (data.created >= began) & (data.created < until)
        negative = inside & data.negative
        unanswered = negative & (data.reply > until)
        per_platform = np.bincount(data.platform[negative], minlength=len(platforms))
        top = tuple(
            (platforms[c], int(per_platform[c]))
            for c in np.argsort(-per_platform, kind="stable")
            if per_platform[c]
        )[:3]
        waits = [w for i in episode if (w := pulses[i].wait_median_minutes) is not None]
        out.append(
            Incident(
                brand=brand_id,
                began_at=_ts(began),
                detected_at=first.at,
                last_abnormal_at=pulses[episode[-1]].at,
                resolved_at=resolved,
                severe=any(pulses[i].severe for i in episode),
                metrics=tuple(metrics),
                peak_at=peak.at,
                peak_negative=peak.negative,
                usual_negative=float(np.nan_to_num(peak.readings["negative"].usual)),
                peak_backlog=max(pulses[i].backlog for i in episode),
                usual_backlog=float(np.nan_to_num(peak.readings["backlog"].usual)),
                peak_wait_minutes=max(waits) if waits else None,
                negative_messages=int(negative.sum()),
                unanswered_messages=int(unanswered.sum()),
                platforms=top,
                examples=_examples(data, np.flatnonzero(negative)),
            )
        )
    return out


def _examples(data: _Inbound, rows: I64, n: int = 3) -> tuple[str, ...]:
    """``n`` distinct, reasonably long negative messages spread over the incident."""
    seen: set[str] = set()
    candidates = []
    for r in rows:
        text = " ".join(data.text[int(r)].split())
        key = text.lower()
        if len(text) >= 15 and key not in seen:
            seen.add(key)
            candidates.append(text)
    if len(candidates) <= n:
        return tuple(candidates)
    step = len(candidates) / n
    return tuple(candidates[int(k * step)] for k in range(n))
