"""Plain, tested formatters (also registered as Jinja filters).

Numbers, percentages and dates follow the report's locale through Babel:
``1 234`` and ``12,5 %`` in French, ``1,234`` and ``12.5%`` in English.
A missing value (``None``) is shown as an en dash, never as 0.
"""

from __future__ import annotations

import math
from datetime import date, datetime

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal, format_percent

from pulse.render.i18n import gettext, locale_of

MISSING = "–"


def _missing(value: float | int | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def number(value: float | int | None, lang: str, digits: int = 0) -> str:
    """A count or amount: ``12 345`` (fr) / ``12,345`` (en)."""
    if _missing(value):
        return MISSING
    assert value is not None
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=locale_of(lang))


def compact(value: float | int | None, lang: str) -> str:
    """A large count in short form: ``1,2 M`` / ``1.2M``, ``45,3 k`` / ``45.3K`` (no-break space in French)."""
    if _missing(value):
        return MISSING
    assert value is not None
    magnitude = abs(value)
    # A no-break space keeps "1,2 M" together when a table cell or a sentence wraps.
    for limit, suffix_en, suffix_fr in ((1e9, "B", "\u00a0Md"), (1e6, "M", "\u00a0M"), (1e3, "K", "\u00a0k")):
        if magnitude >= limit:
            digits = 1 if magnitude < limit * 100 else 0
            suffix = suffix_fr if lang == "fr" else suffix_en
            return number(value / limit, lang, digits) + suffix
    return number(value, lang)


def percent(value: float | None, lang: str, digits: int = 1) -> str:
    """A ratio as a percentage: ``12,5 %`` (fr) / ``12.5%`` (en)."""
    if _missing(value):
        return MISSING
    assert value is not None
    locale = Locale.parse(locale_of(lang))
    base = locale.percent_formats[None].pattern  # "#,##0 %" in French, "#,##0%" in English
    pattern = base.replace("#,##0", "#,##0" + ("." + "0" * digits if digits else ""), 1)
    return format_percent(value, format=pattern, locale=locale)


def signed_percent(value: float | None, lang: str, digits: int = 1) -> str:
    if _missing(value):
        return MISSING
    assert value is not None
    text = percent(abs(value), lang, digits)
    return ("+" if value > 0 else "−" if value < 0 else "±") + text


def points(value: float | None, lang: str) -> str:
    """A difference of two rates, in percentage points: ``+1,2 pt`` / ``+1.2 pts``."""
    if _missing(value):
        return MISSING
    assert value is not None
    sign = "+" if value > 0 else "−" if value < 0 else "±"
    unit = gettext(lang, "pts")
    return f"{sign}{number(abs(value) * 100, lang, 1)}\u00a0{unit}"


def duration(minutes: float | None, lang: str) -> str:
    """A response time: ``45 min``, ``2 h 05`` (fr) / ``2h 05m`` (en), ``3 j 4 h`` / ``3d 4h``."""
    if _missing(minutes):
        return MISSING
    assert minutes is not None
    total = round(minutes)
    if total < 60:
        return f"{total}\u00a0min"
    hours, mins = divmod(total, 60)
    if hours < 24:
        return f"{hours}\u00a0h\u00a0{mins:02d}" if lang == "fr" else f"{hours}h\u00a0{mins:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}\u00a0j\u00a0{hours}\u00a0h" if lang == "fr" else f"{days}d\u00a0{hours}h"


def month_name(day: date, lang: str) -> str:
    """``octobre 2026`` / ``October 2026``."""
    return format_date(day, "LLLL y", locale=locale_of(lang))


def long_date(day: date | datetime, lang: str) -> str:
    return format_date(day, "long", locale=locale_of(lang))


def short_datetime(moment: datetime, lang: str) -> str:
    return format_datetime(moment, "short", tzinfo=moment.tzinfo, locale=locale_of(lang))


def day_label(day: date, lang: str) -> str:
    return format_date(day, "d MMM", locale=locale_of(lang))


#: Display limits of user-supplied text (characters): the data keeps the full text.
MESSAGE_CHARS = 280
POST_CHARS = 400
AUTHOR_CHARS = 60
BRAND_CHARS = 80


def clip(text: object, limit: int) -> str:
    """``text`` for display: whitespace runs as one space, at most ``limit`` characters (``…`` when cut).

    A report's size and render time stay bounded whatever a message holds; the
    lake and ``kpis.json`` keep the full text.
    """
    if text is None or (not isinstance(text, str) and _is_na(text)):
        return ""
    value = " ".join(str(text)[: limit * 4 + 64].split())
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def _is_na(value: object) -> bool:
    try:
        return bool(value != value)  # NaN, pd.NA compare unequal to themselves
    except (TypeError, ValueError):
        return True
