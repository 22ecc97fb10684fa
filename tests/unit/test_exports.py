"""Platform exports (docs/import.md): recognised by header, EN and FR, same KPIs as the canonical files."""

from __future__ import annotations

import csv
import io
import shutil
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pulse.exceptions import DataError
from pulse.ingest.coverage import NOT_FROM_EXPORTS, notes_for, read_coverage, record_tables
from pulse.ingest.exports import (
    ImportContext,
    UnknownExportError,
    import_into_lake,
    read_export,
    read_files,
    values,
)
from pulse.kpis import compute_kpi_set
from pulse.lake import Lake
from pulse.period import Month
from pulse.storage import LocalStore
from tests.fixtures.exports.make_fixtures import (
    ACCOUNTS,
    EN_MONTHS,
    FR_MONTHS,
    X_FOLLOWERS_END,
    YT_FOLLOWERS_END,
)

FIXTURES = Path(__file__).parents[1] / "fixtures" / "exports"
PARIS = ZoneInfo("Europe/Paris")
MARCH = Month(2026, 3)
PLATFORMS = sorted(ACCOUNTS)
COUNTS = {"x": X_FOLLOWERS_END, "youtube": YT_FOLLOWERS_END}
# X writes its files in English whatever the interface language: the French set uses the English X files.
X_FILES = sorted((FIXTURES / "en").glob("account_*.csv"))


def context() -> ImportContext:
    return ImportContext("acme", PARIS, dict(ACCOUNTS))


def native_files(lang: str) -> list[Path]:
    files = sorted((FIXTURES / lang).iterdir())
    return files if lang == "en" else [*files, *X_FILES]


def kpis_of(lake: Lake) -> dict[str, object]:
    tables = lake.read_for_report("acme", MARCH)
    return compute_kpi_set(tables, MARCH.period(PARIS), platforms=PLATFORMS).to_dict()


ACCOUNT_DAY_KPIS = ("followers_gained", "followers_lost", "account_views", "account_reach_daily_average")


def without_account_days(result: object) -> object:
    if isinstance(result, dict):
        return {k: without_account_days(v) for k, v in result.items() if k not in ACCOUNT_DAY_KPIS}
    return result


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_exports_give_the_same_kpis_as_the_canonical_files(tmp_path: Path, lang: str) -> None:
    native = Lake(LocalStore(tmp_path / "native"))
    outcome = import_into_lake(native_files(lang), context(), native, counts_at_end=COUNTS)
    assert outcome.batch.warnings == []
    canonical = Lake(LocalStore(tmp_path / "canonical"))
    import_into_lake(sorted((FIXTURES / "canonical").glob("*.csv")), context(), canonical)
    result = kpis_of(native)
    # The exports carry the account's daily follows and unfollows (X overview) beside what the canonical
    # files hold: the same KPIs once those are set aside, and the same follower growth from either.
    x_days = result["by_platform"]["x"]  # type: ignore[index]
    assert x_days["followers_gained"] is not None and x_days["followers_lost"] is not None
    assert without_account_days(result) == without_account_days(kpis_of(canonical))
    # The numbers are the fixtures' (not two equally empty reports).
    assert result["kpis"]["posts"] == 13 and result["by_platform"]["youtube"]["impressions"] == 43750
    assert result["by_platform"]["facebook"]["reach"] == 9876 + 3100 + 1200
    assert result["by_platform"]["x"]["followers_end"] == X_FOLLOWERS_END
    assert result["by_platform"]["tiktok"]["followers_start"] == 5000  # the count of 28 February


