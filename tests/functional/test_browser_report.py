"""Reports opened in a real headless Chromium; the PDF checked page by page."""

from __future__ import annotations

import io
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader

from pulse.kpis import compute_kpi_set
from pulse.render.html import render_html
from pulse.render.viewmodel import build_report_view
from tests.conftest import REPORT_MONTH, pdftoppm, requires_browser

pytestmark = [pytest.mark.browser, requires_browser]


@pytest.fixture(scope="module")
def french_report(french_brand, demo_tables, renderer):  # type: ignore[no-untyped-def]
    tables = demo_tables[french_brand.id]
    kpi_set = compute_kpi_set(tables, REPORT_MONTH.period(french_brand.tz), platforms=french_brand.platforms)
    view = build_report_view(french_brand, kpi_set, tables, datetime(2026, 11, 2, tzinfo=UTC))
    html = render_html(view)
    return view, html, renderer.render(html, footer="Maison Lumière · octobre 2026")


def test_every_chart_is_drawn_in_chromium(french_report, renderer, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    view, html, _ = french_report
    path = tmp_path / "report.html"
    path.write_text(html, encoding="utf-8")
    context = renderer._browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(path.as_uri())
        page.wait_for_function("window.pulseChartsReady === true", timeout=30_000)
        drawn = page.evaluate(
            """() => [...document.querySelectorAll('[data-chart]')].map(el => ({
                id: el.dataset.chart,
                svg: el.querySelectorAll('svg.main-svg').length,
                marks: el.querySelectorAll('.trace, .bars path, .scatterlayer path').length,
                width: el.getBoundingClientRect().width }))"""
        )
        assert errors == []
        assert {d["id"] for d in drawn} == {c.id for c in view.charts}
        for chart in drawn:
            assert chart["svg"] >= 1 and chart["marks"] >= 1 and chart["width"] > 300, chart
    finally:
        context.close()
    # Readable on a phone: nothing but the wide tables' own scroll boxes goes sideways at 390 px.
    phone = renderer._browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        page = phone.new_page()
        page.goto(path.as_uri())
        page.wait_for_function("window.pulseChartsReady === true", timeout=30_000)
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 1
        widths = page.evaluate(
            "[...document.querySelectorAll('[data-chart]')].map(e => e.getBoundingClientRect().width)"
        )
        assert all(0 < w <= 390 for w in widths)
    finally:
        phone.close()


def test_pdf_has_the_same_charts_and_page_numbers(french_report) -> None:  # type: ignore[no-untyped-def]
    view, _, rendered = french_report
    reader = PdfReader(io.BytesIO(rendered.pdf))
    assert len(reader.pages) >= 2
    text = "\n".join(page.extract_text() for page in reader.pages)
    for chart in view.charts:
        assert chart.title in text, chart.title
    assert "Synthèse" in text and "Tendances" in text and "Octobre 2026" in text
    assert f"1 / {len(reader.pages)}" in text  # footer page numbers
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 in points


@pytest.mark.skipif(pdftoppm() is None, reason="pdftoppm (poppler-utils) not installed")
def test_pdf_pages_render_with_content(french_report, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, _, rendered = french_report
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(rendered.pdf)
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 2
    for png in pages:
        data = png.read_bytes()
        assert data.startswith(b"\x89PNG") and len(data) > 3000  # not a blank page


def test_chart_pngs_are_real_images(french_report) -> None:  # type: ignore[no-untyped-def]
    view, _, rendered = french_report
    assert set(rendered.charts_png) == {c.id for c in view.charts}
    for png in rendered.charts_png.values():
        assert png.startswith(b"\x89PNG\r\n\x1a\n")
        width = int.from_bytes(png[16:20], "big")
        height = int.from_bytes(png[20:24], "big")
        assert (width, height) == (1200, 510)
