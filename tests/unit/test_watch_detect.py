"""Daily pulse and incident detection: the baseline rule, the thresholds, the incidents."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from pulse.config import AlertRules, parse_brands
from pulse.exceptions import ConfigError
from pulse.watch.detect import ALL, baseline, judge, watch

RULES = AlertRules()


def _messages(rows: list[tuple[str, str, str, str | None]]) -> pd.DataFrame:
    """(message id, created_at, sentiment, replied_at or None) inbound messages on x, with replies."""
    records = []
    for mid, created, sentiment, replied in rows:
        records.append(
            {"platform": "x", "account": "a", "message_id": mid, "created_at": created, "from_brand": False,
             "in_reply_to": None, "text": f"message {mid} toujours pas reçu", "sentiment": sentiment}
        )  # fmt: skip
        if replied:
            records.append(
                {"platform": "x", "account": "a", "message_id": f"r{mid}", "created_at": replied,
                 "from_brand": True, "in_reply_to": mid, "text": "reply", "sentiment": None}
            )  # fmt: skip
    from pulse.tables import normalize

    return normalize("messages", pd.DataFrame(records))


def _calm_history(
    days: int, per_day: int, *, negative_share: float = 0.3, seed: int = 1, start: str = "2026-09-01"
) -> list[tuple[str, str, str, str | None]]:
    rng = np.random.default_rng(seed)
    rows = []
    first = pd.Timestamp(start, tz="UTC")
    for d in range(days):
        for k in range(per_day):
            at = first + pd.Timedelta(days=d, hours=float(rng.uniform(0, 24)))
            sentiment = "negative" if rng.random() < negative_share else "neutral"
            replied = at + pd.Timedelta(minutes=float(rng.uniform(20, 90)))
            rows.append((f"m{d}-{k}", at.isoformat(), sentiment, replied.isoformat()))
    return rows


# ---------------------------------------------------------------- baseline


def test_baseline_is_the_median_and_ignores_a_past_incident() -> None:
    samples = np.full(28, 10.0)
    samples[[3, 4, 5]] = [200.0, 250.0, 180.0]  # a 3-day storm two weeks before
    usual, spread = baseline(samples)
    assert usual == pytest.approx(10.0)
    assert spread == pytest.approx(0.0)


def test_baseline_follows_the_weekday() -> None:
    # Quiet weekends: 4 a day on the instant's weekday (7, 14, 21, 28 days back), 20 otherwise.
    samples = np.array([4.0 if d % 7 == 0 else 20.0 for d in range(1, 29)])
    usual, _ = baseline(samples)
    assert usual == pytest.approx(5.0)  # factor clipped at 1/4 of the level (20)
    busy = np.array([40.0 if d % 7 == 0 else 20.0 for d in range(1, 29)])
    assert baseline(busy)[0] == pytest.approx(40.0)


def test_baseline_without_history_is_zero_and_nan_is_unknown() -> None:
    assert baseline(np.full(28, np.nan)) == (0.0, 0.0)
    samples = np.full(28, np.nan)
    samples[:14] = 6.0
    assert baseline(samples)[0] == pytest.approx(6.0)


# ---------------------------------------------------------------- thresholds


def test_three_messages_are_never_a_storm() -> None:
    history = np.zeros(28)
    reading = judge("negative", 3, history, RULES, volume=3)
    assert not reading.abnormal  # below min_negative, however quiet the usual
    assert judge("negative", RULES.min_negative, history, RULES, volume=10).abnormal


def test_twice_the_usual_is_not_enough_when_it_is_noise() -> None:
    history = np.random.default_rng(0).poisson(40, 28).astype(float)
    assert not judge("negative", 60, history, RULES, volume=60).abnormal  # 1.5 x, within noise
    assert judge("negative", 120, history, RULES, volume=120).abnormal
    assert judge("negative", 170, history, RULES, volume=170).severe  # >= 4 x usual


def test_thresholds_are_the_brands() -> None:
    history = np.full(28, 2.0)
    lenient = AlertRules(min_negative=30)
    assert judge("negative", 25, history, RULES, volume=25).abnormal
    assert not judge("negative", 25, history, lenient, volume=25).abnormal


def test_slow_answers_need_enough_messages() -> None:
    history = np.full(28, 60.0)  # an hour, usually
    assert not judge("wait", 600, history, RULES, volume=4).abnormal
    assert judge("wait", 600, history, RULES, volume=40).abnormal
    assert not judge("wait", 200, history, RULES, volume=40).abnormal  # below min_wait_minutes


def test_alert_rules_in_the_brands_file_are_validated() -> None:
    text = """
