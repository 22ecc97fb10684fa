"""Sentiment of community messages: negative, neutral or positive, with a score.

Two backends behind one :class:`SentimentAnalyzer` protocol:

* ``builtin`` (default): offline, no download, fast enough for every message;
  language detection then a hashed n-gram logistic regression trained on tweets
  in French, English, Spanish, German, Italian and Portuguese (see docs/sentiment.md);
* ``comprehend``: Amazon Comprehend ``BatchDetectSentiment``, falling back to
  the built-in analyzer for what Comprehend cannot score.

>>> from pulse.sentiment import get_analyzer
>>> [r.label for r in get_analyzer().analyze(["J'adore ce produit 😍", "This is awful"])]
['positive', 'negative']
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from itertools import islice
from typing import Any, Literal, TextIO

from pulse.sentiment.base import Label, SentimentAnalyzer, SentimentResult
from pulse.sentiment.builtin import BuiltinAnalyzer, detect_language
from pulse.sentiment.comprehend import ComprehendAnalyzer
from pulse.sentiment.exceptions import (
    ComprehendError,
    SentimentError,
    SentimentModelError,
    UnknownBackendError,
)

__all__ = [
    "BuiltinAnalyzer",
    "ComprehendAnalyzer",
    "ComprehendError",
    "Label",
    "SentimentAnalyzer",
    "SentimentError",
    "SentimentModelError",
    "SentimentResult",
    "UnknownBackendError",
    "cli_main",
    "detect_language",
    "get_analyzer",
]

Backend = Literal["builtin", "comprehend"]
#: Lines the CLI scores at once: large enough to be fast, small enough to stream.
CLI_CHUNK = 512


def get_analyzer(backend: Backend = "builtin", **kwargs: Any) -> SentimentAnalyzer:
    """The analyzer of the configured backend.

    Parameters
    ----------
    backend
        ``builtin`` or ``comprehend`` (``Settings.sentiment_backend``).
    **kwargs
        Passed to the backend's constructor (``client=``, ``region_name=`` ...).
    """
    if backend == "builtin":
        return BuiltinAnalyzer(**kwargs)
    if backend == "comprehend":
        return ComprehendAnalyzer(**kwargs)
    raise UnknownBackendError(f"unknown sentiment backend {backend!r} (use 'builtin' or 'comprehend')")


def _chunks(lines: Iterator[str], size: int) -> Iterator[list[str]]:
    while chunk := list(islice(lines, size)):
        yield chunk


def cli_main(lang: str = "auto", stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> int:
    """Score one message per input line, print one JSON object per line.

    Each output line is ``{"label": ..., "score": ..., "lang": ...}``, in input
    order. Lines are processed in chunks, so output streams for long inputs.

    Parameters
    ----------
    lang
        ``auto`` to detect each line's language, else an ISO 639-1 code.

    Returns
    -------
    int
        The exit status (0).
    """
    analyzer = get_analyzer("builtin")
    fixed = None if lang in {"auto", ""} else lang
    lines = (line.rstrip("\r\n") for line in stdin)
    for chunk in _chunks(lines, CLI_CHUNK):
        for result in analyzer.analyze(chunk, lang=fixed):
            record = {"label": result.label, "score": result.score, "lang": result.lang}
            stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
        stdout.flush()
    return 0
