"""The view model: exactly what a report shows, already formatted and translated.

``build_report_view`` turns a brand's :class:`~pulse.kpis.ReportData` (every
number, computed once in :mod:`pulse.kpis`) into a :class:`ReportView`, one
small builder per report section (cards, audience, community care, sentiment,
platforms, top posts, follow-up, notes, glossary). Builders format and arrange;
they compute nothing. Templates only lay the view out, charts are plain figures.
User-supplied text is clipped for display (:func:`pulse.render.formatters.clip`).
"""

from __future__ import annotations

import base64
import mimetypes
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Literal

import pandas as pd
import plotly.graph_objects as go
from babel.dates import format_interval, format_time, get_day_names

from pulse.config import Brand, OpeningHours
from pulse.kpis import NO_VIEW_COUNTS, Kpis, ReportData, engagement_denominator
from pulse.kpis.core import SENTIMENT_LABELS
from pulse.period import Period
from pulse.render import charts
from pulse.render import formatters as fmt
from pulse.render.i18n import gettext, locale_of
from pulse.render.summary import BestPost, summary_sentences
from pulse.watch.month import MonthWatch
from pulse.watch.report import WatchSections, build_watch_sections

Direction = Literal["up", "down", "flat", "none"]
Tone = Literal["good", "bad", "neutral"]
ChartGroup = Literal["audience", "care", "sentiment"]

#: Text colours of a change's tone; each has a contrast of at least 4.5:1 on white (WCAG AA).
TONE_COLORS: dict[str, str] = {"good": "#1a7f37", "bad": "#b42318", "neutral": "#52606d"}
INK = "#1f2933"

#: Logos larger than this are not embedded (the HTML goes by email and API).
MAX_LOGO_BYTES = 512 * 1024


@dataclass(frozen=True)
class KpiCard:
    key: str
    label: str
    value: str
    previous: str
    change: str
    direction: Direction
    tone: Tone
    arrow: str
    note: str = ""


@dataclass(frozen=True)
class PlatformRow:
    platform: str
    name: str
    posts: str
    impressions: str
    reach: str
    engagements: str
    engagement_rate: str
    rate_basis: str
    response_rate: str
    first_response: str
    followers: str
    follower_growth: str


@dataclass(frozen=True)
class AccountRow:
    """One platform's account-level figures (``account_daily``), each with its change on the month before."""

    platform: str
    name: str
    views: str
    views_change: str
    reach: str
    reach_change: str
    follows: str
    unfollows: str


@dataclass(frozen=True)
class ChartView:
    id: str
    title: str
    alt: str
    figure: go.Figure
    group: ChartGroup = "audience"


@dataclass(frozen=True)
class PostRow:
    date: str
    platform: str
    text: str
    impressions: str
    engagements: str
    engagement_rate: str


@dataclass(frozen=True)
class MessageRow:
    date: str
    platform: str
    author: str
    text: str
    sentiment: str
    sentiment_key: str
    age: str


@dataclass(frozen=True)
class GlossaryEntry:
    term: str
    definition: str


@dataclass
class ReportView:
    brand_id: str
    brand_name: str
    lang: str
    month: str
    month_label: str
    previous_label: str
    generated_label: str
    primary_color: str
    accent_color: str
    logo: str | None
    summary: list[str]
    cards: list[KpiCard]
    platforms: list[PlatformRow]
    charts: list[ChartView]
    top_posts: list[PostRow]
    follow_up: list[MessageRow]
    glossary: list[GlossaryEntry]
    notes: list[str] = field(default_factory=list)
    links: dict[str, str] = field(default_factory=dict)
    period_label: str = ""
    timezone: str = "UTC"
    cover_text_color: str = "#ffffff"
    tone_colors: dict[str, str] = field(default_factory=lambda: dict(TONE_COLORS))
    follow_up_more: int = 0
    unanswered_count: int = 0
    has_sentiment: bool = False
    #: "Incidents" and "What people complained about" (pulse/watch/report.py); None: not computed.
    watch: WatchSections | None = None
    #: Account views, daily reach, follows and unfollows per platform (only platforms that report them).
    accounts: list[AccountRow] = field(default_factory=list)

    def t(self, message: str) -> str:
        return gettext(self.lang, message)