@pytest.mark.parametrize(
    ("name", "formats", "language"),
    [
        ("en/account_analytics_content_2026-02-27_2026-03-31.csv", ["x-content"], "en"),
        ("en/account_overview_analytics_2026-02-28_2026-03-31.csv", ["x-overview"], "en"),
        ("en/facebook_posts_en.csv", ["facebook-posts"], "en"),
        ("fr/facebook_posts_fr.csv", ["facebook-posts"], "fr"),
        ("fr/instagram_posts_fr.csv", ["instagram-posts"], "fr"),
        ("fr/facebook_follows_fr.csv", ["meta-follows"], "fr"),
        ("en/linkedin_content_en.xls", ["linkedin-content"], "en"),
        ("fr/linkedin_content_fr.xlsx", ["linkedin-content"], "fr"),
        ("fr/youtube_content_fr.zip", ["youtube-table", "youtube-chart", "youtube-chart"], "fr"),
        ("en/youtube_subscribers_en.csv", ["youtube-chart-subscribers"], "en"),
        ("fr/tiktok_content_fr.csv", ["tiktok-content"], "fr"),
        ("fr/tiktok_followers_fr.csv", ["tiktok-followers"], "fr"),
    ],
)
def test_each_export_is_recognised_by_its_header(name: str, formats: list[str], language: str) -> None:
    results = read_export(FIXTURES / name, context())
    assert [r.format.key for r in results] == formats
    assert results[0].language == language


def test_title_rows_bom_utf16_and_total_rows_are_not_data() -> None:
    follows = read_export(FIXTURES / "en" / "facebook_follows_en.csv", context())[0]
    assert follows.platform == "facebook" and follows.rows == 24  # UTF-16, sep=, and a title line
    assert follows.tables.counts() == {
        "posts": 0,
        "messages": 0,
        "followers": 0,
        "account_daily": 0,
    }  # gains only
    table = read_export(FIXTURES / "fr" / "youtube_content_fr.zip", context())[0]
    assert list(table.tables.posts["post_id"]) == ["dQw4w9WgXcQ", "a1B2c3D4e5F"]  # the "Total" row is skipped
    assert list(table.tables.posts["impressions"]) == [2500, 41250]  # "41 250" with a narrow no-break space


def test_semicolon_separated_files_with_commas_in_the_text(tmp_path: Path) -> None:
    source = (FIXTURES / "fr" / "tiktok_content_fr.csv").read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(source)))
    rows[1][0] = (
        "Coulisses, backstage, et plus, encore, et encore, et toujours, vraiment, oui, non, peut-être"
    )
    path = tmp_path / "tiktok.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, delimiter=";").writerows(rows)
    posts = read_export(path, context())[0].tables.posts
    assert list(posts["impressions"]) == [18400, 3300]


def test_times_without_offset_are_read_in_the_brand_time_zone() -> None:
    posts = read_export(FIXTURES / "fr" / "facebook_posts_fr.csv", context())[0].tables.posts
    # "01/03/2026 00:30" in Paris is 28 February 23:30 UTC; after the DST change, 31/03 23:59 is 21:59 UTC.
    assert list(posts["created_at"]) == [
        pd.Timestamp("2026-02-28T23:30Z"),
        pd.Timestamp("2026-03-15T17:05Z"),
        pd.Timestamp("2026-03-31T21:59Z"),
    ]
    new_york = ImportContext("acme", ZoneInfo("America/New_York"), dict(ACCOUNTS))
    shifted = read_export(FIXTURES / "fr" / "facebook_posts_fr.csv", new_york)[0].tables.posts
    assert shifted["created_at"].iloc[0] == pd.Timestamp("2026-03-01T05:30Z")


