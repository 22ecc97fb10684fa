"""Chart builders: small pure functions that return a plotly Figure.

The same figures are drawn in the HTML report, printed in the PDF and exported
as PNG for the email. Labels arrive already translated.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd
import plotly.graph_objects as go

PLATFORM_COLORS = {
    "x": "#1d1d1f",
    "facebook": "#1877f2",
    "instagram": "#c13584",
    "linkedin": "#0a66c2",
    "youtube": "#ff0000",
    "tiktok": "#25f4ee",
    "mastodon": "#6364ff",
    "bluesky": "#0085ff",
}

LINE_DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")

PLATFORM_NAMES = {
    "x": "X",
    "facebook": "Facebook",
    "instagram": "Instagram",
    "linkedin": "LinkedIn",
    "youtube": "YouTube",
    "tiktok": "TikTok",
    "mastodon": "Mastodon",
    "bluesky": "Bluesky",
}


def _layout(fig: go.Figure, title: str, separators: str, y_title: str | None = None) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left", "font": {"size": 15}},
        template="plotly_white",
        separators=separators,
        margin={"l": 50, "r": 20, "t": 48, "b": 40},
        height=280,
        legend={"orientation": "h", "y": -0.18, "x": 0},
        font={"family": "DejaVu Sans, Helvetica, Arial, sans-serif", "size": 12},
        hovermode="x unified",
    )
    fig.update_xaxes(automargin=True)
    fig.update_yaxes(automargin=True)
    if y_title:
        fig.update_yaxes(title_text=y_title)
    return fig


def _day_axis(fig: go.Figure, days: Sequence[object], every: int = 7) -> None:
    """Show one day label a week: 31 rotated labels are unreadable in print and on a phone."""
    labels = list(days)
    fig.update_xaxes(type="category", tickmode="array", tickvals=labels[::every], tickangle=0)


def daily_reach(
    days: Sequence[object],
    impressions: Sequence[float | None],
    engagements: Sequence[float],
    *,
    title: str,
    impressions_label: str,
    engagements_label: str,
    color: str,
    accent: str,
    separators: str,
) -> go.Figure:
    """Impressions (bars) and engagements (line, second axis) per local day."""
    fig = go.Figure()
    fig.add_bar(x=list(days), y=list(impressions), name=impressions_label, marker_color=color, opacity=0.85)
    fig.add_scatter(
        x=list(days),
        y=list(engagements),
        name=engagements_label,
        mode="lines+markers",
        line={"color": accent, "width": 2},
        yaxis="y2",
    )
    fig.update_layout(yaxis2={"overlaying": "y", "side": "right", "showgrid": False, "rangemode": "tozero"})
    _day_axis(fig, days)
    return _layout(fig, title, separators)


def followers_by_platform(frame: pd.DataFrame, *, title: str, separators: str) -> go.Figure:
    """Follower count per platform per day; ``frame`` has a date index and one column per platform."""
    fig = go.Figure()
    for i, platform in enumerate(frame.columns):
        fig.add_scatter(
            x=list(frame.index),
            y=frame[platform].tolist(),
            name=PLATFORM_NAMES.get(str(platform), str(platform)),
            mode="lines",
            # Several platforms are blue: the dash tells them apart (and in grey print).
            line={
                "color": PLATFORM_COLORS.get(str(platform)),
                "width": 2,
                "dash": LINE_DASHES[i % len(LINE_DASHES)],
            },
        )
    _day_axis(fig, list(frame.index))
    return _layout(fig, title, separators)


def engagement_by_platform(
    platforms: Sequence[str],
    current: Sequence[float],
    previous: Sequence[float],
    *,
    title: str,
    current_label: str,
    previous_label: str,
    color: str,
    separators: str,
) -> go.Figure:
    """Engagements per platform, this month beside last month."""
    names = [PLATFORM_NAMES.get(p, p) for p in platforms]
    fig = go.Figure()
    fig.add_bar(x=names, y=list(previous), name=previous_label, marker_color="#b8c2cc")
    fig.add_bar(x=names, y=list(current), name=current_label, marker_color=color)
    fig.update_layout(barmode="group", hovermode="closest")
    return _layout(fig, title, separators)


def response_time_distribution(
    buckets: Mapping[str, int],
    *,
    title: str,
    y_title: str,
    color: str,
    separators: str,
    business: Mapping[str, int] | None = None,
    elapsed_label: str = "",
    business_label: str = "",
    business_color: str = "#52606d",
) -> go.Figure:
    """Answered messages per first-response-time bucket, elapsed time beside opening hours only."""
    fig = go.Figure()
    fig.add_bar(
        x=list(buckets),
        y=list(buckets.values()),
        name=elapsed_label,
        marker_color=color,
        text=list(buckets.values()),
    )
    if business is not None:
        fig.add_bar(
            x=list(business),
            y=list(business.values()),
            name=business_label,
            marker_color=business_color,
            text=list(business.values()),
        )
    fig.update_traces(textposition="outside", cliponaxis=False)
    fig.update_xaxes(tickangle=0)
    fig.update_layout(hovermode="closest", showlegend=business is not None, barmode="group")
    return _layout(fig, title, separators, y_title)


def messages_per_day(
    days: Sequence[object],
    inbound: Sequence[int],
    responded: Sequence[int],
    *,
    title: str,
    inbound_label: str,
    responded_label: str,
    color: str,
    accent: str,
    separators: str,
) -> go.Figure:
    """Inbound messages per day and how many of them were answered."""
    fig = go.Figure()
    fig.add_bar(x=list(days), y=list(inbound), name=inbound_label, marker_color="#b8c2cc")
    fig.add_bar(x=list(days), y=list(responded), name=responded_label, marker_color=color)
    fig.update_layout(barmode="overlay")
    _day_axis(fig, days)
    return _layout(fig, title, separators)


def sentiment_trend(
    weeks: Sequence[object],
    net: Sequence[float | None],
    *,
    title: str,
    label: str,
    color: str,
    separators: str,
) -> go.Figure:
    """Net sentiment, (positive - negative) / (positive + negative), per week."""
    fig = go.Figure()
    fig.add_scatter(x=list(weeks), y=list(net), name=label, mode="lines+markers", line={"color": color})
    fig.update_yaxes(range=[-1.05, 1.05], zeroline=True, zerolinecolor="#888")
    fig.update_xaxes(type="category")
    return _layout(fig, title, separators)


#: Colours of the sentiment labels (negative, neutral, positive), distinct in grey print too.
SENTIMENT_COLORS = ("#b42318", "#9aa5b1", "#1a7f37")


def sentiment_distribution(
    labels: Sequence[str],
    current: Sequence[int],
    previous: Sequence[int],
    *,
    title: str,
    current_label: str,
    previous_label: str,
    separators: str,
    y_title: str,
    shares: Sequence[str] = (),
) -> go.Figure:
    """Messages per sentiment label (negative, neutral, positive), this month beside last month.

    ``shares`` are the current month's shares, already formatted, shown above its bars.
    """
    fig = go.Figure()
    fig.add_bar(
        x=list(labels),
        y=list(previous),
        name=previous_label,
        marker_color="#d9e2ec",
        marker_line={"color": "#7b8794", "width": 1},
    )
    fig.add_bar(
        x=list(labels),
        y=list(current),
        name=current_label,
        marker_color=list(SENTIMENT_COLORS[: len(labels)]),
        text=list(shares) or None,
        textposition="outside",
        cliponaxis=False,
    )
    fig.update_layout(barmode="group", hovermode="closest")
    return _layout(fig, title, separators, y_title)
