"""The import contract of docs/import.md: CSV and Parquet exports -> canonical tables."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pulse.exceptions import DataError
from pulse.ingest import read_table, read_tables

POSTS_HEADER = (
    "platform,account,post_id,created_at,text,impressions,reach,likes,comments,shares,saves,clicks,extra\n"
)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_with_quoted_commas_newlines_emoji_and_html(tmp_path: Path) -> None:
    path = write(
        tmp_path / "posts.csv",
        POSTS_HEADER
        + 'X,brand,1,2026-03-01T00:30:00+01:00,"Hello, ""world""\nsecond line 🎉 <b>bold</b> &amp;",100,,1,2,,,5,ignored\n'
        + "mastodon,brand,1,2026-03-02T10:00:00Z,plain,,,,,,,,\n",
    )
    posts = read_table("posts", path)
    assert len(posts) == 2
    first = posts.iloc[0]
    assert first["platform"] == "x"  # platform names are lower-cased
    assert first["text"] == 'Hello, "world"\nsecond line 🎉 <b>bold</b> &amp;'
    assert first["created_at"] == pd.Timestamp("2026-02-28T23:30:00Z")
    assert first["impressions"] == 100 and pd.isna(first["reach"])  # empty reach is unknown
    assert [first[c] for c in ("likes", "comments", "shares", "saves", "clicks")] == [1, 2, 0, 0, 5]
    assert "extra" not in posts.columns
    second = posts.iloc[1]
    assert pd.isna(second["impressions"]) and second["likes"] == 0


def test_parquet_with_the_same_columns(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "platform": ["x", "x"],
            "account": ["a", "a"],
            "message_id": [1, 2],  # integer ids become strings
            "created_at": pd.to_datetime(["2026-03-01T10:00:00+02:00", "2026-03-01T09:00:00Z"], utc=True),
            "author": ["c", "brand"],
            "from_brand": [False, True],
            "in_reply_to": [None, "1"],
            "text": ["hi, there", "hello"],
            "sentiment": ["Positive", None],
        }
    )
    frame.to_parquet(tmp_path / "messages.parquet")
    messages = read_table("messages", tmp_path / "messages.parquet")
    assert list(messages["message_id"]) == ["1", "2"]
    assert messages["created_at"].iloc[0] == pd.Timestamp("2026-03-01T08:00:00Z")
    assert list(messages["from_brand"]) == [False, True]
    assert messages["sentiment"].iloc[0] == "positive"


def test_missing_column_names_file_and_column(tmp_path: Path) -> None:
    path = write(tmp_path / "posts.csv", "platform,account,post_id,created_at\nx,a,1,2026-03-01T00:00:00Z\n")
    with pytest.raises(DataError, match=r"posts\.csv: missing required column\(s\) impressions, reach"):
        read_table("posts", path)


@pytest.mark.parametrize(
    "value",
    ["2026-03-01", "2026-03-01T10:00:00", "not a date", "2026-02-30T10:00:00Z", "01/03/2026 10:00 +01:00"],
)
def test_bad_timestamp_names_file_row_and_column(tmp_path: Path, value: str) -> None:
    path = write(
        tmp_path / "messages.csv",
        "platform,account,message_id,created_at,author,from_brand,in_reply_to,text,sentiment\n"
        "x,a,1,2026-03-01T10:00:00Z,c,false,,ok,\n"
        f'x,a,2,"{value}",c,false,,"multi\nline",\n',
    )
    with pytest.raises(DataError, match=r"messages\.csv, row 2, column created_at: .* ISO 8601"):
        read_table("messages", path)


@pytest.mark.parametrize("value", ["12.5", "-3", "1,000", "abc"])
def test_bad_number_names_file_row_and_column(tmp_path: Path, value: str) -> None:
    path = write(tmp_path / "posts.csv", POSTS_HEADER + f'x,a,1,2026-03-01T00:00:00Z,t,"{value}",,,,,,,\n')
    with pytest.raises(DataError, match=r"posts\.csv, row 1, column impressions: .*whole number"):
        read_table("posts", path)


def test_booleans_in_any_case_and_bad_boolean(tmp_path: Path) -> None:
    header = "platform,account,message_id,created_at,from_brand,in_reply_to\n"
    path = write(
        tmp_path / "m.csv",
        header
        + "x,a,1,2026-03-01T00:00:00Z,TRUE,\nx,a,2,2026-03-01T00:00:00Z,false,\nx,a,3,2026-03-01T00:00:00Z, True ,\n",
    )
    assert list(read_table("messages", path)["from_brand"]) == [True, False, True]
    bad = write(tmp_path / "bad.csv", header + "x,a,1,2026-03-01T00:00:00Z,yes,\n")
    with pytest.raises(DataError, match=r"bad\.csv, row 1, column from_brand: 'yes' is not true or false"):
        read_table("messages", bad)


def test_bad_sentiment_and_analyzer_for_empty_ones(tmp_path: Path) -> None:
    header = "platform,account,message_id,created_at,from_brand,in_reply_to,text,sentiment\n"
    path = write(
        tmp_path / "m.csv",
        header + "x,a,1,2026-03-01T00:00:00Z,false,,great,\nx,a,2,2026-03-01T00:00:00Z,false,,meh,NEUTRAL\n",
    )
    plain = read_table("messages", path)
    assert pd.isna(plain["sentiment"].iloc[0]) and plain["sentiment"].iloc[1] == "neutral"
    scored = read_table("messages", path, analyzer=lambda texts: ["positive" for _ in texts])
    assert list(scored["sentiment"]) == ["positive", "neutral"]
    bad = write(tmp_path / "bad.csv", header + "x,a,1,2026-03-01T00:00:00Z,false,,t,happy\n")
    with pytest.raises(DataError, match=r"bad\.csv, row 1, column sentiment"):
        read_table("messages", bad)


def test_followers_dates_and_required_count(tmp_path: Path) -> None:
    path = write(
        tmp_path / "f.csv", "platform,account,date,followers\nx,a,2026-03-01,10\nx,a,2026-03-02,12\n"
    )
    followers = read_table("followers", path)
    assert list(followers["followers"]) == [10, 12]
    assert followers["date"].iloc[0] == pd.Timestamp("2026-03-01")
    bad = write(tmp_path / "g.csv", "platform,account,date,followers\nx,a,2026-03-01,\n")
    with pytest.raises(DataError, match=r"g\.csv, row 1, column followers: empty value"):
        read_table("followers", bad)
    bad_date = write(tmp_path / "h.csv", "platform,account,date,followers\nx,a,1/3/2026,4\n")
    with pytest.raises(DataError, match=r"h\.csv, row 1, column date"):
        read_table("followers", bad_date)


def test_same_key_twice_keeps_the_last_row(tmp_path: Path) -> None:
    path = write(
        tmp_path / "posts.csv",
        POSTS_HEADER + "x,a,1,2026-03-01T00:00:00Z,t,10,,,,,,,\nx,a,1,2026-03-01T00:00:00Z,t,25,,,,,,,\n"
        "instagram,a,1,2026-03-01T00:00:00Z,t,5,,,,,,,\n",
    )
    posts = read_table("posts", path)
    assert sorted(zip(posts["platform"], posts["impressions"], strict=True)) == [("instagram", 5), ("x", 25)]


def test_text_that_looks_like_null_stays_text_and_utf8_errors(tmp_path: Path) -> None:
    header = "platform,account,message_id,created_at,from_brand,in_reply_to,text\n"
    path = write(tmp_path / "m.csv", header + "x,a,NA,2026-03-01T00:00:00Z,false,null,NA\n")
    messages = read_table("messages", path)
    assert messages["message_id"].iloc[0] == "NA" and messages["in_reply_to"].iloc[0] == "null"
    latin = tmp_path / "latin.csv"
    latin.write_bytes((header + "x,a,1,2026-03-01T00:00:00Z,false,,caf\xe9\n").encode("latin-1"))
    with pytest.raises(DataError, match=r"latin\.csv: not UTF-8"):
        read_table("messages", latin)


def test_read_tables_leaves_missing_files_empty(tmp_path: Path) -> None:
    path = write(tmp_path / "f.csv", "platform,account,date,followers\nx,a,2026-03-01,10\n")
    tables = read_tables(followers=path)
    assert tables.counts() == {"posts": 0, "messages": 0, "followers": 1, "account_daily": 0}