def test_overlapping_reimport_updates_metrics_and_never_duplicates(tmp_path: Path) -> None:
    header = "Post id,Date,Post text,Post Link,Impressions,Likes,Engagements,Bookmarks,Shares,New follows,Replies,Reposts,URL Clicks\n"
    week1 = tmp_path / "account_analytics_content_2026-03-01_2026-03-28.csv"
    week1.write_text(
        header
        + '1,"Sun, Mar 1, 2026",a,https://x.com/acme_x/status/1,100,1,1,0,0,0,0,0,0\n'
        + '2,"Tue, Mar 10, 2026",b,https://x.com/acme_x/status/2,200,2,2,0,0,0,0,0,0\n',
        encoding="utf-8",
    )
    week2 = tmp_path / "account_analytics_content_2026-03-08_2026-04-04.csv"
    week2.write_text(
        header
        + '2,"Tue, Mar 10, 2026",b,https://x.com/acme_x/status/2,900,9,9,0,0,0,0,0,0\n'
        + '3,"Wed, Mar 25, 2026",c,https://x.com/acme_x/status/3,300,3,3,0,0,0,0,0,0\n',
        encoding="utf-8",
    )
    lake = Lake(LocalStore(tmp_path / "archive"))
    import_into_lake([week1], context(), lake)
    second = import_into_lake([week2], context(), lake)
    assert (second.written.new["posts"], second.written.updated["posts"]) == (1, 1)
    posts = lake.read("posts", "acme", [MARCH]).set_index("post_id")
    assert sorted(posts.index) == ["1", "2", "3"]
    assert (
        posts.loc["2", "impressions"] == 900 and posts.loc["1", "impressions"] == 100
    )  # the later file wins
    before = lake.read("posts", "acme", [MARCH])
    again = import_into_lake([week2], context(), lake)
    assert again.written.new["posts"] == 0
    pd.testing.assert_frame_equal(lake.read("posts", "acme", [MARCH]), before)
    # A folder stands for its files in name order: week 2's name sorts last, so its numbers win.
    assert read_files([tmp_path], context()).tables.posts.set_index("post_id").loc["2", "impressions"] == 900
    # Within one command, the later file wins too.
    both = read_files([week2, week1], context()).tables.posts.set_index("post_id")
    assert both.loc["2", "impressions"] == 200


