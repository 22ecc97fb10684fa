"""Errors raised by the sentiment package.

They derive from :class:`pulse.exceptions.PulseError`, so handlers map them by
type like every other core error.
"""

from __future__ import annotations

from pulse.exceptions import PulseError


class SentimentError(PulseError):
    """Base class of the sentiment errors."""


class SentimentModelError(SentimentError):
    """The built-in model file is missing or unreadable (rebuild it with scripts/train_sentiment.py)."""


class ComprehendError(SentimentError):
    """Amazon Comprehend failed (after retrying throttling) for a whole batch."""


class UnknownBackendError(SentimentError):
    """The configured sentiment backend is neither ``builtin`` nor ``comprehend``."""
