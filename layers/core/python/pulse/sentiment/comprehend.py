"""Amazon Comprehend backend (``BatchDetectSentiment``), with the built-in analyzer as fallback.

* texts are grouped by language and sent in batches of at most 25;
* each text is cut to Comprehend's 5,000-byte UTF-8 limit at a character boundary;
* throttling (``ThrottlingException``, ``TooManyRequestsException``) is retried
  with exponential backoff; other errors raise :class:`ComprehendError`;
* items Comprehend reports in ``ErrorList``, empty texts and languages it does
  not support are scored by the built-in analyzer;
* ``MIXED`` becomes ``neutral``; the score is always P(positive) - P(negative).
"""

from __future__ import annotations

import random
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, cast

from botocore.exceptions import ClientError

from pulse.sentiment.base import Label, SentimentAnalyzer, SentimentResult
from pulse.sentiment.builtin import BuiltinAnalyzer
from pulse.sentiment.exceptions import ComprehendError

if TYPE_CHECKING:
    from mypy_boto3_comprehend import ComprehendClient
else:
    ComprehendClient = Any

#: Languages ``BatchDetectSentiment`` accepts.
COMPREHEND_LANGUAGES = frozenset({"en", "es", "fr", "de", "it", "pt", "ar", "hi", "ja", "ko", "zh", "zh-TW"})
MAX_BATCH = 25
MAX_BYTES = 5000
THROTTLING_CODES = frozenset({"ThrottlingException", "TooManyRequestsException"})
_LABELS: dict[str, Label] = {
    "POSITIVE": "positive",
    "NEGATIVE": "negative",
    "NEUTRAL": "neutral",
    "MIXED": "neutral",
}


def truncate_utf8(text: str, max_bytes: int = MAX_BYTES) -> str:
    """``text`` cut to at most ``max_bytes`` bytes of UTF-8, never inside a character."""
    encoded = text.encode("utf-8")
    if len(encoded) <= max_bytes:
        return text
    return encoded[:max_bytes].decode("utf-8", errors="ignore")


def _comprehend_language(code: str) -> str | None:
    if code in COMPREHEND_LANGUAGES:
        return code
    low = code.lower()
    if low in {"zh-tw", "zh-hant"}:
        return "zh-TW"
    base = low.split("-")[0].split("_")[0]
    return base if base in COMPREHEND_LANGUAGES else None


class ComprehendAnalyzer:
    """Sentiment from Amazon Comprehend.

    Parameters
    ----------
    client
        A boto3 ``comprehend`` client; created lazily (and reused) when omitted.
    region_name
        Region of the lazily created client.
    fallback
        Scores what Comprehend cannot: the built-in analyzer by default.
    max_retries
        Retries of a throttled call before giving up.
    base_delay
        First backoff delay in seconds, doubled at each retry (with jitter).
    sleep
        Injected for tests.
    """

    def __init__(
        self,
        client: ComprehendClient | None = None,
        *,
        region_name: str | None = None,
        fallback: SentimentAnalyzer | None = None,
        max_retries: int = 6,
        base_delay: float = 0.25,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client
        self._region_name = region_name
        self._fallback = fallback
        self._builtin = BuiltinAnalyzer()
        self.max_retries = max_retries
        self.base_delay = base_delay
        self._sleep = sleep

    @property
    def client(self) -> ComprehendClient:
        """The boto3 client, created on first use."""
        if self._client is None:
            import boto3

            self._client = boto3.client("comprehend", region_name=self._region_name)
        return self._client

    @property
    def fallback(self) -> SentimentAnalyzer:
        """The analyzer used for what Comprehend does not score."""
        return self._fallback if self._fallback is not None else self._builtin

    def analyze(self, texts: Sequence[str], lang: str | None = None) -> list[SentimentResult]:
        """Label each message, through Comprehend where it supports the language.

        Parameters
        ----------
        texts
            Messages to score.
        lang
            Language code of every message, or ``None`` to detect each one's
            language with the built-in detector.
        """
        langs = [lang] * len(texts) if lang is not None else self._builtin.detect_languages(texts)
        results: list[SentimentResult | None] = [None] * len(texts)
        groups: dict[str, list[int]] = defaultdict(list)
        local: list[int] = []
        for i, (text, code) in enumerate(zip(texts, langs, strict=True)):
            target = _comprehend_language(code)
            if target is None or not text.strip():
                local.append(i)
            else:
                groups[target].append(i)
        for target, indexes in groups.items():
            for start in range(0, len(indexes), MAX_BATCH):
                chunk = indexes[start : start + MAX_BATCH]
                failed = self._batch(target, chunk, texts, langs, results)
                local.extend(failed)
        if local:
            local.sort()
            by_lang: dict[str, list[int]] = defaultdict(list)
            for i in local:
                by_lang[langs[i]].append(i)
            for code, indexes in by_lang.items():
                scored = self.fallback.analyze([texts[i] for i in indexes], lang=code)
                for i, result in zip(indexes, scored, strict=True):
                    results[i] = result
        return [r for r in results if r is not None]

    def _batch(
        self,
        target: str,
        indexes: list[int],
        texts: Sequence[str],
        langs: list[str],
        results: list[SentimentResult | None],
    ) -> list[int]:
        """Score one batch in place; return the indexes Comprehend reported as errors."""
        text_list = [truncate_utf8(texts[i]) for i in indexes]
        response = self._call(text_list, target)
        for item in response.get("ResultList", []):
            i = indexes[item["Index"]]
            score = item.get("SentimentScore", {})
            polarity = float(score.get("Positive", 0.0)) - float(score.get("Negative", 0.0))
            results[i] = SentimentResult(
                label=_LABELS.get(item.get("Sentiment", "NEUTRAL"), "neutral"),
                score=round(max(-1.0, min(1.0, polarity)), 4),
                lang=langs[i],
            )
        failed = [indexes[item["Index"]] for item in response.get("ErrorList", [])]
        # anything Comprehend did not mention at all is scored locally too
        failed.extend(i for i in indexes if results[i] is None and i not in failed)
        return failed

    def _call(self, text_list: list[str], target: str) -> dict[str, Any]:
        for attempt in range(self.max_retries + 1):
            try:
                response = self.client.batch_detect_sentiment(TextList=text_list, LanguageCode=target)
                return cast("dict[str, Any]", response)
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code", "")
                if code not in THROTTLING_CODES:
                    raise ComprehendError(f"Comprehend BatchDetectSentiment failed: {code}") from exc
                if attempt == self.max_retries:
                    raise ComprehendError(
                        f"Comprehend still throttling after {self.max_retries} retries"
                    ) from exc
                delay = self.base_delay * (2**attempt)
                self._sleep(delay * (0.5 + random.random() / 2))
        raise AssertionError("unreachable")  # pragma: no cover
