"""The executive summary: a few sentences generated from the month's numbers.

Pure functions of the KPIs (and the best post), in the report's language. A
sentence is only written when every number it quotes is defined, so the summary
never shows a placeholder: a missing previous month, no message or no sentiment
label drops or rewords the sentence instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Literal

from pulse.kpis import Kpis
from pulse.render import formatters as fmt
from pulse.render.i18n import gettext, translations

MoveKind = Literal["count", "rate"]

#: Metrics compared with last month, and how a change is worded. Each msgid pair is
#: (rose, fell); rates quote both values, counts the relative change and the new value.
MOVES: dict[str, tuple[MoveKind, str, str]] = {
    "reach": (
        "count",
        "Reach rose by %(change)s compared with %(month)s, to %(value)s.",
        "Reach fell by %(change)s compared with %(month)s, to %(value)s.",
    ),
    "impressions": (
        "count",
        "Impressions rose by %(change)s compared with %(month)s, to %(value)s.",
        "Impressions fell by %(change)s compared with %(month)s, to %(value)s.",
    ),
    "engagements": (
        "count",
        "Engagements rose by %(change)s compared with %(month)s, to %(value)s.",
        "Engagements fell by %(change)s compared with %(month)s, to %(value)s.",
    ),
    "engagement_rate": (
        "rate",
        "The engagement rate rose from %(previous)s in %(month)s to %(value)s.",
        "The engagement rate fell from %(previous)s in %(month)s to %(value)s.",
    ),
    "followers_end": (
        "count",
        "The number of followers rose by %(change)s compared with %(month)s, to %(value)s.",
        "The number of followers fell by %(change)s compared with %(month)s, to %(value)s.",
    ),
    "response_rate": (
        "rate",
        "The response rate rose from %(previous)s in %(month)s to %(value)s.",
        "The response rate fell from %(previous)s in %(month)s to %(value)s.",
    ),
}


def ngettext(lang: str, singular: str, plural: str, n: int) -> str:
    """The catalogue's singular or plural form of a message for ``n``."""
    return translations(lang).ngettext(singular, plural, n)


#: Relative moves smaller than this are "stable" and not worth a sentence.
MIN_MOVE = 0.005
#: Median response times within this relative difference (or a minute) are "about as long".
SAME_TIME = 0.05


@dataclass(frozen=True)
class BestPost:
    """The month's post with the most engagements, already labelled for display."""

    platform: str
    date: str
    engagements: int


@dataclass(frozen=True)
class Move:
    key: str
    current: float
    previous: float

    @property
    def relative(self) -> float:
        return (self.current - self.previous) / abs(self.previous)


def largest_moves(kpis: Kpis, prev: Kpis, n: int = 3) -> list[Move]:
    """The ``n`` biggest relative changes among :data:`MOVES` that are defined in both months."""
    moves = []
    for key in MOVES:
        current, previous = getattr(kpis, key), getattr(prev, key)
        if current is None or previous is None or previous == 0:
            continue
        move = Move(key, float(current), float(previous))
        if abs(move.relative) >= MIN_MOVE:
            moves.append(move)
    moves.sort(key=lambda m: (-abs(m.relative), list(MOVES).index(m.key)))
    return moves[:n]


def _move_sentence(move: Move, lang: str, month: str) -> str:
    kind, rose, fell = MOVES[move.key]
    template = gettext(lang, rose if move.relative > 0 else fell)
    if kind == "rate":
        values = {"previous": fmt.percent(move.previous, lang), "value": fmt.percent(move.current, lang)}
    else:
        value = (
            fmt.compact(move.current, lang) if move.key != "followers_end" else fmt.number(move.current, lang)
        )
        values = {
            "change": fmt.percent(abs(move.relative), lang, 0 if abs(move.relative) >= 0.1 else 1),
            "value": value,
        }
    return template % {**values, "month": month}


def _best_post_sentence(best: BestPost, lang: str) -> str:
    template = ngettext(
        lang,
        "The best post, on %(platform)s on %(date)s, drew %(engagements)s engagement.",
        "The best post, on %(platform)s on %(date)s, drew %(engagements)s engagements.",
        best.engagements,
    )
    return template % {
        "platform": best.platform,
        "date": best.date,
        "engagements": fmt.number(best.engagements, lang),
    }


