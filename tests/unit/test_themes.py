"""Complaint themes on the hand-written labelled set: quality, labels in people's words, determinism."""

from __future__ import annotations

import random
import re
from collections import Counter

from benchmarks.themes_bench import LABELLED, adjusted_rand, load_labelled, quality
from pulse.watch.themes import _fold, find_themes, tokens


def test_themes_recover_the_labelled_complaints() -> None:
    q = quality(LABELLED)
    assert q["ari"] >= 0.7, q  # 0.76 at the time of writing; words alone give 0.41
    rows = q["themes"]
    assert 4 <= len(rows) <= 8  # type: ignore[arg-type]
    majorities = {majority for _, _, majority, _ in rows}  # type: ignore[attr-defined]
    assert {"delivery", "refund", "payment", "support", "quality", "price"} <= majorities
    assert all(purity >= 0.7 for *_, purity in rows)  # type: ignore[attr-defined]
    assert q["rants_left_out"] == q["rants"]  # "Nul nul nul 😡" is no theme


def test_seed_concepts_are_what_joins_the_two_languages() -> None:
    assert quality(LABELLED, concepts=False)["ari"] < quality(LABELLED)["ari"]  # type: ignore[operator]


def test_labels_are_words_people_wrote() -> None:
    _, texts = load_labelled()
    found = find_themes(texts)
    written = {raw for t in texts for _, raw in tokens(t)}
    for theme in found.themes:
        assert len(theme.terms) <= 3 and " · ".join(theme.terms) == theme.label
        for term in theme.terms:
            assert all(word in written for word in term.split()), term
        assert len(theme.examples) == 2 and all(e in texts for e in theme.examples)
    delivery = next(t for t in found.themes if "livraison" in t.terms)
    assert any(re.search("livr|colis|deliver", _fold(e)) for e in delivery.examples)


def test_deterministic_whatever_the_order() -> None:
    _, texts = load_labelled()
    shuffled = texts[:]
    random.Random(4).shuffle(shuffled)
    a, b = find_themes(texts), find_themes(shuffled)
    assert [(t.label, t.count, t.examples) for t in a.themes] == [
        (t.label, t.count, t.examples) for t in b.themes
    ]
    by_text = dict(zip(texts, a.assignments, strict=True))
    again = [by_text[t] for t in shuffled]
    assert adjusted_rand(again, list(b.assignments)) == 1.0


def test_change_against_last_month() -> None:
    gold, texts = load_labelled()
    delivery = [t for g, t in zip(gold, texts, strict=True) if g == "delivery"]
    found = find_themes(texts, previous=delivery * 3)
    counts = {t.terms[0]: (t.count, t.previous_count, t.change) for t in found.themes}
    now, before, change = counts["livraison"]
    assert before >= 2 * len(delivery) and change == now - before
    assert found.previous_total == 3 * len(delivery)
    assert sum(t.previous_count for t in found.themes) <= found.previous_total


def test_duplicates_count_and_nothing_breaks_on_little_text() -> None:
    found = find_themes(["Toujours pas reçu mon colis 😡"] * 12 + ["Remboursement refusé !!"] * 5 + ["ok"])
    assert found.total == 18 and sum(t.count for t in found.themes) + found.other == 18
    assert find_themes([]).themes == () and find_themes(["", "  "]).total == 0
    assert find_themes(["😡😡", "!!!"]).themes == ()


def test_the_demo_month_has_its_planted_themes(demo_tables) -> None:  # type: ignore[no-untyped-def]
    from pulse.pipeline import score_sentiment
    from pulse.settings import Settings

    messages = score_sentiment(demo_tables["maison-lumiere"].messages, Settings())
    october = messages[(messages["created_at"] >= "2026-10-01") & (messages["created_at"] < "2026-11-01")]
    negative = october[(october["sentiment"] == "negative") & ~october["from_brand"]]["text"].tolist()
    found = find_themes(negative)
    words = Counter(w for t in found.themes for w in t.terms)
    assert "livraison" in words or "colis" in words or "commande" in words
    assert found.themes[0].count >= len(negative) // 8
