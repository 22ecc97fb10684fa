"""Counts that cannot be true are refused where every import path meets them; sums never wrap."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from pulse.exceptions import DataError
from pulse.ingest.files import read_table
from pulse.kpis import compute_kpis
from pulse.period import Month
from pulse.tables import MAX_COUNT, Tables, normalize

HEADER = "platform,account,post_id,created_at,impressions,reach,likes,comments,shares,saves,clicks\n"
GOOD_ROW = "x,acme,1,2026-10-01T09:00:00Z,10,5,1,0,0,0,0\n"

IMPOSSIBLE: list[Any] = [1e30, float("inf"), float("-inf"), 2**63, 2**64 + 1, -5, 3.5, MAX_COUNT + 1, True]
IMPOSSIBLE_TEXT = ["1e30", "inf", "-5", "3.5", "١٢", "１２", "99999999999999999999", "9" * 5000, "0x10"]


def posts_with(likes: list[Any]) -> pd.DataFrame:
    n = len(likes)
    return pd.DataFrame(
        {
            "platform": ["x"] * n,
            "account": ["acme"] * n,
            "post_id": [str(i) for i in range(n)],
            "created_at": ["2026-10-01T09:00:00Z"] * n,
            "likes": likes,
        }
    )


@pytest.mark.parametrize("value", IMPOSSIBLE + IMPOSSIBLE_TEXT, ids=repr)
def test_normalize_refuses_a_count_that_cannot_be_true(value: Any) -> None:
    with pytest.raises(DataError, match=r"^feed\.json: posts\.likes, row 2: .* is not a count"):
        normalize("posts", posts_with([1, value]), where="feed.json")


def test_normalize_keeps_every_possible_count() -> None:
    posts = normalize("posts", posts_with([0, MAX_COUNT, "12", " 7 ", 4.0, None, np.nan]))
    assert posts["likes"].tolist() == [0, MAX_COUNT, 12, 7, 4, 0, 0]  # missing engagement = 0


def test_followers_are_counts_too() -> None:
    frame = pd.DataFrame({"platform": ["x"], "account": ["a"], "date": ["2026-10-01"], "followers": [-1]})
    with pytest.raises(DataError, match=r"followers\.followers, row 1: -1 is not a count"):
        normalize("followers", frame)


@pytest.mark.parametrize("text", IMPOSSIBLE_TEXT, ids=repr)
def test_a_csv_import_names_file_row_and_column(tmp_path: Path, text: str) -> None:
    path = tmp_path / "posts.csv"
    path.write_text(
        HEADER + GOOD_ROW + f"x,acme,2,2026-10-01T09:00:00Z,10,5,{text},0,0,0,0\n", encoding="utf-8"
    )
    with pytest.raises(DataError, match=r"^posts\.csv, row 2, column likes: "):
        read_table("posts", path)


@pytest.mark.parametrize(
    "column", [np.array([1.0, np.inf]), np.array([1.0, 1e30]), np.array([1, 2**63 + 5], dtype="uint64")]
)
def test_a_parquet_import_names_file_row_and_column(tmp_path: Path, column: np.ndarray) -> None:
    frame = pd.read_csv(pd.io.common.StringIO(HEADER + GOOD_ROW + GOOD_ROW.replace(",1,", ",2,", 1)))
    frame["impressions"] = column
    path = tmp_path / "posts.parquet"
    frame.to_parquet(path)
    with pytest.raises(DataError, match=r"^posts\.parquet, row 2, column impressions: .* is not a count"):
        read_table("posts", path)


def test_kpi_sums_at_the_cap_do_not_wrap() -> None:
    """20,000 posts of 10^15 impressions: int64 would wrap to a negative total."""
    n = 20_000
    posts = normalize(
        "posts",
        pd.DataFrame(
            {
                "platform": ["x"] * n,
                "account": ["acme"] * n,
                "post_id": [str(i) for i in range(n)],
                "created_at": ["2026-10-10T09:00:00Z"] * n,
                "impressions": [MAX_COUNT] * n,
                "likes": [MAX_COUNT] * n,
            }
        ),
    )
    kpis = compute_kpis(Tables(posts=posts), Month(2026, 10).period("UTC"))
    assert kpis.impressions == n * MAX_COUNT
    assert kpis.engagements == n * MAX_COUNT