brands:
  - id: acme
    name: Acme
    accounts: [{platform: x, id: acme}]
    alerts:
      min_negative: 25
      quiet_hours: {start: "22:00", end: "07:30"}
      webhooks: [{kind: slack, url: "https://hooks.slack.com/services/T/B/X"}]
"""
    brand = parse_brands(text).get("acme")
    assert brand.alerts.min_negative == 25 and brand.alerts.quiet_hours is not None
    with pytest.raises(ConfigError, match=r"alerts\.severe_ratio"):
        parse_brands(text.replace("min_negative: 25", "ratio: 5\n      severe_ratio: 3"))
    with pytest.raises(ConfigError, match=r"alerts\.webhooks\.0\.url"):
        parse_brands(text.replace("https://hooks", "http://hooks"))
    with pytest.raises(ConfigError, match=r"alerts\.min_negatives"):
        parse_brands(text.replace("min_negative", "min_negatives"))


# ---------------------------------------------------------------- incidents


def test_a_storm_is_one_incident_with_its_start_peak_and_end() -> None:
    rows = _calm_history(40, 20)
    storm = pd.Timestamp("2026-10-05T08:00Z")
    for k in range(90):  # 90 complaints over 30 hours, nobody answers
        at = storm + pd.Timedelta(minutes=20 * k)
        rows.append((f"s{k}", at.isoformat(), "negative", None))
    w = watch(
        "acme", _messages(rows), pd.Timestamp("2026-10-01T00:00Z"), pd.Timestamp("2026-10-10T00:00Z"), RULES
    )
    assert len(w.incidents) == 1
    incident = w.incidents[0]
    assert storm - pd.Timedelta(hours=1) <= incident.began_at <= storm + pd.Timedelta(hours=2)
    assert incident.detected_at < storm + pd.Timedelta(hours=8)
    # Resolved once the unanswered complaints leave the 48 h backlog window (and 6 calm hours).
    assert incident.resolved_at is not None
    assert pd.Timestamp("2026-10-07T14:00Z") < incident.resolved_at <= pd.Timestamp("2026-10-08T21:00Z")
    assert incident.severe and "negative" in incident.metrics and "backlog" in incident.metrics
    assert incident.negative_messages >= 90 and incident.unanswered_messages == 90
    assert incident.peak_negative >= 70 and incident.usual_negative < 10
    assert incident.platforms[0][0] == "x" and len(incident.examples) == 3
    assert incident.id == f"acme-{incident.detected_at.strftime('%Y%m%dT%H')}"


def test_an_ongoing_storm_has_no_end_and_keeps_its_id() -> None:
    rows = _calm_history(40, 20)
    for k in range(60):
        rows.append((f"s{k}", (pd.Timestamp("2026-10-08T06:00Z") + pd.Timedelta(minutes=15 * k)).isoformat(), "negative", None))  # fmt: skip
    messages = _messages(rows)
    ids = set()
    for end in ("2026-10-08T20:00Z", "2026-10-09T03:00Z"):
        w = watch("acme", messages, pd.Timestamp("2026-09-30T00:00Z"), pd.Timestamp(end), RULES)
        assert len(w.incidents) == 1 and w.incidents[0].ongoing
        ids.add(w.incidents[0].id)
    assert len(ids) == 1


def test_a_calm_month_has_no_incident_and_a_daily_pulse_per_platform() -> None:
    rows = _calm_history(60, 25, seed=7)
    w = watch(
        "acme", _messages(rows), pd.Timestamp("2026-10-01T00:00Z"), pd.Timestamp("2026-10-31T00:00Z"), RULES
    )
    assert w.incidents == []
    latest = w.latest[ALL]
    assert set(w.latest) == {ALL, "x"}
    assert 10 <= latest.inbound <= 45 and latest.negative <= latest.inbound
    assert latest.wait_median_minutes is not None and 20 <= latest.wait_median_minutes <= 90


def test_too_little_history_judges_nothing() -> None:
    rows = _calm_history(5, 20, start="2026-10-01")
    rows += [(f"s{k}", "2026-10-05T12:00:00+00:00", "negative", None) for k in range(50)]
    w = watch(
        "acme", _messages(rows), pd.Timestamp("2026-10-01T00:00Z"), pd.Timestamp("2026-10-06T00:00Z"), RULES
    )
    assert w.incidents == []


def test_the_demo_month_has_one_incident_for_the_planted_brand_only(demo_tables) -> None:  # type: ignore[no-untyped-def]
    from pulse.config import load_brands
    from pulse.pipeline import score_sentiment
    from pulse.settings import Settings

    found = {}
    for brand in load_brands():
        w = watch(
            brand.id,
            score_sentiment(demo_tables[brand.id].messages, Settings()),
            pd.Timestamp(datetime(2026, 10, 1, tzinfo=UTC)),
            pd.Timestamp(datetime(2026, 11, 1, tzinfo=UTC)),
            brand.alerts,
        )
        found[brand.id] = w.incidents
    assert {b: len(i) for b, i in found.items()} == {
        "maison-lumiere": 1, "brightbank": 0, "cafe-boreal": 0, "northwind-outdoor": 0,
    }  # fmt: skip
    outage = found["maison-lumiere"][0]
    local = outage.began_at.tz_convert("Europe/Paris")
    assert local.day == 13 and local.month == 10  # the planted carrier outage, 13-15 October


# ---------------------------------------------------------------- against a slow reference

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from pulse.watch.detect import DAY_US, HOUR_US, _backlog, _wait_medians, _window_counts  # noqa: E402

_times = st.lists(st.integers(0, 10 * DAY_US), min_size=0, max_size=60)


@settings(max_examples=60, deadline=None)
@given(
    created=_times,
    delays=st.lists(st.one_of(st.none(), st.integers(1, 3 * DAY_US)), min_size=60, max_size=60),
)
def test_hourly_series_match_a_slow_loop(created: list[int], delays: list[int | None]) -> None:
    created_sorted = np.array(sorted(created), dtype=np.int64)
    reply = np.array(
        [
            c + d if d is not None else np.iinfo(np.int64).max
            for c, d in zip(created_sorted, delays, strict=False)
        ],
        dtype=np.int64,
    )
    grid = np.arange(0, 11 * DAY_US, 5 * HOUR_US, dtype=np.int64)
    counts = _window_counts(created_sorted, grid, DAY_US)
    backlog = _backlog(created_sorted, reply, grid)
    medians, volume = _wait_medians(created_sorted, reply, grid)
    for i, t in enumerate(grid):
        window = [k for k, c in enumerate(created_sorted) if t - DAY_US <= c < t]
        assert counts[i] == len(window) == volume[i]
        waiting = [k for k, c in enumerate(created_sorted) if t - 48 * HOUR_US < c < t and reply[k] > t]
        assert backlog[i] == len(waiting)
        if window:
            waits = [(min(int(reply[k]), int(t)) - int(created_sorted[k])) / 60_000_000 for k in window]
            assert medians[i] == pytest.approx(float(np.median(waits)))
        else:
            assert np.isnan(medians[i])
