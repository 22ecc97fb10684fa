"""Cells of the platforms' own exports: localised numbers and dates.

The platforms write numbers and dates in the interface language of whoever
downloaded the file: ``1,234`` or ``1 234`` (no-break or narrow no-break space)
or ``1.234``; ``03/27/2026 06:08`` (English, month first) or ``27/03/2026 06:08``
(French, day first); ``Mar 5, 2026`` or ``5 mars 2026``. Each function here reads
one such cell and raises :class:`CellError` with a message naming the value;
the caller adds the file, row and column.
"""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import date, datetime, time
from typing import Literal
from zoneinfo import ZoneInfo

#: Order of the day and the month in numeric dates.
DateOrder = Literal["dmy", "mdy"]

# Spaces used as thousands separators: space, no-break space, narrow no-break space, thin space.
_GROUP_SPACES = re.compile(r"[ \u00a0\u202f\u2009\u2007']")
_EMPTY = {"", "-", "--", "—", "–", "n/a", "N/A", "nan", "NaN"}
#: The largest count accepted (as the canonical contract): anything above is a corrupt cell.
MAX_COUNT = 10**15

MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    (
        ("jan", "january", "janv", "janvier"),
        ("feb", "february", "fev", "févr", "fevr", "février", "fevrier"),
        ("mar", "march", "mars"),
        ("apr", "april", "avr", "avril"),
        ("may", "mai"),
        ("jun", "june", "juin"),
        ("jul", "july", "juil", "juillet"),
        ("aug", "august", "aout", "août"),
        ("sep", "sept", "september", "septembre"),
        ("oct", "october", "octobre"),
        ("nov", "november", "novembre"),
        ("dec", "december", "déc", "décembre", "decembre"),
    ),
    start=1,
):
    for _name in _names:
        MONTHS[_name] = _number

_ISO = re.compile(
    r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"
    r"(?:[T ](?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d+)?)?\s*(?P<tz>Z|[+-]\d{2}:?\d{2})?)?"
)
_NUMERIC = re.compile(
    r"(?P<a>\d{1,2})[/.](?P<b>\d{1,2})[/.](?P<y>\d{4})"
    r"(?:,?\s+(?P<H>\d{1,2})[:h](?P<M>\d{2})(?::(?P<S>\d{2}))?\s*(?P<ampm>[AaPp]\.?[Mm]\.?)?)?"
)
# "Tue, Jul 14, 2026", "Mar 5, 2026", "March 5, 2026 10:30 AM"
_TEXT_MDY = re.compile(
    r"(?:[A-Za-z]+\.?,?\s+)?(?P<mon>[A-Za-z]+)\.?\s+(?P<d>\d{1,2}),?\s+(?P<y>\d{4})"
    r"(?:,?\s+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?\s*(?P<ampm>[AaPp]\.?[Mm]\.?)?)?"
)
# "5 mars 2026", "mar. 5 mars 2026", "1er juil. 2026 à 10:30"
_TEXT_DMY = re.compile(
    r"(?:[^\d\s]+\.?,?\s+)?(?P<d>\d{1,2})(?:er)?\s+(?P<mon>[^\d\s.]+)\.?\s+(?P<y>\d{4})"
    r"(?:,?\s+(?:à\s+)?(?P<H>\d{1,2})[:h](?P<M>\d{2})(?::(?P<S>\d{2}))?)?"
)


class CellError(ValueError):
    """A cell that cannot be read; the message says what was expected."""


