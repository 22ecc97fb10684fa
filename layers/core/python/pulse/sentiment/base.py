"""The result type and the interface every sentiment backend implements."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

Label = Literal["negative", "neutral", "positive"]
LABELS: tuple[Label, Label, Label] = ("negative", "neutral", "positive")


@dataclass(frozen=True)
class SentimentResult:
    """The sentiment of one message.

    Attributes
    ----------
    label
        ``negative``, ``neutral`` or ``positive``.
    score
        Polarity in [-1, 1]: P(positive) - P(negative).
    lang
        ISO 639-1 code of the language the message was scored as, ``und`` when unknown.
    """

    label: Label
    score: float
    lang: str


class SentimentAnalyzer(Protocol):
    """Anything that labels a batch of messages."""

    def analyze(self, texts: Sequence[str], lang: str | None = None) -> list[SentimentResult]:
        """Score ``texts``; ``lang=None`` detects each message's language."""
        ...