def test_an_unknown_file_lists_the_known_formats_and_the_columns_seen(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text("Tweet,Vues totales,Quand\nbonjour,12,hier\n", encoding="utf-8")
    with pytest.raises(UnknownExportError) as caught:
        read_files([path], context())
    message = str(caught.value)
    assert "export.csv: not a known export. Columns seen: export.csv: Tweet, Vues totales, Quand" in message
    for key in (
        "x-content",
        "facebook-posts",
        "instagram-posts",
        "linkedin-content",
        "youtube-table",
        "tiktok-content",
    ):
        assert key in message
    assert "canonical posts, messages or followers" in message


def test_a_bad_cell_names_file_row_and_column(tmp_path: Path) -> None:
    source = (FIXTURES / "fr" / "facebook_posts_fr.csv").read_text(encoding="utf-8-sig")
    lines = source.split("\n")
    broken = tmp_path / "facebook_posts_fr.csv"
    # Row 2 (the post written over two lines counts once) gets a decimal where a count belongs.
    broken.write_text(source.replace(",4\u202f000,", ',"4,5",'), encoding="utf-8-sig")
    assert len(lines) > 3
    with pytest.raises(
        DataError, match=r"facebook_posts_fr\.csv, row 2, column Vues: '4,5' is not a whole number"
    ):
        read_files([broken], context())
    dates = tmp_path / "tiktok_content_en.csv"
    dates.write_text(
        (FIXTURES / "en" / "tiktok_content_en.csv")
        .read_text(encoding="utf-8")
        .replace("2026-03-22 21:30:00", "soon"),
        encoding="utf-8",
    )
    with pytest.raises(
        DataError, match=r"tiktok_content_en\.csv, row 2, column Post time: 'soon' is not a date"
    ):
        read_files([dates], context())


def test_a_bad_cell_in_a_workbook_names_the_sheet(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    book = load_workbook(FIXTURES / "fr" / "linkedin_content_fr.xlsx")
    book["Toutes les publications"]["H4"] = "beaucoup"
    path = tmp_path / "linkedin.xlsx"
    book.save(path)
    with pytest.raises(
        DataError,
        match=r"linkedin\.xlsx \(sheet 'Toutes les publications'\), row 2, column Impressions: 'beaucoup'",
    ):
        read_files([path], context())


def test_a_platform_the_brand_does_not_have_is_flagged() -> None:
    ctx = ImportContext("acme", PARIS, {"x": "acme_x"})
    batch = read_files([FIXTURES / "en" / "tiktok_content_en.csv"], ctx)
    assert batch.warnings == [
        "tiktok: acme has no tiktok account in the brands file; the rows are stored under the brand's id "
        "but its reports show only its own platforms (add the account)"
    ]
    assert set(batch.tables.posts["account"]) == {"acme"}


def test_follower_changes_need_a_known_count(tmp_path: Path) -> None:
    lake = Lake(LocalStore(tmp_path / "archive"))
    overview = FIXTURES / "en" / "account_overview_analytics_2026-02-28_2026-03-31.csv"
    alone = import_into_lake([overview], context(), lake)
    assert "x: the export gives daily follower changes" in alone.batch.warnings[0]
    assert alone.written.new["followers"] == 0
    # A count already in the lake (here from a followers file) anchors the changes.
    known = tmp_path / "followers.csv"
    known.write_text("platform,account,date,followers\nx,acme_x,2026-03-31,1500\n", encoding="utf-8")
    import_into_lake([known], context(), lake)
    anchored = import_into_lake([overview], context(), lake)
    assert anchored.batch.warnings == []
    canonical = pd.read_csv(FIXTURES / "canonical" / "followers.csv")
    expected = canonical[canonical["platform"] == "x"].set_index("date")["followers"]
    stored = lake.read("followers", "acme", [Month(2026, 2), MARCH])
    got = stored.assign(date=stored["date"].dt.strftime("%Y-%m-%d")).set_index("date")["followers"]
    assert got.astype(int).to_dict() == expected.to_dict()


def test_coverage_says_conversations_are_not_available_from_exports(tmp_path: Path) -> None:
    lake = Lake(LocalStore(tmp_path / "archive"))
    import_into_lake(native_files("en"), context(), lake, counts_at_end=COUNTS)
    march = read_coverage(lake.store, "acme").month("2026-03")
    assert march.tables["posts"]["x"] == ["export:x-content"]
    assert march.tables["followers"]["tiktok"] == ["export:tiktok-followers"]
    assert "facebook" not in march.tables.get("followers", {})  # gains only: fed nothing
    notes = notes_for(march, inbound_messages=0, has_followers=True)
    assert notes["response_rate"] == NOT_FROM_EXPORTS and notes["sentiment"] == NOT_FROM_EXPORTS
    assert "follower_growth" not in notes
    # Once a messages file (or the API) fed the month, a missing value is no longer about exports.
    messages = tmp_path / "messages.csv"
    messages.write_text(
        "platform,account,message_id,created_at,from_brand,in_reply_to\nx,acme_x,m1,2026-03-02T10:00:00Z,false,\n",
        encoding="utf-8",
    )
    import_into_lake([messages], context(), lake)
    assert (
        notes_for(read_coverage(lake.store, "acme").month("2026-03"), inbound_messages=1, has_followers=True)
        == {}
    )


def test_the_daily_fetch_records_its_months_so_they_are_not_exports_only(tmp_path: Path) -> None:
    lake = Lake(LocalStore(tmp_path / "archive"))
    import_into_lake([FIXTURES / "en" / "facebook_posts_en.csv"], context(), lake)
    assert read_coverage(lake.store, "acme").month("2026-03").exports_only()
    fetched = read_files([FIXTURES / "canonical" / "posts.csv"], context()).tables
    record_tables(lake.store, "acme", PARIS, fetched, "api")
    march = read_coverage(lake.store, "acme").month("2026-03")
    assert march.tables["posts"]["facebook"] == ["api", "export:facebook-posts"]
    assert not march.exports_only()
    assert notes_for(march, inbound_messages=0, has_followers=False) == {}


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("1,234", 1234),
        ("1 234", 1234),
        ("1\u202f234", 1234),
        ("1\u00a0234", 1234),
        ("1.234", 1234),
        ("12,0", 12),
        (7.0, 7),
        ("", None),
        ("-", None),
    ],
)
def test_counts_in_any_locale(text: object, number: int | None) -> None:
    assert values.count(text) == number


