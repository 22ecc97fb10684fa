"""Say "not available from exports" on the cards whose KPI the month's sources cannot give.

The data side is :mod:`pulse.ingest.coverage` (which source fed which table,
per brand and month); this only rewrites the already formatted view, so it
works on whatever view builder produces the cards.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from pulse.render.charts import PLATFORM_NAMES
from pulse.render.formatters import MISSING
from pulse.render.i18n import gettext
from pulse.render.viewmodel import ReportView

#: KPI names of :mod:`pulse.ingest.coverage` -> the report cards that show them.
CARDS = {
    "inbound_messages": "inbound_messages",
    "response_rate": "response_rate",
    "first_response_time_median_minutes": "first_response_time_median_minutes",
    "business_hours_first_response": "business_hours_first_response",
    "sentiment": "sentiment_net",
    "followers_end": "followers_end",
    "follower_growth": "follower_growth",
}


def mark_unavailable(view: ReportView, notes: dict[str, str], lang: str) -> ReportView:
    """Replace the missing values (and the unknown 0 messages) of ``notes``' KPIs with the reason."""
    if not notes:
        return view
    keys = {CARDS[k]: reason for k, reason in notes.items() if k in CARDS}
    cards = []
    for card in view.cards:
        reason = keys.get(card.key)
        if reason and (card.value == MISSING or card.key == "inbound_messages"):
            card = replace(
                card, value=gettext(lang, reason), change="", direction="none", tone="neutral", arrow=""
            )
        cards.append(card)
    extra = []
    if "response_rate" in notes:
        extra.append(
            gettext(
                lang,
                "This month was built from the platforms' own exports, which carry no conversations: "
                "response times, response rate and sentiment need the platforms' APIs or a messages file.",
            )
        )
    return replace(view, cards=cards, notes=[*view.notes, *extra])


def state_reply_reach(view: ReportView, reach: Mapping[str, int | str], lang: str) -> ReportView:
    """Say, per platform whose connector has a limit, which late replies it does not fetch.

    ``reach`` is the month's record (:func:`pulse.ingest.coverage.month_coverage`): platform ->
    days (replies to older posts are not fetched; 0: no replies at all) or ``"any"`` (no limit,
    nothing to say). Platforms with the same limit share one sentence.
    """
    by_days: dict[int, list[str]] = {}
    for platform, days in sorted(reach.items()):
        if isinstance(days, int) and not isinstance(days, bool):
            by_days.setdefault(days, []).append(PLATFORM_NAMES.get(platform, platform))
    extra = []
    for days, names in sorted(by_days.items()):
        platforms = ", ".join(names)
        if days == 0:
            text = gettext(lang, "%(platforms)s: replies are not fetched (the platform's API gives none).")
        else:
            text = gettext(
                lang,
                "%(platforms)s: replies to posts published more than %(days)s days before the end of the "
                "period are not fetched.",
            )
        extra.append(text % {"platforms": platforms, "days": days})
    return replace(view, notes=[*view.notes, *extra]) if extra else view