def is_empty(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip() in _EMPTY


def count(value: object) -> int | None:
    """A whole number >= 0 written in any of the supported locales; None when empty.

    Thousands separators (``,`` ``.`` space, no-break space, narrow no-break
    space, apostrophe) are dropped; a decimal part must be zero (``12,0``).
    """
    if is_empty(value):
        return None
    if isinstance(value, bool):
        raise CellError(f"{value!r} is not a whole number >= 0")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if value != math.floor(value):
            raise CellError(f"{value!r} is not a whole number >= 0")
        number = int(value)
    else:
        text = _GROUP_SPACES.sub("", str(value).strip())
        # A trailing decimal part of zeros (12.0, 12,00) is allowed; anything else with a
        # separator followed by exactly three digits is a thousands group.
        text = re.sub(r"[.,]0{1,2}$", "", text)
        if not re.fullmatch(r"\d{1,3}([.,]\d{3})+|\d+", text):
            raise CellError(f"{value!r} is not a whole number >= 0")
        number = int(re.sub(r"[.,]", "", text))
    if not 0 <= number <= MAX_COUNT:
        raise CellError(f"{value!r} is not a whole number between 0 and 10^15")
    return number


def signed_count(value: object) -> int | None:
    """Like :func:`count` but may be negative (``-3``, ``−3``): daily net changes."""
    if isinstance(value, str):
        text = value.strip().replace("\u2212", "-")
        if text.startswith("-") and not is_empty(text):
            magnitude = count(text[1:])
            return None if magnitude is None else -magnitude
        value = text.lstrip("+")
    if isinstance(value, int | float) and not isinstance(value, bool) and value < 0:
        magnitude = count(-value)
        return None if magnitude is None else -magnitude
    return count(value)


def _month(name: str) -> int:
    key = unicodedata.normalize("NFC", name.strip(". ").lower())
    if key in MONTHS:
        return MONTHS[key]
    plain = "".join(c for c in unicodedata.normalize("NFD", key) if unicodedata.category(c) != "Mn")
    if plain in MONTHS:
        return MONTHS[plain]
    raise CellError(f"unknown month {name!r}")


def _hour(hour: str | None, ampm: str | None) -> int:
    h = int(hour or 0)
    if ampm:
        pm = ampm.lower().startswith("p")
        if not 1 <= h <= 12:
            raise CellError(f"hour {h} with {ampm}")
        h = (h % 12) + (12 if pm else 0)
    return h


def guess_order(values: list[object], default: DateOrder) -> DateOrder:
    """``dmy`` or ``mdy`` for a column of numeric dates: a first field above 12 is a day."""
    firsts, seconds = set(), set()
    for value in values:
        if isinstance(value, str):
            match = _NUMERIC.match(value.strip())
            if match:
                firsts.add(int(match["a"]))
                seconds.add(int(match["b"]))
    if any(a > 12 for a in firsts) and not any(b > 12 for b in seconds):
        return "dmy"
    if any(b > 12 for b in seconds) and not any(a > 12 for a in firsts):
        return "mdy"
    return default


def timestamp(value: object, tz: ZoneInfo, order: DateOrder) -> datetime:
    """A point in time (UTC). Without an offset, the time is read in ``tz``; a date alone is 00:00 there."""
    if isinstance(value, datetime):
        local = value if value.tzinfo else value.replace(tzinfo=tz)
        return local.astimezone(ZoneInfo("UTC"))
    if isinstance(value, date):
        return datetime.combine(value, time(), tz).astimezone(ZoneInfo("UTC"))
    if is_empty(value):
        raise CellError("empty value (a date is required)")
    text = " ".join(str(value).replace("\u00a0", " ").replace("\u202f", " ").split())
    parts = _parse(text, order)
    if parts is None:
        raise CellError(
            f"{value!r} is not a date the exports use (e.g. 2026-03-05 10:30, "
            f"{'05/03/2026' if order == 'dmy' else '03/05/2026'} 10:30, Mar 5, 2026, 5 mars 2026)"
        )
    year, month, day, hour, minute, second, offset = parts
    try:
        naive = datetime(year, month, day, hour, minute, second)
    except ValueError as exc:
        raise CellError(f"{value!r} is not a valid date ({exc})") from exc
    if offset is not None:
        aware = datetime.fromisoformat(naive.isoformat() + ("+00:00" if offset == "Z" else offset))
    else:
        aware = naive.replace(tzinfo=tz)
    return aware.astimezone(ZoneInfo("UTC"))


def local_date(value: object, order: DateOrder) -> date:
    """A calendar day as written (no time zone conversion)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if is_empty(value):
        raise CellError("empty value (a date is required)")
    text = " ".join(str(value).replace("\u00a0", " ").replace("\u202f", " ").split())
    parts = _parse(text, order)
    if parts is None:
        raise CellError(f"{value!r} is not a date (e.g. 2026-03-05, Mar 5, 2026, 5 mars 2026)")
    try:
        return date(parts[0], parts[1], parts[2])
    except ValueError as exc:
        raise CellError(f"{value!r} is not a valid date ({exc})") from exc


def _parse(text: str, order: DateOrder) -> tuple[int, int, int, int, int, int, str | None] | None:
    match = _ISO.fullmatch(text)
    if match:
        tz = match["tz"]
        if tz and tz != "Z" and ":" not in tz:
            tz = tz[:3] + ":" + tz[3:]
        return (
            int(match["y"]), int(match["m"]), int(match["d"]),
            int(match["H"] or 0), int(match["M"] or 0), int(match["S"] or 0), tz,
        )  # fmt: skip
    match = _NUMERIC.fullmatch(text)
    if match:
        a, b = int(match["a"]), int(match["b"])
        day, month = (a, b) if order == "dmy" else (b, a)
        return (
            int(match["y"]), month, day,
            _hour(match["H"], match["ampm"]), int(match["M"] or 0), int(match["S"] or 0), None,
        )  # fmt: skip
    for pattern in (_TEXT_MDY, _TEXT_DMY):
        match = pattern.fullmatch(text)
        if match:
            try:
                month = _month(match["mon"])
            except CellError:
                continue
            ampm = match.groupdict().get("ampm")
            return (
                int(match["y"]), month, int(match["d"]),
                _hour(match["H"], ampm), int(match["M"] or 0), int(match["S"] or 0), None,
            )  # fmt: skip
    return None