@pytest.mark.parametrize("text", ["12,5", "4.5", "-3", "1,23", "abc", "12 %", "9" * 16, 1e16])
def test_not_counts(text: str) -> None:
    with pytest.raises(values.CellError):
        values.count(text)


@pytest.mark.parametrize(
    ("text", "order", "utc"),
    [
        ("03/27/2026 06:08", "mdy", "2026-03-27T05:08Z"),
        ("27/03/2026 06:08", "dmy", "2026-03-27T05:08Z"),
        ("Tue, Jul 14, 2026", "mdy", "2026-07-13T22:00Z"),
        ("5 mars 2026", "dmy", "2026-03-04T23:00Z"),
        ("1er juil. 2026 à 10h30", "dmy", "2026-07-01T08:30Z"),
        ("Mar 5, 2026 1:15 PM", "mdy", "2026-03-05T12:15Z"),
        ("2026-03-05T10:00:00", "dmy", "2026-03-05T09:00Z"),
        ("2026-03-05T10:00:00+02:00", "dmy", "2026-03-05T08:00Z"),
        ("2026-03-29 02:30", "dmy", "2026-03-29T01:30Z"),  # a time the DST change skips: read as winter time
    ],
)
def test_timestamps(text: str, order: values.DateOrder, utc: str) -> None:
    assert values.timestamp(text, PARIS, order) == pd.Timestamp(utc).to_pydatetime()


def test_day_first_is_decided_by_the_column() -> None:
    assert values.guess_order(["03/01/2026", "03/15/2026"], "dmy") == "mdy"
    assert values.guess_order(["01/03/2026", "15/03/2026"], "mdy") == "dmy"
    assert values.guess_order(["01/03/2026"], "dmy") == "dmy"


def test_cli_import_of_exports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import typer
    from typer.testing import CliRunner

    from pulse.ingest.cli import register
    from pulse.settings import get_settings

    app = typer.Typer()
    register(app)
    monkeypatch.setenv("PULSE_ARCHIVE", str(tmp_path / "archive"))
    get_settings.cache_clear()
    folder = tmp_path / "downloads"
    shutil.copytree(FIXTURES / "en", folder)
    try:
        args = ["import", "--brand", "acme", "--tz", "Europe/Paris", "--follower-count", "x=1500"]
        result = CliRunner().invoke(app, [*args, *map(str, sorted(folder.iterdir()))])
        assert result.exit_code == 0, result.output
        assert (
            "facebook_posts_en.csv: Meta Business Suite: Facebook content export (one row per post) (3 rows)"
            in result.stdout
        )
        assert "posts: 14 new, 0 updated" in result.stdout
        assert "youtube: the export gives daily follower changes" in result.stderr
        bad = CliRunner().invoke(
            app, ["import", "--brand", "acme", "--tz", "Europe/Paris", "--follower-count", "x"]
        )
        assert bad.exit_code != 0
    finally:
        get_settings.cache_clear()


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_report_says_not_available_from_exports_on_the_conversation_cards(
    tmp_path: Path, lang: str
) -> None:
    from datetime import UTC, datetime

    from pulse.config import Brand
    from pulse.ingest.coverage import month_coverage
    from pulse.kpis import build_report_data
    from pulse.render.coverage import mark_unavailable
    from pulse.render.formatters import MISSING
    from pulse.render.html import render_html
    from pulse.render.viewmodel import build_report_view

    lake = Lake(LocalStore(tmp_path / "archive"))
    import_into_lake(native_files(lang), context(), lake, counts_at_end=COUNTS)
    brand = Brand.model_validate(
        {
            "id": "acme",
            "name": "Acme",
            "language": lang,
            "timezone": "Europe/Paris",
            "accounts": [{"platform": p, "id": a} for p, a in ACCOUNTS.items()],
        }
    )
    tables = lake.read_for_report("acme", MARCH)
    data = build_report_data(
        tables, MARCH.period(PARIS), platforms=PLATFORMS, opening_hours=brand.opening_hours
    )
    coverage = month_coverage(lake.store, "acme", MARCH, data.kpi_set)
    plain = build_report_view(brand, data, datetime(2026, 4, 2, tzinfo=UTC))
    view = mark_unavailable(plain, coverage["not_available"], lang)
    cards = {c.key: c for c in view.cards}
    reason = "non disponible dans les exports" if lang == "fr" else "not available from exports"
    for key in ("inbound_messages", "response_rate", "first_response_time_median_minutes", "sentiment_net"):
        assert cards[key].value == reason, key
    assert cards["impressions"].value == {c.key: c for c in plain.cards}["impressions"].value != MISSING
    assert cards["followers_end"].value != reason  # X, YouTube and TikTok counts were imported
    assert len(view.notes) == len(plain.notes) + 1
    assert reason in render_html(view)


