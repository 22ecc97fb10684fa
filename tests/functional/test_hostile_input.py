"""Bounded work for any input: hostile text renders like a normal report (issue #13, item 3).

A 100,000-character message (no spaces) in the follow-up list, the same as its
author, as the top post's text, and as the brand's name: the report has about
the same size, pages and render time as the normal one; the full text stays in
the data (the lake and kpis.json are untouched by display limits).
"""

from __future__ import annotations

import io
import time
from datetime import UTC, datetime

import pandas as pd
import pytest
from pypdf import PdfReader

from pulse.config import Brand
from pulse.kpis import build_report_data
from pulse.render import formatters as fmt
from pulse.render.html import render_html
from pulse.render.viewmodel import build_report_view
from pulse.tables import Tables, normalize
from tests.conftest import REPORT_MONTH, requires_browser

HOSTILE = "ꙮ" * 50_000 + "x" * 50_000  # 100,000 characters, no space to break at


def hostile(tables: Tables) -> Tables:
    when = pd.Timestamp("2026-10-15T10:00:00Z")
    message = {
        "platform": "x",
        "account": "x-main",
        "message_id": "hostile-1",
        "created_at": when,
        "author": HOSTILE,
        "from_brand": False,
        "text": HOSTILE,
        "sentiment": "negative",
        "sentiment_score": -1.0,
    }
    post = {
        "platform": "x",
        "account": "x-main",
        "post_id": "hostile-post",
        "created_at": when,
        "text": HOSTILE,
        "impressions": 10,
        "likes": 10**9,
    }
    return Tables(
        posts=pd.concat([tables.posts, normalize("posts", pd.DataFrame([post]))], ignore_index=True),
        messages=pd.concat(
            [tables.messages, normalize("messages", pd.DataFrame([message]))], ignore_index=True
        ),
        followers=tables.followers,
    )


def build(brand: Brand, tables: Tables) -> tuple[str, float]:
    started = time.perf_counter()
    data = build_report_data(
        tables, REPORT_MONTH.period(brand.tz), platforms=brand.platforms, opening_hours=brand.opening_hours
    )
    view = build_report_view(brand, data, datetime(2026, 11, 2, 12, tzinfo=UTC))
    html = render_html(view)
    if brand.name == HOSTILE:
        assert data.follow_up["text"].iloc[0] == HOSTILE, "the data keeps the full text"
    return html, time.perf_counter() - started


def test_hostile_text_is_clipped_everywhere_it_is_shown(english_brand, demo_tables) -> None:  # type: ignore[no-untyped-def]
    tables = demo_tables[english_brand.id]
    normal, _ = build(english_brand, tables)
    attacked, _ = build(english_brand.model_copy(update={"name": HOSTILE}), hostile(tables))
    assert HOSTILE[: fmt.POST_CHARS] not in attacked, "nothing is shown longer than a post"
    assert HOSTILE[: fmt.MESSAGE_CHARS - 1] + "…" in attacked
    assert HOSTILE[: fmt.POST_CHARS - 1] + "…" in attacked
    assert HOSTILE[: fmt.AUTHOR_CHARS - 1] + "…" in attacked
    assert HOSTILE[: fmt.BRAND_CHARS - 1] + "…" in attacked
    assert len(attacked.encode()) - len(normal.encode()) < 20_000, "a few clipped strings more, no more"


@requires_browser
@pytest.mark.browser
def test_hostile_report_renders_in_about_the_time_and_pages_of_a_normal_one(
    english_brand, demo_tables, renderer
) -> None:  # type: ignore[no-untyped-def]
    tables = demo_tables[english_brand.id]
    renderer.render(build(english_brand, tables)[0])  # warm the page once
    figures = {}
    for name, brand, data in (
        ("normal", english_brand, tables),
        ("hostile", english_brand.model_copy(update={"name": HOSTILE}), hostile(tables)),
    ):
        html, view_s = build(brand, data)
        started = time.perf_counter()
        rendered = renderer.render(html, footer=fmt.clip(brand.name, fmt.BRAND_CHARS))
        figures[name] = (
            view_s + time.perf_counter() - started,
            len(PdfReader(io.BytesIO(rendered.pdf)).pages),
        )
    (normal_s, normal_pages), (hostile_s, hostile_pages) = figures["normal"], figures["hostile"]
    print(f"normal {normal_s:.2f} s {normal_pages} pages; hostile {hostile_s:.2f} s {hostile_pages} pages")
    assert hostile_pages <= normal_pages + 1, figures
    # Generous on a shared machine: unbounded, this report took 70 times as long (7 min 21 s vs 6 s).
    assert hostile_s < 4 * normal_s + 2, figures
