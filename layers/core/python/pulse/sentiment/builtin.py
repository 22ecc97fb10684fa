"""The built-in analyzer: language detection and a hashed n-gram logistic regression.

Everything runs offline from one small file shipped in the package
(``sentiment_model.bin``, a compressed NumPy archive built by
``scripts/train_sentiment.py``). Scoring a batch is a handful of vectorised
NumPy operations: normalise, hash, gather weights, softmax.
"""

from __future__ import annotations

import io
import json
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from pulse.sentiment.base import LABELS, SentimentResult
from pulse.sentiment.exceptions import SentimentModelError
from pulse.sentiment.features import (
    LEXICON_NAMES,
    N_DENSE,
    SEPARATOR,
    Lexicon,
    NGramHashes,
    Normalizer,
    bucket_features,
    codepoints,
    ngram_hashes,
)

MODEL_PATH = Path(__file__).with_name("sentiment_model.bin")
UNKNOWN_LANGUAGE = "und"
#: Messages are scored on their first characters only (a long article says little more).
MAX_CHARS = 20_000
#: Messages per vectorised batch: bounds memory and lets callers stream.
CHUNK_SIZE = 4096
#: Below this probability the language detector answers ``und``.
MIN_LANGUAGE_CONFIDENCE = 0.45

_LETTERS_RE = re.compile(r"(?<![@_#\w¬])(?!http\b)[^\W\d_]{2,}")


@dataclass(frozen=True)
class SentimentModel:
    """Weights of the built-in analyzer, as loaded from the model file.

    Attributes
    ----------
    languages
        Language codes with their own weights, in table order.
    sentiment_weights
        3 classes by ``(len(languages) + 1) * n_columns``: table ``i`` is
        language ``i``, the last one the model for any other language.
    lang_weights
        One row per language by ``N_DENSE + 2**lang_bits`` columns.
    lexicons
        Word polarity lexicons (English, French) baked in at build time, in ``LEXICON_NAMES`` order.
    """

    languages: tuple[str, ...]
    bits: int
    char_ngrams: tuple[int, ...]
    word_ngrams: int
    word_weight: float
    negation_flip: bool
    #: VADER's contrast ("but", "mais") and intensifier ("very", "très") rules on the lexicon features
    lexicon_rules: bool
    sentiment_weights: npt.NDArray[np.float32]
    sentiment_bias: npt.NDArray[np.float32]
    lang_bits: int
    lang_kinds: tuple[str, ...]
    lang_weights: npt.NDArray[np.float32]
    lang_bias: npt.NDArray[np.float32]
    emoji_table: npt.NDArray[np.float32]
    lexicons: tuple[Lexicon, ...]
    normalizer: Normalizer
    meta: dict[str, Any]

    @property
    def n_columns(self) -> int:
        """Rows of one weight table (dense features plus hash buckets)."""
        return N_DENSE + (1 << self.bits)


