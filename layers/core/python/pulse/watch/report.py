"""The report's two sections from between reports: "Incidents" and "What people complained about".

:func:`pulse.watch.month.month_watch` computes the numbers; :func:`build_watch_sections`
arranges them for the page, already formatted in the report's language, with the sentences
the executive summary borrows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from babel.dates import format_date

from pulse.period import Period
from pulse.render import formatters as fmt
from pulse.render.charts import PLATFORM_NAMES
from pulse.render.i18n import gettext, locale_of
from pulse.watch.month import MonthWatch

# ---------------------------------------------------------------------------
# View
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class IncidentRow:
    """One incident on the month's timeline (positions in % of the month)."""

    began: str
    duration: str
    peak: str
    platforms: str
    unanswered: str
    severe: bool
    ongoing: bool
    left: float
    width: float


@dataclass(frozen=True)
class ThemeRow:
    label: str
    count: str
    share: str
    change: str
    examples: tuple[str, ...]


@dataclass(frozen=True)
class WatchSections:
    """What the "Incidents" and "What people complained about" sections show."""

    incidents: list[IncidentRow] = field(default_factory=list)
    themes: list[ThemeRow] = field(default_factory=list)
    complaints: str = ""  # "412 negative or unanswered messages"
    other: str = ""  # "38 fit no theme"
    previous_month: str = ""
    summary: list[str] = field(default_factory=list)
    ticks: list[tuple[float, str]] = field(default_factory=list)  # timeline day labels


def _t(lang: str, text: str, **values: object) -> str:
    return gettext(lang, text) % values if values else gettext(lang, text)


def _day_time(moment: pd.Timestamp, period: Period, lang: str) -> str:
    local = moment.tz_convert(period.tz).to_pydatetime()
    return _t(
        lang,
        "%(day)s at %(time)s",
        day=format_date(local, "EEEE d MMMM", locale=locale_of(lang)),
        time=local.strftime("%H:%M"),
    )


def build_watch_sections(month: MonthWatch, period: Period, lang: str) -> WatchSections:
    """The two sections and their summary sentences (pure formatting of :class:`MonthWatch`)."""
    start, end = period.start, period.end
    span = (end - start).total_seconds()
    n = fmt.number
    rows = []
    for incident in month.incidents:
        stop = incident.resolved_at if incident.resolved_at is not None else end
        left = max(0.0, (incident.began_at - start).total_seconds() / span)
        right = min(1.0, (min(stop, end) - start).total_seconds() / span)
        rows.append(
            IncidentRow(
                began=_day_time(incident.began_at, period, lang),
                duration=fmt.duration((stop - incident.began_at).total_seconds() / 60, lang)
                + (
                    ""
                    if incident.resolved_at is not None
                    else " " + _t(lang, "(still going at the end of the month)")
                ),
                peak=_t(
                    lang,
                    "%(peak)s negative messages in 24 h (usually %(usual)s), %(when)s",
                    peak=n(incident.peak_negative, lang),
                    usual=n(round(incident.usual_negative), lang),
                    when=_day_time(incident.peak_at, period, lang),
                ),
                platforms=", ".join(
                    f"{PLATFORM_NAMES.get(p, p)} ({n(c, lang)})" for p, c in incident.platforms
                ),
                unanswered=n(incident.unanswered_messages, lang),
                severe=incident.severe,
                ongoing=incident.resolved_at is None,
                left=round(100 * left, 2),
                width=round(100 * max(right - left, 0.005), 2),
            )
        )
    themes = month.themes
    theme_rows = [
        ThemeRow(
            label=t.label,
            count=n(t.count, lang),
            share=fmt.percent(t.count / themes.total if themes.total else None, lang, 0),
            change=("+" if t.change > 0 else "−" if t.change < 0 else "±") + n(abs(t.change), lang),
            examples=t.examples,
        )
        for t in themes.themes
    ]
    summary = []
    if month.incidents:
        largest = max(month.incidents, key=lambda i: i.peak_negative)
        summary.append(
            _t(
                lang,
                "Incidents this month: %(count)s; the largest began %(when)s and peaked at %(peak)s negative messages in 24 h (usually %(usual)s).",
                count=n(len(month.incidents), lang),
                when=_day_time(largest.began_at, period, lang),
                peak=n(largest.peak_negative, lang),
                usual=n(round(largest.usual_negative), lang),
            )
        )
    if themes.themes:
        top = themes.themes[:2]
        summary.append(
            _t(
                lang,
                "What people complained about most: %(themes)s.",
                themes=(" ; " if lang == "fr" else "; ").join(f"{t.label} ({n(t.count, lang)})" for t in top),
            )
        )
    return WatchSections(
        incidents=rows,
        themes=theme_rows,
        complaints=n(themes.total, lang),
        other=n(themes.other, lang),
        previous_month=n(themes.previous_total, lang),
        summary=summary,
        ticks=timeline_ticks(period),
    )


def timeline_ticks(period: Period) -> list[tuple[float, str]]:
    """Day labels every 7 days along the month's timeline: (position in %, "1", "8", ...)."""
    days = period.days()
    return [(round(100 * i / len(days), 2), str(d.day)) for i, d in enumerate(days) if i % 7 == 0]


__all__ = ["IncidentRow", "ThemeRow", "WatchSections", "build_watch_sections", "timeline_ticks"]
