from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from pulse.exceptions import DataError, StorageError
from pulse.lake import Lake
from pulse.period import Month
from pulse.sources import DemoSource
from pulse.storage import LocalStore
from pulse.tables import Tables, normalize


def test_normalize_coerces_and_fills() -> None:
    frame = pd.DataFrame(
        {
            "platform": ["x"],
            "account": ["a"],
            "post_id": [123],
            "created_at": ["2026-10-01T00:30:00+02:00"],
            "impressions": [None],
            "likes": ["4"],
            "unrelated": ["ignored"],
        }
    )
    posts = normalize("posts", frame)
    assert posts.loc[0, "post_id"] == "123"
    assert posts.loc[0, "created_at"] == pd.Timestamp("2026-09-30T22:30:00Z")
    assert pd.isna(posts.loc[0, "impressions"])  # unknown stays unknown
    assert posts.loc[0, "likes"] == 4 and posts.loc[0, "shares"] == 0  # missing counts are 0
    assert "unrelated" not in posts.columns


def test_normalize_names_the_problem() -> None:
    with pytest.raises(DataError, match=r"missing required column.*created_at"):
        normalize("posts", pd.DataFrame({"platform": ["x"], "account": ["a"], "post_id": ["1"]}))
    bad = pd.DataFrame(
        {
            "platform": ["x"],
            "account": ["a"],
            "message_id": ["1"],
            "created_at": ["2026-10-01"],
            "from_brand": ["maybe"],
        }
    )
    with pytest.raises(DataError, match=r"messages\.from_brand"):
        normalize("messages", bad)


def test_write_is_idempotent_and_partitioned(tmp_path, french_brand) -> None:  # type: ignore[no-untyped-def]
    lake = Lake(LocalStore(tmp_path))
    source = DemoSource()
    batch = source.fetch(french_brand, datetime(2026, 9, 25, tzinfo=UTC), datetime(2026, 10, 5, tzinfo=UTC))
    first = lake.write(french_brand.id, french_brand.tz, batch)
    again = lake.write(french_brand.id, french_brand.tz, batch)
    assert sum(first.new.values()) == sum(batch.counts().values())
    assert sum(again.new.values()) == 0
    assert again.updated == {k: v for k, v in batch.counts().items()}
    assert lake.months("posts", french_brand.id) == [Month(2026, 9), Month(2026, 10)]
    stored = lake.read("messages", french_brand.id, [Month(2026, 9), Month(2026, 10)])
    assert len(stored) == len(batch.messages)
    assert not stored.duplicated(["platform", "message_id"]).any()


def test_posts_fall_in_their_local_month(tmp_path, french_brand) -> None:  # type: ignore[no-untyped-def]
    lake = Lake(LocalStore(tmp_path))
    posts = normalize(
        "posts",
        pd.DataFrame(
            {
                "platform": ["x", "x"],
                "account": ["a", "a"],
                "post_id": ["late-sept-utc", "oct"],
                # 30 Sept 22:30 UTC is 1 October 00:30 in Paris.
                "created_at": ["2026-09-30T22:30:00Z", "2026-10-15T10:00:00Z"],
            }
        ),
    )
    lake.write(french_brand.id, french_brand.tz, Tables(posts=posts))
    assert lake.months("posts", french_brand.id) == [Month(2026, 10)]


def test_newer_metrics_replace_older(tmp_path, french_brand) -> None:  # type: ignore[no-untyped-def]
    lake = Lake(LocalStore(tmp_path))
    row = {"platform": ["x"], "account": ["a"], "post_id": ["1"], "created_at": ["2026-10-02T10:00:00Z"]}
    lake.write(
        french_brand.id,
        french_brand.tz,
        Tables(posts=normalize("posts", pd.DataFrame({**row, "likes": [1]}))),
    )
    summary = lake.write(
        french_brand.id,
        french_brand.tz,
        Tables(posts=normalize("posts", pd.DataFrame({**row, "likes": [9]}))),
    )
    assert summary.updated["posts"] == 1
    assert lake.read("posts", french_brand.id, [Month(2026, 10)])["likes"].tolist() == [9]


def test_report_reads_only_the_months_it_needs(tmp_path, french_brand, demo_tables) -> None:  # type: ignore[no-untyped-def]
    store = LocalStore(tmp_path)
    lake = Lake(store)
    lake.write(french_brand.id, french_brand.tz, demo_tables[french_brand.id])
    read_keys: list[str] = []
    original = store.get
    store.get = lambda key: read_keys.append(key) or original(key)  # type: ignore[method-assign]
    lake.read_for_report(french_brand.id, Month(2026, 10))
    assert read_keys, "nothing read"
    assert all(f"brand={french_brand.id}/" in k for k in read_keys)
    posts_months = sorted(k.split("month=")[1][:7] for k in read_keys if k.startswith("lake/posts/"))
    assert posts_months == ["2026-09", "2026-10"]


def test_store_rejects_escaping_keys(tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = LocalStore(tmp_path)
    for key in ("../x", "/etc/passwd", "a/../../b", "a//b", "reports/a b"):
        with pytest.raises(StorageError):
            store.put(key, b"x")


def _days(rows: list[dict[str, object]]) -> pd.DataFrame:
    return normalize("account_daily", pd.DataFrame(rows))


def test_account_days_merge_column_by_column(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """An unknown (empty) newer value keeps the known one; a known newer value replaces it."""
    lake = Lake(LocalStore(tmp_path))
    tz = ZoneInfo("Europe/Paris")
    day = {"platform": "facebook", "account": "p1", "date": "2026-10-31"}
    lake.write("b", tz, Tables(account_daily=_days([{**day, "views": 100, "followers_gained": 5}])))
    summary = lake.write("b", tz, Tables(account_daily=_days([{**day, "views": None, "followers_lost": 2}])))
    assert summary.updated["account_daily"] == 1 and summary.new["account_daily"] == 0
    lake.write("b", tz, Tables(account_daily=_days([{**day, "views": 120}])))
    stored = lake.read("account_daily", "b", [Month.parse("2026-10")])
    assert len(stored) == 1
    row = stored.iloc[0]
    assert (row["views"], row["followers_gained"], row["followers_lost"]) == (120, 5, 2)
    assert pd.isna(row["reach"])  # never given: unknown, not 0
    assert lake.write("b", tz, Tables(account_daily=_days([{**day, "views": 120}]))).new["account_daily"] == 0


def test_account_days_are_counts(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DataError, match=r"account_daily\.followers_lost"):
        _days([{"platform": "x", "account": "a", "date": "2026-10-01", "followers_lost": -3}])
    with pytest.raises(DataError, match=r"account_daily\.views"):
        _days([{"platform": "x", "account": "a", "date": "2026-10-01", "views": 10**16}])


def test_a_lake_from_before_account_days_still_reads(tmp_path, french_brand) -> None:  # type: ignore[no-untyped-def]
    lake = Lake(LocalStore(tmp_path))
    followers = normalize("followers", pd.DataFrame([{"platform": "x", "account": "a", "date": "2026-10-02",
                                                      "followers": 10}]))  # fmt: skip
    lake.write(french_brand.id, french_brand.tz, Tables(followers=followers))
    assert not any(o.key.startswith("lake/account_daily/") for o in lake.store.list("lake/"))
    tables = lake.read_for_report(french_brand.id, Month.parse("2026-10"))
    assert tables.account_daily.empty and list(tables.account_daily.columns)[:3] == [
        "platform",
        "account",
        "date",
    ]
    assert len(tables.followers) == 1