def load_model(path: Path = MODEL_PATH) -> SentimentModel:
    """Read a model file written by ``scripts/train_sentiment.py``."""
    try:
        with np.load(io.BytesIO(path.read_bytes()), allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
    except (OSError, ValueError) as exc:
        raise SentimentModelError(f"cannot read the sentiment model {path}: {exc}") from exc
    meta = json.loads(str(arrays["meta"]))
    languages = tuple(meta["languages"])
    bits = int(meta["bits"])
    n_cols = N_DENSE + (1 << bits)
    scale = arrays["sentiment_scale"].astype(np.float32)
    blocks = arrays["sentiment_blocks"].astype(np.float32) * scale
    generic = blocks[0]
    tables = np.empty((3, (len(languages) + 1) * n_cols), dtype=np.float32)
    for i in range(len(languages)):
        tables[:, i * n_cols : (i + 1) * n_cols] = (generic + blocks[i + 1]).T
    # languages without their own weights: the shared ones plus the average language
    tables[:, len(languages) * n_cols :] = (generic + blocks[1:].mean(axis=0)).T
    words = str(arrays["vocab_words"]).split("\n") if str(arrays["vocab_words"]) else []
    vocab = dict(zip(words, arrays["vocab_logp"].astype(float).tolist(), strict=True))
    emoji_table = np.zeros(int(arrays["emoji_codepoints"].max(initial=0)) + 1, dtype=np.float32)
    emoji_table[arrays["emoji_codepoints"]] = arrays["emoji_polarity"]
    lexicons = tuple(
        Lexicon(
            keys=arrays.get(f"lexicon_{name}_keys", np.zeros(0, dtype=np.uint64)).astype(np.uint64),
            valence=arrays.get(f"lexicon_{name}_valence", np.zeros(0, dtype=np.float32)).astype(np.float32),
        )
        for name in LEXICON_NAMES
    )
    return SentimentModel(
        languages=languages,
        bits=bits,
        char_ngrams=tuple(meta["char_ngrams"]),
        word_ngrams=int(meta["word_ngrams"]),
        word_weight=float(meta.get("word_weight", 1.0)),
        negation_flip=bool(meta.get("negation_flip", False)),
        lexicon_rules=bool(meta.get("lexicon_rules", False)),
        sentiment_weights=tables,
        sentiment_bias=arrays["sentiment_bias"].astype(np.float32),
        lang_bits=int(meta["lang_bits"]),
        lang_kinds=tuple(meta["lang_kinds"]),
        lang_weights=np.ascontiguousarray(arrays["lang_weights"].astype(np.float32).T),
        lang_bias=arrays["lang_bias"].astype(np.float32),
        emoji_table=emoji_table,
        lexicons=lexicons,
        normalizer=Normalizer(vocab),
        meta=meta,
    )


_MODEL: SentimentModel | None = None
_MODEL_LOCK = threading.Lock()


def get_model() -> SentimentModel:
    """The shipped model, loaded once per process (once per Lambda cold start)."""
    global _MODEL
    if _MODEL is None:
        with _MODEL_LOCK:
            if _MODEL is None:
                _MODEL = load_model()
    return _MODEL


def _softmax(logits: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    z: npt.NDArray[np.float32] = (logits - logits.max(axis=1, keepdims=True)).astype(np.float32)
    np.exp(z, out=z)
    z /= z.sum(axis=1, keepdims=True)
    return z


def _linear(
    rows: npt.NDArray[np.int64],
    flat_columns: npt.NDArray[np.int64],
    values: npt.NDArray[np.float32],
    weights: npt.NDArray[np.float32],
    n_rows: int,
) -> npt.NDArray[np.float32]:
    """``X @ weights.T`` for a sparse X given as (row, column, value) triples."""
    out = np.empty((n_rows, weights.shape[0]), dtype=np.float32)
    for k in range(weights.shape[0]):
        gathered = np.take(weights[k], flat_columns)
        gathered *= values
        out[:, k] = np.bincount(rows, weights=gathered, minlength=n_rows)
    return out


class BuiltinAnalyzer:
    """Offline sentiment for French, English, Spanish, German, Italian and Portuguese.

    Parameters
    ----------
    model
        Weights to use; the shipped model (loaded once, cached) by default.
    """

    def __init__(self, model: SentimentModel | None = None) -> None:
        self._model = model

    @property
    def model(self) -> SentimentModel:
        """The weights in use."""
        if self._model is None:
            self._model = get_model()
        return self._model

    def analyze(self, texts: Sequence[str], lang: str | None = None) -> list[SentimentResult]:
        """Label each message ``negative``, ``neutral`` or ``positive``.

        Parameters
        ----------
        texts
            Messages (tweets, comments); HTML is stripped before scoring.
        lang
            ISO 639-1 code of every message, or ``None`` to detect each one's language.
        """
        results: list[SentimentResult] = []
        for start in range(0, len(texts), CHUNK_SIZE):
            labels, scores, langs = self._score(texts[start : start + CHUNK_SIZE], lang)
            results.extend(
                SentimentResult(label=LABELS[k], score=s, lang=code)
                for k, s, code in zip(labels, scores, langs, strict=True)
            )
        return results

    def detect_languages(self, texts: Sequence[str]) -> list[str]:
        """ISO 639-1 code of each message, ``und`` when unknown."""
        model = self.model
        out: list[str] = []
        for start in range(0, len(texts), CHUNK_SIZE):
            batch = model.normalizer(_clip(texts[start : start + CHUNK_SIZE]))
            grams = ngram_hashes(codepoints(batch), (2, 3), 1)
            index = self._detect(batch, grams)
            out.extend(_lang_code(model, int(i)) for i in index)
        return out

    def _detect(self, batch: str, grams: NGramHashes) -> npt.NDArray[np.int64]:
        """Language table index per message (``len(languages)`` for unknown)."""
        model = self.model
        feats = bucket_features(grams, model.lang_bits, model.lang_kinds)
        logits = _linear(feats.rows, feats.columns, feats.values, model.lang_weights, feats.n_rows)
        probs = _softmax(logits + model.lang_bias)
        best = probs.argmax(axis=1)
        unknown = probs.max(axis=1) < MIN_LANGUAGE_CONFIDENCE
        lines = batch.split(SEPARATOR)
        for i, line in enumerate(lines):
            if _LETTERS_RE.search(line) is None:
                unknown[i] = True
        best[unknown] = len(model.languages)
        index: npt.NDArray[np.int64] = best.astype(np.int64)
        return index

    def _score(self, texts: Sequence[str], lang: str | None) -> tuple[list[int], list[float], list[str]]:
        model = self.model
        n = len(texts)
        if n == 0:
            return [], [], []
        batch = model.normalizer(_clip(texts))
        codes = codepoints(batch)
        grams = ngram_hashes(codes, model.char_ngrams, model.word_ngrams)
        if lang is None:
            table = self._detect(batch, grams)
            langs = [_lang_code(model, int(i)) for i in table]
        else:
            code = lang.lower()
            index = model.languages.index(code) if code in model.languages else len(model.languages)
            table = np.full(n, index, dtype=np.int64)
            langs = [code] * n
        kinds = [k for k in grams.kinds if model.negation_flip or k != "wn"]
        feats = bucket_features(
            grams,
            model.bits,
            kinds,
            model.emoji_table,
            codes,
            word_weight=model.word_weight,
            lexicons=model.lexicons,
            lexicon_rules=model.lexicon_rules,
        )
        flat = table[feats.rows] * model.n_columns + feats.columns
        logits = _linear(feats.rows, flat, feats.values, model.sentiment_weights, n)
        probs = _softmax(logits + model.sentiment_bias[table])
        labels = probs.argmax(axis=1).tolist()
        scores = np.round((probs[:, 2] - probs[:, 0]).astype(np.float64), 4).tolist()
        return labels, scores, langs


def _clip(texts: Sequence[str]) -> list[str]:
    return [t[:MAX_CHARS] if len(t) > MAX_CHARS else t for t in texts]


def _lang_code(model: SentimentModel, index: int) -> str:
    return model.languages[index] if index < len(model.languages) else UNKNOWN_LANGUAGE


def detect_language(text: str) -> str:
    """ISO 639-1 code of ``text`` (fr, en, es, de, it, pt), ``und`` when unknown."""
    return BuiltinAnalyzer().detect_languages([text])[0]
