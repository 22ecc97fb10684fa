"""The view model: numbers from pulse.kpis, logo, colours, follow-up order, glossary, catalogue."""

from __future__ import annotations

import ast
import base64
import re
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from babel.messages.pofile import read_po
from jinja2 import Environment

from pulse.config import Brand
from pulse.kpis import build_report_data, business_hours_first_response, top_posts
from pulse.render import formatters as fmt
from pulse.render import summary
from pulse.render.html import render_html
from pulse.render.viewmodel import (
    TONE_COLORS,
    build_report_view,
    contrast_ratio,
    glossary,
    logo_source,
    text_color_on,
)
from pulse.tables import Tables, normalize
from tests.conftest import REPORT_MONTH

NOW = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
RENDER = Path(summary.__file__).parent
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _view(brand: Brand, tables: Tables):  # type: ignore[no-untyped-def]
    data = build_report_data(
        tables, REPORT_MONTH.period(brand.tz), platforms=brand.platforms, opening_hours=brand.opening_hours
    )
    return build_report_view(brand, data, NOW)


def test_tone_colours_pass_wcag_aa_on_white() -> None:
    for tone, color in TONE_COLORS.items():
        assert contrast_ratio(color, "#ffffff") >= 4.5, tone
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21)
    assert text_color_on("#7a2e3a") == "#ffffff"
    assert text_color_on("#f5e663") == "#1f2933"  # a pale brand colour gets dark cover text


def test_rendered_css_uses_the_checked_tone_colours(french_brand, demo_tables) -> None:  # type: ignore[no-untyped-def]
    html = render_html(_view(french_brand, demo_tables[french_brand.id]))
    for tone, color in TONE_COLORS.items():
        assert f".tone-{tone} {{ color: {color}; }}" in html


def test_local_logo_is_embedded_and_a_missing_one_is_dropped(tmp_path: Path) -> None:
    logo = tmp_path / "logo.png"
    logo.write_bytes(PNG)
    assert logo_source(str(logo)) == "data:image/png;base64," + base64.b64encode(PNG).decode()
    assert logo_source(str(tmp_path / "missing.png")) is None
    assert logo_source("https://cdn.example/logo.svg") == "https://cdn.example/logo.svg"
    assert logo_source("javascript:alert(1)") is None
    assert logo_source(str(tmp_path)) is None  # not an image file
    assert logo_source(None) is None


