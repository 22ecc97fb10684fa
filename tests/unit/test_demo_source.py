from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd

from pulse.sources import DemoSource


def test_same_rows_whatever_the_window(french_brand) -> None:  # type: ignore[no-untyped-def]
    source = DemoSource()
    wide = source.fetch(french_brand, datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 10, 20, tzinfo=UTC))
    narrow = source.fetch(french_brand, datetime(2026, 10, 5, tzinfo=UTC), datetime(2026, 10, 8, tzinfo=UTC))
    lo, hi = pd.Timestamp("2026-10-05T00:00Z"), pd.Timestamp("2026-10-08T00:00Z")
    subset = wide.messages[(wide.messages["created_at"] >= lo) & (wide.messages["created_at"] < hi)]
    assert subset.reset_index(drop=True).equals(narrow.messages)
    assert len(narrow.messages) > 0


def test_demo_data_is_realistic(demo_tables, brands) -> None:  # type: ignore[no-untyped-def]
    for brand in brands:
        tables = demo_tables[brand.id]
        assert set(tables.posts["platform"]) == set(brand.platforms)
        messages = tables.messages
        inbound = messages[~messages["from_brand"]]
        replies = messages[messages["from_brand"]]
        assert len(inbound) > 100 and len(replies) > 50
        answered = inbound["message_id"].isin(replies["in_reply_to"])
        assert 0.3 < answered.mean() < 0.95, "some messages stay unanswered"
        # Replies come after the message they answer, some more than a day later.
        joined = replies.merge(
            inbound[["platform", "message_id", "created_at"]],
            left_on=["platform", "in_reply_to"],
            right_on=["platform", "message_id"],
            suffixes=("", "_in"),
        )
        delay = joined["created_at"] - joined["created_at_in"]
        assert (delay > pd.Timedelta(0)).all()
        assert (delay > pd.Timedelta(hours=24)).any() or (delay > pd.Timedelta(hours=8)).any()
        # Customers answering the brand back exist (inbound replying to a brand message).
        assert inbound["in_reply_to"].isin(replies["message_id"]).any()
        assert tables.followers.groupby(["platform", "account"]).size().min() >= 60


def test_french_brand_writes_mostly_french(demo_tables) -> None:  # type: ignore[no-untyped-def]
    texts = demo_tables["maison-lumiere"].messages["text"]
    french = texts.str.contains("commande|merci|bonjour|toujours", case=False, regex=True).mean()
    english = demo_tables["brightbank"].messages["text"].str.contains("the|thanks|your", case=False).mean()
    assert french > 0.4 and english > 0.4


def test_messages_vary_like_a_real_month(demo_tables) -> None:  # type: ignore[no-untyped-def]
    for brand_id, tables in demo_tables.items():
        inbound = tables.messages[~tables.messages["from_brand"]]
        october = inbound[inbound["created_at"].dt.month == 10]
        distinct = october["text"].nunique() / len(october)
        assert distinct > 0.5, (brand_id, distinct)  # not a dozen sentences on repeat
    texts = demo_tables["maison-lumiere"].messages["text"].str.lower()
    assert texts.str.contains("livraison|colis").mean() > 0.1  # the brand's planted delivery theme
    english = demo_tables["brightbank"].messages["text"].str.lower()
    assert english.str.contains("app|log in|charged").mean() > 0.05  # the bank's app complaints


def test_one_brand_has_a_planted_outage_the_calm_ones_none(demo_tables, brands) -> None:  # type: ignore[no-untyped-def]
    def inbound_per_local_day(brand_id: str) -> pd.Series:
        brand = brands.get(brand_id)
        messages = demo_tables[brand_id].messages
        inbound = messages[~messages["from_brand"]]
        days = inbound["created_at"].dt.tz_convert(brand.tz).dt.date
        counts: pd.Series = days.value_counts().sort_index()
        return counts[(counts.index >= pd.Timestamp("2026-09-05").date())
                      & (counts.index < pd.Timestamp("2026-11-01").date())]  # fmt: skip

    outage = inbound_per_local_day("maison-lumiere")
    storm = outage[[d.day in (13, 14, 15) for d in outage.index]]
    calm = outage[[d.day not in (12, 13, 14, 15, 16) for d in outage.index]]
    assert storm.min() > 3 * calm.median()
    for brand_id in ("brightbank", "cafe-boreal", "northwind-outdoor"):
        counts = inbound_per_local_day(brand_id)
        assert counts.max() < 2.5 * counts.median(), brand_id
