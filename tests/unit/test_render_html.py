from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pandas as pd
import pytest

from pulse.kpis import build_report_data
from pulse.render.html import render_html
from pulse.render.viewmodel import build_report_view
from pulse.tables import Tables, normalize
from tests.conftest import REPORT_MONTH

NOW = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def _view(brand, tables):  # type: ignore[no-untyped-def]
    data = build_report_data(
        tables, REPORT_MONTH.period(brand.tz), platforms=brand.platforms, opening_hours=brand.opening_hours
    )
    return build_report_view(brand, data, NOW)


@pytest.fixture(scope="module")
def french_html(french_brand, demo_tables) -> str:  # type: ignore[no-untyped-def]
    return render_html(_view(french_brand, demo_tables[french_brand.id]))


def test_french_report_is_in_french(french_html: str) -> None:
    assert '<html lang="fr">' in french_html
    for text in ("Chiffres clés", "Taux de réponse", "Portée", "Octobre 2026", "généré le 2 novembre 2026"):
        assert text in french_html
    assert "Key figures" not in french_html


def test_english_report_is_in_english(english_brand, demo_tables) -> None:  # type: ignore[no-untyped-def]
    html = render_html(_view(english_brand, demo_tables[english_brand.id]))
    assert '<html lang="en">' in html
    assert "Key figures" in html and "October 2026" in html and "Chiffres" not in html


def test_plotly_embedded_once_and_every_chart_has_a_spec(french_html: str) -> None:
    # plotly.js' basic partial bundle (bar, scatter, pie), not the whole library: embedded exactly once
    assert french_html.count("* plotly.js (basic - minified) v") == 1 and "* plotly.js v" not in french_html
    assert len(french_html.encode("utf-8")) < 1_500_000
    assert "<script src=" not in french_html and "<link" not in french_html  # works offline
    spec = re.search(r'<script type="application/json" id="pulse-charts">(.*?)</script>', french_html, re.S)
    assert spec
    charts = json.loads(spec.group(1))
    placeholders = re.findall(r'data-chart="([^"]+)"', french_html)
    assert set(charts) == set(placeholders) and len(charts) >= 5
    assert all(charts[c]["data"] for c in charts)


def test_user_text_is_escaped(french_brand, demo_tables) -> None:  # type: ignore[no-untyped-def]
    tables = demo_tables[french_brand.id]
    evil = '<img src=x onerror="alert(1)"><script>alert("pwned")</script> & co'
    posts = tables.posts.copy()
    posts.loc[posts.index[0], "text"] = evil
    posts.loc[posts.index[0], "likes"] = 10**7  # make it the top post
    posts.loc[posts.index[0], "created_at"] = pd.Timestamp("2026-10-10T10:00:00Z")
    messages = pd.concat(
        [
            tables.messages,
            normalize(
                "messages",
                pd.DataFrame(
                    {
                        "platform": ["x"],
                        "account": ["maisonlumiere"],
                        "message_id": ["evil-1"],
                        "created_at": ["2026-10-30T10:00:00Z"],
                        "author": ['"><script>alert(2)</script>'],
                        "from_brand": [False],
                        "text": ["</script><script>alert(3)</script>"],
                        "sentiment": ["negative"],
                    }
                ),
            ),
        ],
        ignore_index=True,
    )
    html = render_html(_view(french_brand, Tables(posts, messages, tables.followers)))
    assert "alert(1)" in html  # the text is shown...
    assert '<img src=x onerror="alert(1)">' not in html  # ...but never as markup
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in html
    assert '<script>alert("pwned")</script>' not in html
    assert "<script>alert(2)</script>" not in html and "<script>alert(3)</script>" not in html
    # Only our own scripts: plotly, the JSON specs and the drawing code.
    assert html.count("<script") == 3


def test_missing_values_are_not_zero(french_brand) -> None:  # type: ignore[no-untyped-def]
    empty_view = _view(french_brand, Tables())
    cards = {c.key: c for c in empty_view.cards}
    assert cards["impressions"].value == "–"
    assert cards["response_rate"].value == "–"
    assert cards["posts"].value == "0"
    render_html(empty_view)  # an empty month still renders


def test_cards_show_change_against_previous_month(french_brand, demo_tables) -> None:  # type: ignore[no-untyped-def]
    view = _view(french_brand, demo_tables[french_brand.id])
    cards = {c.key: c for c in view.cards}
    for key in ("impressions", "reach", "engagements", "engagement_rate", "follower_growth", "response_rate",
                "first_response_time_median_minutes", "posts"):  # fmt: skip
        assert cards[key].change != "–", key
        assert cards[key].direction in ("up", "down", "flat")
    assert cards["engagement_rate"].change.endswith("pts")