def test_logo_in_the_cover(french_brand, demo_tables, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    logo = tmp_path / "logo.png"
    logo.write_bytes(PNG)
    tables = demo_tables[french_brand.id]
    html = render_html(_view(french_brand.model_copy(update={"logo": str(logo)}), tables))
    assert '<img src="data:image/png;base64,' in html and 'alt="Logo de Maison Lumière"' in html
    missing = render_html(_view(french_brand.model_copy(update={"logo": str(tmp_path / "gone.png")}), tables))
    assert "<img" not in missing


def test_numbers_come_from_pulse_kpis(french_brand, demo_tables) -> None:  # type: ignore[no-untyped-def]
    tables = demo_tables[french_brand.id]
    view = _view(french_brand, tables)
    period = REPORT_MONTH.period(french_brand.tz)
    top = top_posts(tables, period, n=5)
    assert [p.engagements for p in view.top_posts] == [fmt.number(int(e), "fr") for e in top["engagements"]]
    cards = {c.key: c for c in view.cards}
    median, _ = business_hours_first_response(tables, period, french_brand.opening_hours)
    assert cards["business_hours_first_response"].value == fmt.duration(median, "fr")
    assert cards["business_hours_first_response"].note == "lun.–ven. 09:00–18:00"
    assert "La meilleure publication, sur" in " ".join(view.summary)


def test_platforms_without_impressions_state_their_denominator(english_brand, demo_tables) -> None:  # type: ignore[no-untyped-def]
    view = _view(english_brand, demo_tables[english_brand.id])
    rows = {r.platform: r for r in view.platforms}
    assert rows["bluesky"].engagement_rate == "–"
    assert rows["bluesky"].rate_basis == "no impressions or reach reported"
    assert rows["facebook"].rate_basis == "" and rows["facebook"].engagement_rate.endswith("%")
    assert any("Bluesky report neither impressions nor reach" in n for n in view.notes)


def _message(i: int, when: str, sentiment: str | None, score: float | None) -> dict[str, object]:
    return {
        "platform": "x",
        "account": "a",
        "message_id": f"m{i}",
        "created_at": when,
        "author": f"user{i}",
        "from_brand": False,
        "text": f"text {i}",
        "sentiment": sentiment,
        "sentiment_score": score,
    }


def test_follow_up_lists_negative_first_then_most_negative_then_oldest(french_brand) -> None:  # type: ignore[no-untyped-def]
    rows = [
        _message(1, "2026-10-03T10:00:00Z", "positive", 0.9),
        _message(2, "2026-10-05T10:00:00Z", "negative", -0.4),
        _message(3, "2026-10-20T10:00:00Z", "negative", -0.9),
        _message(4, "2026-10-01T10:00:00Z", None, None),
        _message(5, "2026-10-02T10:00:00Z", "negative", -0.4),
        _message(6, "2026-10-04T10:00:00Z", "neutral", 0.0),
    ]
    reply = {**_message(99, "2026-10-06T10:00:00Z", None, None), "from_brand": True, "in_reply_to": "m6"}
    messages = normalize("messages", pd.DataFrame([*rows, reply]))
    view = _view(french_brand, Tables(messages=messages))
    assert [m.author for m in view.follow_up] == ["user3", "user5", "user2", "user4", "user1"]
    assert view.follow_up[0].sentiment == "négatif" and view.follow_up[3].sentiment == "–"
    assert view.unanswered_count == 5 and view.follow_up_more == 0


def test_an_empty_month_has_no_placeholder_in_its_summary(french_brand, english_brand) -> None:  # type: ignore[no-untyped-def]
    for brand in (french_brand, english_brand):
        view = _view(brand, Tables())
        assert view.summary and all("–" not in s and "None" not in s for s in view.summary)
        assert [c.id for c in view.charts] == [
            "reach",
            "engagement-platforms",
            "followers",
            "messages",
            "response-time",
        ]
        assert not view.has_sentiment


def test_glossary_quotes_docs_kpis(french_brand) -> None:  # type: ignore[no-untyped-def]
    docs = " ".join((Path(__file__).parents[2] / "docs" / "kpis.md").read_text(encoding="utf-8").split())
    english = {g.term: g.definition for g in glossary("en", "Mon–Fri 9:00 AM–6:00 PM", "Europe/Paris")}
    for quoted in (
        "Messages not from the brand created in the period (customers answering the brand back are inbound messages too).",
        "likes + comments + shares + saves + clicks over the period's posts (an empty count is 0)",
        "over the period's posts with impressions > 0",
        "(positive − negative) / (positive + negative)",
    ):
        assert quoted in docs, quoted
        assert quoted in " ".join(english.values()), quoted
    french = glossary("fr", "lun.–ven. 09:00–18:00", "Europe/Paris")
    assert len(french) == len(english)
    assert all(g.definition not in english.values() for g in french)  # every definition translated
    assert any("(lun.–ven. 09:00–18:00, Europe/Paris)" in g.definition for g in french)


def _template_msgids() -> set[str]:
    env = Environment(extensions=["jinja2.ext.i18n"])
    ids: set[str] = set()
    for template in (RENDER / "templates").glob("*.j2"):
        for _, _, message in env.extract_translations(template.read_text(encoding="utf-8")):
            ids.add(message if isinstance(message, str) else message[0])
    return ids


def _python_msgids() -> set[str]:
    ids: set[str] = set()
    for name in ("viewmodel.py", "summary.py", "formatters.py"):
        tree = ast.parse((RENDER / name).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") in ("t", "gettext", "ngettext"):
                strings = [
                    a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)
                ]
                if strings:
                    ids.add(strings[0])
    for _, rose, fell in summary.MOVES.values():
        ids |= {rose, fell}
    source = (RENDER / "viewmodel.py").read_text(encoding="utf-8")
    block = source[source.index("def glossary(") :]
    ids |= {m for pair in re.findall(r'\("((?:[^"\\]|\\.)*)", "((?:[^"\\]|\\.)*)"\)', block) for m in pair}
    return ids


def test_every_msgid_has_a_french_translation() -> None:
    with (RENDER / "locales" / "fr.po").open("rb") as fh:
        catalog = read_po(fh, locale="fr")
    translated = {
        (m.id if isinstance(m.id, str) else m.id[0])
        for m in catalog
        if m.id and (m.string if isinstance(m.string, str) else all(m.string))
    }
    used = _template_msgids() | _python_msgids()
    assert len(used) > 100
    assert sorted(used - translated) == []


def _channel_tables(days_with_flows: int) -> Tables:
    """A YouTube channel in October 2026: public counts (rounded) and Analytics days."""
    followers = pd.DataFrame([{"platform": "youtube", "account": "UC1", "date": d, "followers": n}
                              for d, n in (("2026-09-30", 12000), ("2026-10-31", 13000))])  # fmt: skip
    days = pd.DataFrame(
        [{"platform": "youtube", "account": "UC1", "date": f"2026-{m:02d}-{d:02d}", "followers_gained": 31,
          "followers_lost": 1, "views": 1000, "reach": None}
         for m, last in ((9, 30), (10, days_with_flows)) for d in range(1, last + 1)]
    )  # fmt: skip
    return Tables(followers=normalize("followers", followers), account_daily=normalize("account_daily", days))


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_account_figures_and_the_rounded_count_note(lang: str) -> None:
    from pulse.config import Account

    brand = Brand(id="northwind", name="Northwind", language=lang, timezone="Europe/Paris",
                  accounts=[Account(platform="youtube", id="UC1")])  # fmt: skip
    exact = _view(brand, _channel_tables(31))
    (row,) = exact.accounts
    assert row.platform == "youtube" and row.follows == "+961" and row.unfollows == "−31"
    assert row.views.startswith("31") and "3" in row.views_change  # 31,000 vs 30,000 in September: +3 %
    growth = next(c for c in exact.cards if c.key == "follower_growth")
    assert growth.value == "+930" and growth.note == ""
    assert not any("≈" in n for n in exact.notes)
    html = render_html(exact)
    assert 'id="accounts-title"' in html
    rounded = _view(brand, _channel_tables(28))  # Analytics lags: the month rests on the public count
    growth = next(c for c in rounded.cards if c.key == "follower_growth")
    assert growth.value.replace("\u202f", "").replace("\xa0", "").replace(",", "") == "+1000" and growth.note
    assert rounded.platforms[0].follower_growth.startswith("≈")
    note = next(n for n in rounded.notes if "≈" in n)
    assert ("3 significant figures" if lang == "en" else "3 chiffres significatifs") in note
    assert "YouTube" in note
