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
