"""Reports opened in a real headless Chromium; the PDF checked page by page."""

from __future__ import annotations

import io
import itertools
import re
import subprocess
import unicodedata
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pypdf import PdfReader

from pulse.kpis import build_report_data
from pulse.render.browser import PRINT_WIDTH
from pulse.render.html import render_html
from pulse.render.viewmodel import build_report_view
from pulse.tables import Tables
from tests.conftest import REPORT_MONTH, pdftoppm, requires_browser

pytestmark = [pytest.mark.browser, requires_browser]

A4 = (595, 842)  # points
SIDE_MARGIN_PT = 12 / 25.4 * 72


def labelled(tables: Tables) -> Tables:
    """The demo tables with a sentiment label on every inbound message (as the analyzer would add)."""
    messages = tables.messages.copy()
    inbound = ~messages["from_brand"].astype(bool)
    rng = np.random.default_rng(7)
    labels = rng.choice(["negative", "neutral", "positive"], size=len(messages), p=[0.25, 0.4, 0.35])
    messages.loc[inbound, "sentiment"] = labels[inbound.to_numpy()]
    messages.loc[inbound, "sentiment_score"] = rng.uniform(-1, 1, size=int(inbound.sum()))
    return Tables(tables.posts, messages, tables.followers)


def _report(brand, tables, renderer):  # type: ignore[no-untyped-def]
    data = build_report_data(
        tables, REPORT_MONTH.period(brand.tz), platforms=brand.platforms, opening_hours=brand.opening_hours
    )
    view = build_report_view(brand, data, datetime(2026, 11, 2, 12, tzinfo=UTC))
    html = render_html(view)
    return view, html, renderer.render(html, footer=f"{brand.name} · {view.month_label}")


@pytest.fixture(scope="module")
def french_report(french_brand, demo_tables, renderer):  # type: ignore[no-untyped-def]
    return _report(french_brand, labelled(demo_tables[french_brand.id]), renderer)


@pytest.fixture(scope="module")
def english_report(english_brand, demo_tables, renderer):  # type: ignore[no-untyped-def]
    return _report(english_brand, demo_tables[english_brand.id], renderer)


@pytest.fixture(params=["french_report", "english_report"])
def report(request):  # type: ignore[no-untyped-def]
    return request.getfixturevalue(request.param)


def _open(renderer, html: str, tmp_path: Path, **context: Any):  # type: ignore[no-untyped-def]
    path = tmp_path / "report.html"
    path.write_text(html, encoding="utf-8")
    ctx = renderer._browser.new_context(**context)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri())
    page.wait_for_function("window.pulseChartsReady === true", timeout=30_000)
    return ctx, page, errors


