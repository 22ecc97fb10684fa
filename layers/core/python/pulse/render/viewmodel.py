"""The view model: exactly what a report shows, already formatted and translated.

``build_report_view`` turns a brand's KPI results and tables into a
:class:`ReportView`; templates only lay it out, charts are plain figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

import pandas as pd
import plotly.graph_objects as go

from pulse.config import Brand
from pulse.kpis import Kpis, KpiSet, first_responses
from pulse.kpis.core import engagements_of, posts_in_period
from pulse.period import Period
from pulse.render import charts
from pulse.render import formatters as fmt
from pulse.render.i18n import gettext
from pulse.tables import Tables

Direction = Literal["up", "down", "flat", "none"]
Tone = Literal["good", "bad", "neutral"]

#: First-response-time buckets: (upper bound in minutes, label).
RESPONSE_BUCKETS: tuple[tuple[float, str], ...] = (
    (15, "< 15 min"),
    (60, "15–60 min"),
    (240, "1–4 h"),
    (1440, "4–24 h"),
    (float("inf"), "> 24 h"),
)


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


@dataclass(frozen=True)
class PlatformRow:
    platform: str
    name: str
    posts: str
    impressions: str
    engagements: str
    engagement_rate: str
    response_rate: str
    first_response: str
    followers: str
    follower_growth: str


@dataclass(frozen=True)
class ChartView:
    id: str
    title: str
    alt: str
    figure: go.Figure


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

    def t(self, message: str) -> str:
        return gettext(self.lang, message)


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


def _cards(kpis: Kpis, prev: Kpis, lang: str) -> list[KpiCard]:
    t = lambda m: gettext(lang, m)  # noqa: E731
    specs: list[tuple[str, str, float | None, float | None, str, bool, bool]] = [
        ("impressions", t("Impressions"), kpis.impressions, prev.impressions, "compact", False, False),
        ("reach", t("Reach"), kpis.reach, prev.reach, "compact", False, False),
        ("engagements", t("Engagements"), kpis.engagements, prev.engagements, "compact", False, False),
        ("engagement_rate", t("Engagement rate"), kpis.engagement_rate, prev.engagement_rate, "percent", True, False),
        ("followers_end", t("Followers"), kpis.followers_end, prev.followers_end, "number", False, False),
        ("follower_growth", t("Follower growth"), kpis.follower_growth, prev.follower_growth, "signed", False, False),
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
        ("posts", t("Posts"), kpis.posts, prev.posts, "number", False, False),
        ("inbound_messages", t("Messages received"), kpis.inbound_messages, prev.inbound_messages, "number", False, False),
        ("sentiment_net", t("Net sentiment"), kpis.sentiment.net, prev.sentiment.net, "signed_ratio", True, False),
    ]  # fmt: skip
    cards = []
    for key, label, cur, old, kind, rate, lower in specs:
        change, direction, tone, arrow = _change(cur, old, rate=rate, lower_is_better=lower, lang=lang)
        cards.append(
            KpiCard(
                key, label, _value(cur, kind, lang), _value(old, kind, lang), change, direction, tone, arrow
            )
        )
    return cards


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
        return fmt.MISSING if value is None else ("+" if value > 0 else "") + fmt.number(value, lang, 2)
    return fmt.number(value, lang)


def _local_days(times: pd.Series, period: Period) -> pd.Series:
    return times.dt.tz_convert(period.tz).dt.tz_localize(None).dt.normalize()


def _daily_index(period: Period) -> pd.DatetimeIndex:
    return pd.date_range(period.first_day, period.last_day, freq="D")


def build_report_view(
    brand: Brand,
    kpi_set: KpiSet,
    tables: Tables,
    generated_at: datetime,
    links: dict[str, str] | None = None,
) -> ReportView:
    """Everything the HTML, the PDF and the email show for one brand-month."""
    lang = brand.language
    t = lambda m: gettext(lang, m)  # noqa: E731
    period = kpi_set.period
    kpis, prev = kpi_set.kpis, kpi_set.previous
    separators = ", " if lang == "fr" else ".,"
    primary, accent = brand.colors.primary, brand.colors.accent
    month_label = fmt.month_name(period.first_day, lang)
    previous_label = fmt.month_name(period.previous().first_day, lang)
    index = _daily_index(period)
    day_labels = [fmt.day_label(d.date(), lang) for d in index]

    posts = posts_in_period(tables.posts, period).copy()
    posts["engagements"] = engagements_of(posts)
    posts["day"] = _local_days(posts["created_at"], period)
    daily = posts.groupby("day").agg(impressions=("impressions", "sum"), engagements=("engagements", "sum"))
    daily = daily.reindex(index, fill_value=0)

    responses = first_responses(tables.messages, period)
    responses["day"] = _local_days(responses["created_at"], period)
    responded = responses["first_reply_at"].notna()
    per_day = pd.DataFrame({"inbound": responses.groupby("day").size()}).reindex(index, fill_value=0)
    per_day["responded"] = responses[responded].groupby("day").size().reindex(index, fill_value=0)

    minutes = responses.loc[responded, "response_minutes"]
    buckets: dict[str, int] = {}
    lower = float("-inf")
    for upper, label in RESPONSE_BUCKETS:
        buckets[label] = int(((minutes >= lower) & (minutes < upper)).sum())
        lower = upper

    followers = tables.followers
    in_month = followers[
        (followers["date"] >= pd.Timestamp(period.first_day))
        & (followers["date"] <= pd.Timestamp(period.last_day))
    ]
    follower_frame = in_month.pivot_table(
        index="date", columns="platform", values="followers", aggfunc="sum", observed=True
    ).astype("float64")
    follower_frame.index = [fmt.day_label(pd.Timestamp(d).date(), lang) for d in follower_frame.index]

    platforms = sorted(kpi_set.by_platform)
    chart_views = [
        ChartView(
            "reach",
            t("Impressions and engagements per day"),
            t("Bar chart of impressions per day with a line of engagements per day"),
            charts.daily_reach(
                day_labels,
                daily["impressions"].astype("float64").tolist(),
                daily["engagements"].astype("float64").tolist(),
                title=t("Impressions and engagements per day"),
                impressions_label=t("Impressions"),
                engagements_label=t("Engagements"),
                color=primary,
                accent=accent,
                separators=separators,
            ),
        ),
        ChartView(
            "engagement-platforms",
            t("Engagements by platform"),
            t("Engagements per platform this month compared with last month"),
            charts.engagement_by_platform(
                platforms,
                [kpi_set.by_platform[p].engagements for p in platforms],
                [kpi_set.previous_by_platform[p].engagements for p in platforms],
                title=t("Engagements by platform"),
                current_label=month_label,
                previous_label=previous_label,
                color=primary,
                separators=separators,
            ),
        ),
        ChartView(
            "followers",
            t("Followers per platform"),
            t("Line chart of the follower count of each platform over the month"),
            charts.followers_by_platform(
                follower_frame, title=t("Followers per platform"), separators=separators
            ),
        ),
        ChartView(
            "messages",
            t("Messages received and answered per day"),
            t("Bar chart of messages received per day and how many were answered"),
            charts.messages_per_day(
                day_labels,
                per_day["inbound"].tolist(),
                per_day["responded"].tolist(),
                title=t("Messages received and answered per day"),
                inbound_label=t("Received"),
                responded_label=t("Answered"),
                color=primary,
                accent=accent,
                separators=separators,
            ),
        ),
        ChartView(
            "response-time",
            t("Time to first response"),
            t("Histogram of answered messages by time to first response"),
            charts.response_time_distribution(
                buckets,
                title=t("Time to first response"),
                y_title=t("Messages"),
                color=accent,
                separators=separators,
            ),
        ),
    ]
    labelled = responses[responses["sentiment"].notna()]
    if len(labelled):
        week = labelled["day"].dt.to_period("W").dt.start_time
        counts = labelled.groupby([week, labelled["sentiment"]]).size().unstack(fill_value=0)
        pos = counts.get("positive", pd.Series(0, index=counts.index))
        neg = counts.get("negative", pd.Series(0, index=counts.index))
        polar = (pos + neg).replace(0, pd.NA)
        net = ((pos - neg) / polar).astype("Float64")
        chart_views.append(
            ChartView(
                "sentiment",
                t("Net sentiment per week"),
                t("Line chart of net sentiment per week, from -1 (all negative) to +1 (all positive)"),
                charts.sentiment_trend(
                    [fmt.day_label(d.date(), lang) for d in net.index],
                    [None if pd.isna(v) else float(v) for v in net],
                    title=t("Net sentiment per week"),
                    label=t("Net sentiment"),
                    color=primary,
                    separators=separators,
                ),
            )
        )

    rows = []
    for p in platforms:
        k, pk = kpi_set.by_platform[p], kpi_set.previous_by_platform[p]
        rows.append(
            PlatformRow(
                platform=p,
                name=charts.PLATFORM_NAMES.get(p, p),
                posts=fmt.number(k.posts, lang),
                impressions=fmt.compact(k.impressions, lang),
                engagements=fmt.compact(k.engagements, lang),
                engagement_rate=fmt.percent(
                    k.engagement_rate if k.engagement_rate is not None else None, lang
                ),
                response_rate=fmt.percent(k.response_rate, lang),
                first_response=fmt.duration(k.first_response_time_median_minutes, lang),
                followers=fmt.number(k.followers_end, lang),
                follower_growth=_value(k.follower_growth, "signed", lang),
            )
        )
        del pk

    top = posts.sort_values(["engagements", "created_at"], ascending=[False, True]).head(5)
    top_posts = [
        PostRow(
            date=fmt.day_label(r.day.date(), lang),
            platform=charts.PLATFORM_NAMES.get(r.platform, r.platform),
            text=str(r.text) if pd.notna(r.text) else "",
            impressions=fmt.compact(None if pd.isna(r.impressions) else int(r.impressions), lang),
            engagements=fmt.number(int(r.engagements), lang),
            engagement_rate=fmt.percent(
                None if pd.isna(r.impressions) or not r.impressions else r.engagements / r.impressions, lang
            ),
        )
        for r in top.itertuples()
    ]

    open_items = responses[~responded].copy()
    open_items["rank"] = open_items["sentiment"].map({"negative": 0, "neutral": 1, "positive": 2}).fillna(1)
    open_items = open_items.sort_values(["rank", "created_at"], ascending=[True, False]).head(10)
    follow_up = [
        MessageRow(
            date=fmt.day_label(r.day.date(), lang),
            platform=charts.PLATFORM_NAMES.get(r.platform, r.platform),
            author=str(r.author) if pd.notna(r.author) else "",
            text=str(r.text) if pd.notna(r.text) else "",
            sentiment=t(str(r.sentiment)) if pd.notna(r.sentiment) else fmt.MISSING,
            age=fmt.duration((period.end - r.created_at).total_seconds() / 60, lang),
        )
        for r in open_items.itertuples()
    ]

    notes = [t("Post metrics are their latest known values for posts published during the month.")]
    no_views = [
        charts.PLATFORM_NAMES.get(p, p) for p in platforms if kpi_set.by_platform[p].impressions is None
    ]
    if no_views:
        notes.append(
            t("No impressions are available for: %(platforms)s; their engagement rate is not computed.")
            % {"platforms": ", ".join(no_views)}
        )

    return ReportView(
        brand_id=brand.id,
        brand_name=brand.name,
        lang=lang,
        month=str(period.month),
        month_label=month_label,
        previous_label=previous_label,
        generated_label=fmt.long_date(generated_at.astimezone(brand.tz), lang),
        primary_color=primary,
        accent_color=accent,
        logo=brand.logo,
        summary=summary_sentences(kpis, prev, lang, previous_label),
        cards=_cards(kpis, prev, lang),
        platforms=rows,
        charts=chart_views,
        top_posts=top_posts,
        follow_up=follow_up,
        glossary=glossary(lang),
        notes=notes,
        links=links or {},
    )


def summary_sentences(kpis: Kpis, prev: Kpis, lang: str, previous_label: str) -> list[str]:
    """A few plain sentences on the month, generated from the numbers."""
    t = lambda m: gettext(lang, m)  # noqa: E731
    out = []
    if kpis.impressions is not None and prev.impressions:
        change = (kpis.impressions - prev.impressions) / prev.impressions
        template = (
            t("Impressions rose by %(change)s compared with %(month)s.")
            if change >= 0
            else t("Impressions fell by %(change)s compared with %(month)s.")
        )
        out.append(template % {"change": fmt.percent(abs(change), lang), "month": previous_label})
    if kpis.response_rate is not None:
        out.append(
            t(
                "The team answered %(rate)s of the %(count)s messages received, with a median first response of %(median)s."
            )
            % {
                "rate": fmt.percent(kpis.response_rate, lang),
                "count": fmt.number(kpis.inbound_messages, lang),
                "median": fmt.duration(kpis.first_response_time_median_minutes, lang),
            }
        )
    if kpis.follower_growth is not None:
        out.append(
            t("The community gained %(growth)s followers (%(rate)s).")
            % {
                "growth": fmt.number(kpis.follower_growth, lang),
                "rate": fmt.signed_percent(kpis.follower_growth_rate, lang),
            }
        )
    return out


def glossary(lang: str) -> list[GlossaryEntry]:
    """Each KPI's definition (the wording of docs/kpis.md)."""
    t = lambda m: gettext(lang, m)  # noqa: E731
    entries = [
        ("Posts", "Posts published during the month, in the brand's time zone."),
        ("Impressions", "Sum of the impressions of the month's posts that report them (latest known values)."),
        ("Reach", "Sum of the reach of the month's posts that report it; accounts reached by several posts count once per post."),
        ("Engagements", "Likes + comments + shares + saves + clicks on the month's posts."),
        ("Engagement rate", "Engagements divided by impressions, over the month's posts that have impressions."),
        ("Response rate", "Share of the messages received during the month that got at least one reply from the brand, whenever it was sent."),
        ("Median first response", "Median time between a message and the brand's first reply to it, over the answered messages."),
        ("Follower growth", "Followers at the end of the month minus followers at its start (last count before the 1st), summed over accounts."),
        ("Net sentiment", "(positive − negative) / (positive + negative) over the messages received, from −1 to +1."),
    ]  # fmt: skip
    return [GlossaryEntry(t(term), t(definition)) for term, definition in entries]