# ---------------------------------------------------------------------------
# Colours and logo
# ---------------------------------------------------------------------------


def relative_luminance(color: str) -> float:
    """WCAG 2 relative luminance of a ``#rrggbb`` colour."""
    channels = [int(color.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(foreground: str, background: str) -> float:
    """WCAG 2 contrast ratio, from 1 to 21 (AA asks 4.5 for normal text)."""
    a, b = sorted((relative_luminance(foreground), relative_luminance(background)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def text_color_on(background: str) -> str:
    """White or ink, whichever reads better on ``background``."""
    return "#ffffff" if contrast_ratio("#ffffff", background) >= contrast_ratio(INK, background) else INK


def logo_source(logo: str | None) -> str | None:
    """What the report's ``<img src>`` gets for ``brand.logo``.

    An https URL (or a data: URI) is kept; a local file is embedded as a data:
    URI so the HTML stays self-contained. A missing, unreadable, non-image or
    oversized file gives None: no logo rather than a broken image.
    """
    if not logo:
        return None
    if logo.startswith(("https://", "data:image/")):
        return logo
    path = Path(logo.removeprefix("file://")).expanduser()
    mime, _ = mimetypes.guess_type(path.name)
    if mime is None or not mime.startswith("image/"):
        return None
    try:
        if path.stat().st_size > MAX_LOGO_BYTES:
            return None
        data = path.read_bytes()
    except OSError:
        return None
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


# ---------------------------------------------------------------------------
# Cards
# ---------------------------------------------------------------------------


def _change(
    current: float | None, previous: float | None, *, rate: bool, lower_is_better: bool, lang: str
) -> tuple[str, Direction, Tone, str]:
    if current is None or previous is None:
        return fmt.MISSING, "none", "neutral", ""
    if rate:
        delta = current - previous
        text = fmt.points(delta, lang)
    else:
        if previous == 0:
            return (fmt.MISSING if current == 0 else gettext(lang, "new")), "none", "neutral", ""
        delta = (current - previous) / abs(previous)
        text = fmt.signed_percent(delta, lang)
    if abs(delta) < 1e-9:
        return text, "flat", "neutral", "■"
    direction: Direction = "up" if delta > 0 else "down"
    better = (delta < 0) if lower_is_better else (delta > 0)
    return text, direction, "good" if better else "bad", "▲" if delta > 0 else "▼"


def _value(value: float | None, kind: str, lang: str) -> str:
    if kind == "compact":
        return fmt.compact(value, lang)
    if kind == "percent":
        return fmt.percent(value, lang)
    if kind == "duration":
        return fmt.duration(value, lang)
    if kind == "signed":
        return fmt.MISSING if value is None else ("+" if value > 0 else "") + fmt.number(value, lang)
    if kind == "signed_ratio":
        if value is None:
            return fmt.MISSING
        return ("+" if value > 0 else "−" if value < 0 else "") + fmt.number(abs(value), lang, 2)
    return fmt.number(value, lang)


def _cards(
    kpis: Kpis,
    prev: Kpis,
    lang: str,
    business: tuple[float | None, float | None],
    hours_label: str,
) -> list[KpiCard]:
    t = partial(gettext, lang)
    specs: list[tuple[str, str, float | None, float | None, str, bool, bool]] = [
        ("impressions", t("Impressions"), kpis.impressions, prev.impressions, "compact", False, False),
        ("reach", t("Reach"), kpis.reach, prev.reach, "compact", False, False),
        ("engagements", t("Engagements"), kpis.engagements, prev.engagements, "compact", False, False),
        ("engagement_rate", t("Engagement rate"), kpis.engagement_rate, prev.engagement_rate, "percent", True, False),
        ("followers_end", t("Followers"), kpis.followers_end, prev.followers_end, "number", False, False),
        ("follower_growth", t("Follower growth"), kpis.follower_growth, prev.follower_growth, "signed", False, False),
        ("posts", t("Posts"), kpis.posts, prev.posts, "number", False, False),
        ("inbound_messages", t("Messages received"), kpis.inbound_messages, prev.inbound_messages, "number", False, False),
        ("response_rate", t("Response rate"), kpis.response_rate, prev.response_rate, "percent", True, False),
        (
            "first_response_time_median_minutes",
            t("Median first response"),
            kpis.first_response_time_median_minutes,
            prev.first_response_time_median_minutes,
            "duration",
            False,
            True,
        ),
        (
            "business_hours_first_response",
            t("Median first response in opening hours"),
            business[0],
            business[1],
            "duration",
            False,
            True,
        ),
        ("sentiment_net", t("Net sentiment"), kpis.sentiment.net, prev.sentiment.net, "signed_ratio", True, False),
    ]  # fmt: skip
    notes_of = (
        {"follower_growth": t("approximate (YouTube's rounded count)")}
        if kpis.follower_growth_rounded
        else {}
    )
    cards = []
    for key, label, cur, old, kind, rate, lower in specs:
        if key == "sentiment_net":  # a difference of two ratios in [-1, 1], not percentage points
            change, direction, tone, arrow = _change(cur, old, rate=False, lower_is_better=False, lang=lang)
            if cur is not None and old is not None:
                change = _value(cur - old, "signed_ratio", lang) if abs(cur - old) > 1e-9 else "±0"
        else:
            change, direction, tone, arrow = _change(cur, old, rate=rate, lower_is_better=lower, lang=lang)
        cards.append(
            KpiCard(
                key,
                label,
                _value(cur, kind, lang),
                _value(old, kind, lang),
                change,
                direction,
                tone,
                arrow,
                note=hours_label if key == "business_hours_first_response" else notes_of.get(key, ""),
            )
        )
    return cards


# ---------------------------------------------------------------------------
# Labels
# ---------------------------------------------------------------------------


def opening_hours_label(hours: OpeningHours, lang: str) -> str:
    """``Mon–Fri 9:00 AM–6:00 PM`` / ``lun.–ven. 09:00–18:00``."""
    locale = locale_of(lang)
    names = get_day_names("abbreviated", locale=locale)  # 0 = Monday
    days = sorted(set(hours.days))
    if not days:
        return gettext(lang, "closed")
    contiguous = days == list(range(days[0], days[-1] + 1))
    if contiguous and len(days) > 2:
        day_text = f"{names[days[0]]}–{names[days[-1]]}"
    else:
        day_text = ", ".join(names[d] for d in days)
    times = (
        f"{format_time(hours.start, 'short', locale=locale)}–{format_time(hours.end, 'short', locale=locale)}"
    )
    return f"{day_text} {times}"


def _sentence_month(period: Period, lang: str) -> str:
    """Last month's name as it reads inside a sentence: ``September``, ``septembre`` (with the year in January)."""
    previous = period.previous().first_day
    pattern = "LLLL" if previous.year == period.first_day.year else "LLLL y"
    from babel.dates import format_date

    return format_date(previous, pattern, locale=locale_of(lang))


def _platform_name(platform: object) -> str:
    return charts.PLATFORM_NAMES.get(str(platform), str(platform))


def _rate_and_basis(k: Kpis, platform: str, lang: str) -> tuple[str, str]:
    t = partial(gettext, lang)
    basis = engagement_denominator(platform, k)
    if basis == "impressions":  # the usual denominator: not repeated on every row
        return fmt.percent(k.engagement_rate, lang), ""
    if basis == "reach":
        return fmt.percent(k.engagement_rate_by_reach, lang), t("of reach")
    if platform in NO_VIEW_COUNTS:
        return fmt.MISSING, t("no impressions or reach reported")
    return fmt.MISSING, ""


def _ints(series: pd.Series) -> list[float | None]:
    return [None if pd.isna(v) else float(v) for v in series]


# ---------------------------------------------------------------------------
# The view
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    """What every section builder needs: the brand's language, colours and month labels."""

    brand: Brand
    data: ReportData
    lang: str
    separators: str
    month_label: str
    previous_label: str
    hours_label: str

    @property
    def period(self) -> Period:
        return self.data.period

    def t(self, message: str) -> str:
        return gettext(self.lang, message)

    def day(self, day: datetime | pd.Timestamp) -> str:
        return fmt.day_label(day.date(), self.lang)


def build_report_view(
    brand: Brand,
    data: ReportData,
    generated_at: datetime,
    links: dict[str, str] | None = None,
    watch: MonthWatch | None = None,
) -> ReportView:
    """Everything the HTML, the PDF and the email show for one brand-month.

    ``watch`` (the month's incidents and complaint themes) adds their two sections, and their
    sentences to the summary.
    """
    lang = brand.language
    period = data.period
    ctx = _Context(
        brand=brand,
        data=data,
        lang=lang,
        separators=", " if lang == "fr" else ".,",
        month_label=fmt.month_name(period.first_day, lang),
        previous_label=fmt.month_name(period.previous().first_day, lang),
        hours_label=opening_hours_label(brand.opening_hours, lang),
    )
    top = top_post_rows(ctx)
    follow_up = follow_up_rows(ctx, generated_at)
    sections = build_watch_sections(watch, period, lang) if watch is not None else None
    return ReportView(
        brand_id=brand.id,
        brand_name=fmt.clip(brand.name, fmt.BRAND_CHARS),
        lang=lang,
        month=str(period.month),
        month_label=ctx.month_label,
        previous_label=ctx.previous_label,
        generated_label=fmt.long_date(generated_at.astimezone(brand.tz), lang),
        primary_color=brand.colors.primary,
        accent_color=brand.colors.accent,
        logo=logo_source(brand.logo),
        summary=[
            *summary_sentences(
                data.kpis, data.previous, lang, _sentence_month(period, lang), best_post(data, top)
            ),
            *(sections.summary if sections else []),
        ],
        cards=_cards(
            data.kpis,
            data.previous,
            lang,
            (data.business_first_response, data.previous_business_first_response),
            ctx.hours_label,
        ),
        platforms=platform_rows(ctx),
        charts=[*audience_charts(ctx), *care_charts(ctx), *sentiment_charts(ctx)],
        top_posts=top,
        follow_up=follow_up,
        glossary=glossary(lang, ctx.hours_label, brand.timezone),
        notes=notes(ctx),
        links=links or {},
        period_label=format_interval(period.first_day, period.last_day, "yMMMd", locale=locale_of(lang)),
        timezone=brand.timezone,
        cover_text_color=text_color_on(brand.colors.primary),
        follow_up_more=max(data.unanswered_count - len(follow_up), 0),
        unanswered_count=data.unanswered_count,
        has_sentiment=has_sentiment(data),
        watch=sections,
        accounts=account_rows(ctx),
    )


# ---------------------------------------------------------------------------
# Sections
# ---------------------------------------------------------------------------


def audience_charts(ctx: _Context) -> list[ChartView]:
    """Impressions and engagements per day, engagements by platform, followers per platform."""
    t, data, daily = ctx.t, ctx.data, ctx.data.daily
    days = [ctx.day(d) for d in daily.index]
    platforms = data.platforms
    follower_frame = pd.DataFrame(index=days)
    for p, series in data.followers_by_platform.items():
        follower_frame[p] = _ints(series)
    primary, accent = ctx.brand.colors.primary, ctx.brand.colors.accent
    return [
        ChartView(
            "reach",
            t("Impressions and engagements per day"),
            t("Bar chart of impressions per day with a line of engagements per day"),
            charts.daily_reach(
                days,
                _ints(daily["impressions"]),
                daily["engagements"].astype("float64").tolist(),
                title=t("Impressions and engagements per day"),
                impressions_label=t("Impressions"),
                engagements_label=t("Engagements"),
                color=primary,
                accent=accent,
                separators=ctx.separators,
            ),
        ),
        ChartView(
            "engagement-platforms",
            t("Engagements by platform"),
            t("Engagements per platform this month compared with last month"),
            charts.engagement_by_platform(
                platforms,
                [data.kpi_set.by_platform[p].engagements for p in platforms],
                [data.kpi_set.previous_by_platform[p].engagements for p in platforms],
                title=t("Engagements by platform"),
                current_label=ctx.month_label,
                previous_label=ctx.previous_label,
                color=primary,
                separators=ctx.separators,
            ),
        ),
        ChartView(
            "followers",
            t("Followers per platform"),
            t("Line chart of the follower count of each platform over the month"),
            charts.followers_by_platform(
                follower_frame, title=t("Followers per platform"), separators=ctx.separators
            ),
        ),
    ]


def care_charts(ctx: _Context) -> list[ChartView]:
    """Messages received and answered per day; time to first response."""
    t, data, daily = ctx.t, ctx.data, ctx.data.daily
    primary, accent = ctx.brand.colors.primary, ctx.brand.colors.accent
    return [
        ChartView(
            "messages",
            t("Messages received and answered per day"),
            t("Bar chart of messages received per day and how many were answered"),
            charts.messages_per_day(
                [ctx.day(d) for d in daily.index],
                daily["inbound"].tolist(),
                daily["responded"].tolist(),
                title=t("Messages received and answered per day"),
                inbound_label=t("Received"),
                responded_label=t("Answered"),
                color=primary,
                accent=accent,
                separators=ctx.separators,
            ),
            "care",
        ),
        ChartView(
            "response-time",
            t("Time to first response"),
            t(
                "Bar chart of answered messages by time to first response, in elapsed time and counting opening hours only"
            ),
            charts.response_time_distribution(
                data.response_buckets,
                business=data.business_response_buckets,
                title=t("Time to first response"),
                y_title=t("Messages"),
                elapsed_label=t("Elapsed time"),
                business_label=t("Opening hours only"),
                color=accent,
                business_color=primary,
                separators=ctx.separators,
            ),
            "care",
        ),
    ]


def has_sentiment(data: ReportData) -> bool:
    """Whether the report has a sentiment section: labelled messages this month or the month before."""
    counts = (data.kpis.sentiment, data.previous.sentiment)
    return any(c.positive + c.neutral + c.negative > 0 for c in counts)


def sentiment_charts(ctx: _Context) -> list[ChartView]:
    """Net sentiment per week and messages by sentiment (only when messages carry labels)."""
    t, data = ctx.t, ctx.data
    out = []
    weekly = data.weekly_net_sentiment
    if len(weekly):
        week_label = t("week of %(day)s")
        out.append(
            ChartView(
                "sentiment",
                t("Net sentiment per week"),
                t("Line chart of net sentiment per week, from -1 (all negative) to +1 (all positive)"),
                charts.sentiment_trend(
                    [week_label % {"day": ctx.day(d)} for d in weekly.index],
                    _ints(weekly),
                    title=t("Net sentiment per week"),
                    label=t("Net sentiment"),
                    color=ctx.brand.colors.primary,
                    separators=ctx.separators,
                ),
                "sentiment",
            )
        )
    if has_sentiment(data):
        current = [getattr(data.kpis.sentiment, label) for label in SENTIMENT_LABELS]
        total = sum(current)
        out.append(
            ChartView(
                "sentiment-labels",
                t("Messages by sentiment"),
                t("Bar chart of negative, neutral and positive messages this month compared with last month"),
                charts.sentiment_distribution(
                    [t(label) for label in SENTIMENT_LABELS],
                    current,
                    [getattr(data.previous.sentiment, label) for label in SENTIMENT_LABELS],
                    shares=[fmt.percent(c / total, ctx.lang, 0) for c in current] if total else (),
                    title=t("Messages by sentiment"),
                    current_label=ctx.month_label,
                    previous_label=ctx.previous_label,
                    y_title=t("Messages"),
                    separators=ctx.separators,
                ),
                "sentiment",
            )
        )
    return out


def platform_rows(ctx: _Context) -> list[PlatformRow]:
    """The per-platform table."""
    lang, rows = ctx.lang, []
    for p in ctx.data.platforms:
        k = ctx.data.kpi_set.by_platform[p]
        rate, basis = _rate_and_basis(k, p, lang)
        rows.append(
            PlatformRow(
                platform=p,
                name=_platform_name(p),
                posts=fmt.number(k.posts, lang),
                impressions=fmt.compact(k.impressions, lang),
                reach=fmt.compact(k.reach, lang),
                engagements=fmt.compact(k.engagements, lang),
                engagement_rate=rate,
                rate_basis=basis,
                response_rate=fmt.percent(k.response_rate, lang),
                first_response=fmt.duration(k.first_response_time_median_minutes, lang),
                followers=fmt.number(k.followers_end, lang),
                follower_growth=("≈ " if k.follower_growth_rounded else "")
                + _value(k.follower_growth, "signed", lang),
            )
        )
    return rows


def account_rows(ctx: _Context) -> list[AccountRow]:
    """The account-level table: platforms that report views, reach, follows or unfollows of the account."""
    lang, rows = ctx.lang, []
    for p in ctx.data.platforms:
        k, prev = ctx.data.kpi_set.by_platform[p], ctx.data.kpi_set.previous_by_platform[p]
        figures = (k.account_views, k.account_reach_daily_average, k.followers_gained, k.followers_lost)
        if all(v is None for v in figures):
            continue
        views_change = _change(
            k.account_views, prev.account_views, rate=False, lower_is_better=False, lang=lang
        )
        reach_change = _change(
            k.account_reach_daily_average,
            prev.account_reach_daily_average,
            rate=False,
            lower_is_better=False,
            lang=lang,
        )
        rows.append(
            AccountRow(
                platform=p,
                name=_platform_name(p),
                views=fmt.compact(k.account_views, lang),
                views_change=" ".join(filter(None, (views_change[3], views_change[0]))),
                reach=fmt.compact(k.account_reach_daily_average, lang),
                reach_change=" ".join(filter(None, (reach_change[3], reach_change[0]))),
                follows=fmt.MISSING
                if k.followers_gained is None
                else "+" + fmt.number(k.followers_gained, lang),
                unfollows=fmt.MISSING
                if k.followers_lost is None
                else "−" + fmt.number(k.followers_lost, lang),
            )
        )
    return rows


def top_post_rows(ctx: _Context) -> list[PostRow]:
    """The month's posts with the most engagements."""
    lang, rows = ctx.lang, []
    for r in ctx.data.top_posts.to_dict("records"):
        rate = r["engagement_rate"] if pd.notna(r["engagement_rate"]) else r["engagement_rate_by_reach"]
        rows.append(
            PostRow(
                date=fmt.day_label(r["created_at"].tz_convert(ctx.period.tz).date(), lang),
                platform=_platform_name(r["platform"]),
                text=fmt.clip(r["text"], fmt.POST_CHARS),
                impressions=fmt.compact(None if pd.isna(r["impressions"]) else int(r["impressions"]), lang),
                engagements=fmt.number(int(r["engagements"]), lang),
                engagement_rate=fmt.percent(None if pd.isna(rate) else float(rate), lang),
            )
        )
    return rows


def best_post(data: ReportData, rows: list[PostRow]) -> BestPost | None:
    if not rows:
        return None
    return BestPost(
        platform=rows[0].platform, date=rows[0].date, engagements=int(data.top_posts["engagements"].iloc[0])
    )


def follow_up_rows(ctx: _Context, generated_at: datetime) -> list[MessageRow]:
    """Unanswered messages, in the order of :func:`pulse.kpis.follow_up_order`."""
    now = (
        pd.Timestamp(generated_at).tz_convert("UTC")
        if generated_at.tzinfo
        else pd.Timestamp(generated_at, tz="UTC")
    )
    rows = []
    for r in ctx.data.follow_up.to_dict("records"):
        label = str(r["sentiment"]) if pd.notna(r["sentiment"]) else ""
        rows.append(
            MessageRow(
                date=fmt.day_label(r["created_at"].tz_convert(ctx.period.tz).date(), ctx.lang),
                platform=_platform_name(r["platform"]),
                author=fmt.clip(r["author"], fmt.AUTHOR_CHARS),
                text=fmt.clip(r["text"], fmt.MESSAGE_CHARS),
                sentiment=ctx.t(label) if label else fmt.MISSING,
                sentiment_key=label or "none",
                age=fmt.duration(max((now - r["created_at"]).total_seconds() / 60, 0), ctx.lang),
            )
        )
    return rows


def notes(ctx: _Context) -> list[str]:
    """What a reader should know to read the numbers right."""
    t = ctx.t
    out = [t("Post metrics are their latest known values for posts published during the month.")]
    no_views = [_platform_name(p) for p in ctx.data.platforms if p in NO_VIEW_COUNTS]
    if no_views:
        out.append(
            t(
                "%(platforms)s report neither impressions nor reach: their engagement rate is not computed "
                "and their engagements count in the totals only."
            )
            % {"platforms": ", ".join(no_views)}
        )
    rounded = [
        _platform_name(p)
        for p in ctx.data.platforms
        if ctx.data.kpi_set.by_platform[p].follower_growth_rounded
    ]
    if rounded:
        out.append(
            t(
                "%(platforms)s: follower growth rests on the public subscriber count, which YouTube rounds to "
                "3 significant figures, so it is approximate (≈). Authorising YouTube Analytics gives the exact "
                "subscribers gained and lost."
            )
            % {"platforms": ", ".join(rounded)}
        )
    return out


def glossary(lang: str, opening_hours: str = "", timezone: str = "") -> list[GlossaryEntry]:
    """Each KPI's definition, in the words of docs/kpis.md."""
    t = partial(gettext, lang)
    entries = [
        ("Period", "One calendar month in the brand's time zone (%(tz)s): from the 1st at 00:00 local time to the next 1st at 00:00, end excluded."),
        ("Posts", "Number of posts whose publication date falls in the period. A post's metrics are its latest known values."),
        ("Impressions", "Sum of impressions over the period's posts that have a value; not available when none has one."),
        ("Reach", "Sum of reach over the period's posts that have a value; not available when none has one."),
        ("Engagements", "Sum of likes + comments + shares + saves + clicks over the period's posts (an empty count is 0)."),
        ("Engagement rate", "Σ engagements / Σ impressions over the period's posts with impressions > 0 (by reach where a platform reports reach only). Mastodon and Bluesky report neither, so they have no rate."),
        ("Messages received", "Messages not from the brand created in the period (customers answering the brand back are inbound messages too)."),
        ("Response rate", "Messages received that got at least one brand reply on the same platform, whenever it was sent (also after the period's end), divided by the messages received."),
        ("Median first response", "Median of the answered messages' first response times: the earliest brand reply's time minus the message's time."),
        ("Median first response in opening hours", "The same median, counting only the part of [message, first reply] that overlaps the brand's opening hours (%(hours)s, %(tz)s)."),
        ("Followers", "Sum over accounts of each account's last follower count in the period."),
        ("Follower growth", "Per account, its follows minus its unfollows over the period when the platform gives both for every day of it; otherwise its followers at the end minus at the start, where the start is its last count before the period's first day (else its first count inside the period). Summed over accounts."),
        ("Account views", "Sum over the period's days of the views of everything an account showed that day, as the platform reports them for the whole account (not only the month's posts)."),
        ("Average daily reach", "Mean, over the period's days that have a value, of the day's unique accounts reached (summed over the brand's accounts). Not a monthly unique reach: the same person counts once per day."),
        ("Follows and unfollows", "New follows and unfollows of the period's days that have a value, as the platform counts them (LinkedIn: follows only)."),
        ("Net sentiment", "(positive − negative) / (positive + negative) over the period's messages received that carry a sentiment label, from −1 to +1; not available when both are 0."),
        ("Messages to follow up", "Messages received in the period with no brand reply: complaints (negative) first, then questions, then the other messages, positive ones last; within each, the most negative score first, then the oldest."),
    ]  # fmt: skip
    values = {"hours": opening_hours, "tz": timezone}
    return [
        GlossaryEntry(t(term), t(definition) % values if "%(" in definition else t(definition))
        for term, definition in entries
    ]