def test_every_chart_is_drawn_in_chromium(report, renderer, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    view, html, _ = report
    context, page, errors = _open(renderer, html, tmp_path, viewport={"width": 1280, "height": 900})
    try:
        drawn = page.evaluate(
            """() => [...document.querySelectorAll('[data-chart]')].map(el => ({
                id: el.dataset.chart,
                svg: el.querySelectorAll('svg.main-svg').length,
                marks: el.querySelectorAll('.trace, .bars path, .scatterlayer path').length,
                width: el.getBoundingClientRect().width,
                label: el.closest('figure').getAttribute('aria-label') }))"""
        )
        assert errors == []
        assert {d["id"] for d in drawn} == {c.id for c in view.charts}
        for chart in drawn:
            assert chart["svg"] >= 1 and chart["marks"] >= 1 and chart["width"] > 300, chart
            assert chart["label"] and len(chart["label"]) > 20  # what the chart shows, for screen readers
        headings = page.evaluate("[...document.querySelectorAll('h1,h2,h3,h4')].map(h => +h.tagName[1])")
        assert headings.count(1) == 1 and headings[0] == 1
        assert all(b - a <= 1 for a, b in itertools_pairwise(headings)), headings  # no level skipped
        assert page.evaluate("[...document.querySelectorAll('th')].every(th => th.hasAttribute('scope'))")
    finally:
        context.close()


def itertools_pairwise(items: list[int]) -> list[tuple[int, int]]:
    return list(itertools.pairwise(items))


def test_readable_on_a_phone(report, renderer, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, html, _ = report
    context, page, errors = _open(
        renderer, html, tmp_path, viewport={"width": 390, "height": 844}, is_mobile=True
    )
    try:
        assert errors == []
        # Nothing but the wide tables' own scroll boxes goes sideways at 390 px.
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 1
        widths = page.evaluate(
            "[...document.querySelectorAll('[data-chart]')].map(e => e.getBoundingClientRect().width)"
        )
        assert widths and all(0 < w <= 390 for w in widths)
        boxes = page.evaluate(
            """[...document.querySelectorAll('.table-wrap')].map(e => ({
                right: e.getBoundingClientRect().right, scrolls: e.scrollWidth > e.clientWidth }))"""
        )
        assert all(b["right"] <= 390 for b in boxes)
        assert any(b["scrolls"] for b in boxes)  # the platform table scrolls inside its box
    finally:
        context.close()


def test_nothing_is_wider_than_the_printed_page(report, renderer, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """With print media at the A4 content width, no element's right edge passes the page."""
    _, html, _ = report
    context, page, _ = _open(renderer, html, tmp_path, viewport={"width": PRINT_WIDTH, "height": 1100})
    try:
        page.emulate_media(media="print")
        page.evaluate("() => window.pulseResizeCharts()")
        overflow = page.evaluate(
            """(width) => [...document.querySelectorAll('body *')]
                .filter(e => !e.closest('.sr-only') && e.getClientRects().length)
                .map(e => [e.tagName + '.' + e.className, e.getBoundingClientRect().right])
                .filter(([, right]) => right > width + 0.5)""",
            PRINT_WIDTH,
        )
        assert overflow == []
    finally:
        context.close()


def _pdf_text(rendered) -> tuple[PdfReader, str]:  # type: ignore[no-untyped-def]
    reader = PdfReader(io.BytesIO(rendered.pdf))
    # NFKC undoes the typographic ligatures of the embedded fonts ("ﬁrst", "Chiﬀres").
    return reader, unicodedata.normalize("NFKC", "\n".join(page.extract_text() for page in reader.pages))


def test_pdf_has_the_same_charts_and_page_numbers(report) -> None:  # type: ignore[no-untyped-def]
    view, _, rendered = report
    reader, text = _pdf_text(rendered)
    assert len(reader.pages) >= 3
    for chart in view.charts:
        assert chart.title in text, chart.title
    for sentence in view.summary:
        assert sentence.split()[1] in text
    assert f"1 / {len(reader.pages)}" in text and f"{len(reader.pages)} / {len(reader.pages)}" in text
    assert text.count(f"{view.brand_name} · {view.month_label}") == len(reader.pages)  # page header
    for page in reader.pages:
        box = page.mediabox
        assert (round(float(box.width)), round(float(box.height))) == A4


def test_pdf_text_stays_inside_the_page(report) -> None:  # type: ignore[no-untyped-def]
    _, _, rendered = report
    reader = PdfReader(io.BytesIO(rendered.pdf))
    for page in reader.pages:
        xs: list[float] = []

        def visit(text: str, cm: list[float], tm: list[float], *_: Any, xs: list[float] = xs) -> None:
            if text.strip():
                xs.append(cm[0] * tm[4] + cm[2] * tm[5] + cm[4])

        page.extract_text(visitor_text=visit)
        assert xs
        assert min(xs) >= SIDE_MARGIN_PT - 1, min(xs)
        assert max(xs) <= A4[0] - SIDE_MARGIN_PT, max(xs)


def test_french_and_english_formatting_in_the_pdf(french_report, english_report) -> None:  # type: ignore[no-untyped-def]
    _, fr = _pdf_text(french_report[2])
    assert (
        "Synthèse" in fr
        and "Chiffres clés" in fr
        and "Octobre 2026" in fr
        and "généré le 2 novembre 2026" in fr
    )
    assert "Période : 1–31 oct. 2026 (Europe/Paris)" in fr
    assert re.search(r"\d,\d\s%", fr) and not re.search(r"\d\.\d%", fr)  # 60,6 %
    assert re.search(r"\d\s\d{3}\b", fr)  # 249 164
    assert (
        "La portée a progressé de" in fr or "La portée a reculé de" in fr or "La meilleure publication" in fr
    )
    assert "Sentiment net par semaine" in fr and "Messages par sentiment" in fr
    _, en = _pdf_text(english_report[2])
    assert "Summary" in en and "Key figures" in en and "October 2026" in en and "Synthèse" not in en
    assert re.search(r"\d\.\d%", en) and re.search(r"\d,\d{3}\b", en)  # 62.8%, 132,034
    assert "no impressions or reach reported" in " ".join(en.split())  # Bluesky's engagement rate
    assert "No message carries a sentiment label this month" in en


@pytest.mark.skipif(pdftoppm() is None, reason="pdftoppm (poppler-utils) not installed")
def test_pdf_pages_render_with_content_inside_the_margins(report, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, _, rendered = report
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(rendered.pdf)
    subprocess.run(["pdftoppm", "-r", "40", "-gray", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.pgm"))
    assert len(pages) == len(PdfReader(io.BytesIO(rendered.pdf)).pages) >= 3
    for pgm in pages:
        pixels = _read_pgm(pgm)
        height, width = pixels.shape
        body = pixels[int(height * 0.05) : int(height * 0.95)]
        assert (body < 200).mean() > 0.01, pgm.name  # ink on the page, not a blank one
        right_margin = pixels[:, int(width * (1 - 10 / 210)) :]
        assert (right_margin > 240).all(), pgm.name  # nothing printed in the right margin


def _read_pgm(path: Path) -> np.ndarray:
    data = path.read_bytes()
    fields = data.split(maxsplit=4)
    assert fields[0] == b"P5"
    width, height = int(fields[1]), int(fields[2])
    return np.frombuffer(data[-width * height :], dtype=np.uint8).reshape(height, width)


def test_chart_pngs_are_real_images(french_report) -> None:  # type: ignore[no-untyped-def]
    view, _, rendered = french_report
    assert set(rendered.charts_png) == {c.id for c in view.charts}
    for png in rendered.charts_png.values():
        assert png.startswith(b"\x89PNG\r\n\x1a\n")
        width = int.from_bytes(png[16:20], "big")
        height = int.from_bytes(png[20:24], "big")
        assert (width, height) == (1200, 510)


def test_a_warm_renderer_lets_go_of_the_last_report(english_report, renderer) -> None:  # type: ignore[no-untyped-def]
    """Playwright keeps the frame of its last call, and every caller's locals with it: a warm worker
    held one report's tables through the next one's read and KPIs until `forget()`."""
    import gc
    import weakref

    class MonthData:  # stands for the report's tables, local to the job that rendered it
        pass

    def job() -> weakref.ref[MonthData]:
        data = MonthData()
        renderer.render(english_report[1], footer="Brand")
        return weakref.ref(data)

    kept = job()
    renderer.forget()
    gc.collect()
    assert kept() is None, "the renderer still holds the last report's callers"