def test_cli_kpis_from_exports_without_the_lake() -> None:
    import json

    import typer
    from typer.testing import CliRunner

    from pulse.ingest.cli import register

    app = typer.Typer()
    register(app)
    files = [str(FIXTURES / "fr" / "facebook_posts_fr.csv"), str(FIXTURES / "fr" / "instagram_posts_fr.csv")]
    result = CliRunner().invoke(app, ["kpis", "--month", "2026-03", "--tz", "Europe/Paris", "--json", *files])
    assert result.exit_code == 0, result.output
    kpis = json.loads(result.stdout)
    assert kpis["kpis"]["posts"] == 5
    assert kpis["by_platform"]["facebook"]["reach"] == 9876 + 3100 + 1200


@given(
    number=st.integers(min_value=0, max_value=10**15),
    style=st.sampled_from(["en", "fr", "fr-nbsp", "plain", "de"]),
)
def test_any_written_count_reads_back(number: int, style: str) -> None:
    written = {
        "en": f"{number:,}",
        "fr": f"{number:,}".replace(",", "\u202f"),
        "fr-nbsp": f"{number:,}".replace(",", "\u00a0"),
        "plain": str(number),
        "de": f"{number:,}".replace(",", "."),
    }[style]
    assert values.count(written) == number


@given(day=st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)), hour=st.integers(0, 23))
def test_any_written_date_reads_back(day: date, hour: int) -> None:
    en = f"{EN_MONTHS[day.month - 1]} {day.day}, {day.year}"
    fr = f"{day.day} {FR_MONTHS[day.month - 1]} {day.year}"
    numeric_fr = f"{day:%d/%m/%Y} {hour:02d}:15"
    numeric_en = f"{day:%m/%d/%Y} {hour:02d}:15"
    assert values.local_date(en, "mdy") == values.local_date(fr, "dmy") == day
    assert values.timestamp(numeric_fr, PARIS, "dmy") == values.timestamp(numeric_en, PARIS, "mdy")


def test_x_overview_daily_follows_land_in_the_account_days(tmp_path: Path) -> None:
    """X's account overview gives follows, unfollows, impressions and profile visits per day: kept as the
    account's daily metrics even while no follower count anchors them."""
    lake = Lake(LocalStore(tmp_path / "archive"))
    overview = FIXTURES / "en" / "account_overview_analytics_2026-02-28_2026-03-31.csv"
    outcome = import_into_lake([overview], context(), lake)
    assert outcome.written.new["account_daily"] == 32
    days = lake.read("account_daily", "acme", [Month(2026, 2), MARCH]).set_index("date")
    day = days.loc[pd.Timestamp("2026-03-30")]
    assert (day["followers_gained"], day["followers_lost"], day["views"], day["profile_views"]) == (
        1,
        1,
        1030,
        5,
    )
    assert pd.isna(day["reach"])  # not in the export: unknown
    assert read_coverage(lake.store, "acme").month("2026-03").sources("account_daily") == {
        "export:x-overview"
    }
