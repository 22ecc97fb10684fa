"""HTML rendering: one autoescaping Jinja environment per language.

User-supplied text (posts, messages, author names) reaches templates as plain
strings and is escaped; only the embedded plotly.js and the chart JSON are
marked safe, and the JSON is escaped for a ``<script>`` context.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib.resources import files
from typing import Any

import plotly.io as pio
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from pulse.exceptions import RenderError
from pulse.render.i18n import translations
from pulse.render.viewmodel import ReportView


@cache
def environment(lang: str) -> Environment:
    env = Environment(
        loader=PackageLoader("pulse.render", "templates"),
        autoescape=select_autoescape(
            enabled_extensions=("html", "html.j2"),
            disabled_extensions=("txt.j2",),
            default=True,
            default_for_string=True,
        ),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
    return env


#: The plotly.js partial bundle reports embed (``scripts/update-plotly-bundle.sh``) and the
#: trace types it draws: every chart must use one of them.
PLOTLY_BUNDLE = "plotly-basic.min.js"
PLOTLY_BUNDLE_TRACES = frozenset({"bar", "scatter", "pie"})


@lru_cache(maxsize=1)
def plotly_js() -> str:
    """plotly.js' basic partial bundle (bar, scatter, pie), embedded once per report so the page
    works offline: 1.1 MB instead of the whole library's 4.6 MB."""
    return files("pulse.render").joinpath("static", PLOTLY_BUNDLE).read_text(encoding="utf-8")


def _script_safe(text: str) -> str:
    # Inside <script>, "</" could close the element; \u003c keeps the JSON valid and inert.
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def charts_json(view: ReportView) -> str:
    specs: dict[str, Any] = {}
    for chart in view.charts:
        specs[chart.id] = json.loads(pio.to_json(chart.figure, validate=False))
        missing = {t.get("type", "scatter") for t in specs[chart.id]["data"]} - PLOTLY_BUNDLE_TRACES
        if missing:
            raise RenderError(f"chart {chart.id!r} uses {sorted(missing)}, not in {PLOTLY_BUNDLE}")
    return _script_safe(json.dumps(specs, separators=(",", ":")))


def render_html(view: ReportView) -> str:
    """The self-contained interactive report."""
    template = environment(view.lang).get_template("report.html.j2")
    return template.render(r=view, plotly_js=plotly_js(), charts_json=charts_json(view))


def render_mail_html(
    view: ReportView,
    subject: str,
    cids: dict[str, str],
    link: str | None,
    *,
    attached: bool = True,
    links: MailLinkSet | None = None,
) -> str:
    """The email's HTML (its <style> is inlined into attributes by the caller)."""
    template = environment(view.lang).get_template("mail.html.j2")
    return template.render(
        r=view, subject=subject, cids=cids, link=link, attached=attached, **_link_fields(link, links)
    )


def render_mail_text(
    view: ReportView, link: str | None, *, attached: bool = True, links: MailLinkSet | None = None
) -> str:
    template = environment(view.lang).get_template("mail.txt.j2")
    return template.render(r=view, link=link, attached=attached, **_link_fields(link, links))


@dataclass(frozen=True)
class MailLinkSet:
    """Links of a mail beyond the report's own: the PDF, the brand's archive page, until when they open."""

    pdf: str | None = None
    archive: str | None = None
    until: str | None = None


def _link_fields(link: str | None, links: MailLinkSet | None) -> dict[str, str | None]:
    links = links or MailLinkSet()
    return {"pdf_link": links.pdf, "archive_link": links.archive, "links_until": links.until}