def _response_sentence(kpis: Kpis, prev: Kpis, lang: str, month: str) -> str | None:
    t = partial(gettext, lang)
    if kpis.inbound_messages == 0:
        return t("No message was received this month.")
    current = kpis.first_response_time_median_minutes
    if kpis.response_rate is None:
        return None
    if kpis.responded_messages == 0 and (current is None or kpis.response_rate == 0):
        return ngettext(
            lang,
            "The %(count)s message received this month got no reply.",
            "No reply was sent to the %(count)s messages received this month.",
            kpis.inbound_messages,
        ) % {"count": fmt.number(kpis.inbound_messages, lang)}
    if current is None:
        return t("The team answered %(rate)s of the %(count)s messages received.") % {
            "rate": fmt.percent(kpis.response_rate, lang),
            "count": fmt.number(kpis.inbound_messages, lang),
        }
    values = {
        "rate": fmt.percent(kpis.response_rate, lang),
        "count": fmt.number(kpis.inbound_messages, lang),
        "median": fmt.duration(current, lang),
        "month": month,
    }
    previous = prev.first_response_time_median_minutes
    if previous is None:
        template = t(
            "The team answered %(rate)s of the %(count)s messages received, with a median first response of %(median)s."
        )
    elif abs(current - previous) <= max(abs(previous) * SAME_TIME, 1):
        template = t(
            "The team answered %(rate)s of the %(count)s messages received; the median first response "
            "took %(median)s, about as long as in %(month)s (%(previous)s)."
        )
    elif current < previous:
        template = t(
            "The team answered %(rate)s of the %(count)s messages received; the median first response "
            "was faster than in %(month)s: %(median)s against %(previous)s."
        )
    else:
        template = t(
            "The team answered %(rate)s of the %(count)s messages received; the median first response "
            "was slower than in %(month)s: %(median)s against %(previous)s."
        )
    return template % {**values, "previous": fmt.duration(previous, lang)}


def _signed(value: float, lang: str) -> str:
    text = fmt.number(abs(value), lang, 2)
    return ("+" if value > 0 else "−" if value < 0 else "") + text


def _sentiment_sentence(kpis: Kpis, prev: Kpis, lang: str, month: str) -> str | None:
    t = partial(gettext, lang)
    current, previous = kpis.sentiment.net, prev.sentiment.net
    if current is None:
        return None
    values = {"value": _signed(current, lang), "month": month}
    if previous is None:
        template = t(
            "Net sentiment was %(value)s (%(positive)s positive and %(negative)s negative messages)."
        )
        values |= {
            "positive": fmt.number(kpis.sentiment.positive, lang),
            "negative": fmt.number(kpis.sentiment.negative, lang),
        }
    elif round(current, 2) > round(previous, 2):
        template = t("Net sentiment improved from %(previous)s in %(month)s to %(value)s.")
    elif round(current, 2) < round(previous, 2):
        template = t("Net sentiment declined from %(previous)s in %(month)s to %(value)s.")
    else:
        template = t("Net sentiment was stable at %(value)s.")
    if previous is not None:
        values["previous"] = _signed(previous, lang)
    return template % values


def summary_sentences(
    kpis: Kpis, prev: Kpis, lang: str, previous_month: str, best_post: BestPost | None = None
) -> list[str]:
    """The executive summary of a month, in ``lang``.

    Parameters
    ----------
    kpis, prev
        This month's and last month's KPIs.
    previous_month
        Last month's name as it reads in a sentence ("September", "septembre").
    best_post
        The month's post with the most engagements, if any.
    """
    t = partial(gettext, lang)
    out = [_move_sentence(m, lang, previous_month) for m in largest_moves(kpis, prev)]
    if not out and kpis.posts and prev.posts:
        out.append(
            t("Reach, engagement and followers were stable compared with %(month)s.")
            % {"month": previous_month}
        )
    if kpis.posts == 0:
        out.append(t("No post was published this month."))
    elif best_post is not None and best_post.engagements > 0:
        out.append(_best_post_sentence(best_post, lang))
    for sentence in (
        _response_sentence(kpis, prev, lang, previous_month),
        _sentiment_sentence(kpis, prev, lang, previous_month),
    ):
        if sentence:
            out.append(sentence)
    return out
