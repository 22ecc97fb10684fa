"""Text normalisation and hashed n-gram features, vectorised over a batch.

The same code builds the training matrix (``scripts/train_sentiment.py``) and
scores texts at run time, so the two cannot drift apart.

Normalisation (social-media aware) turns a raw message into a lower-case,
space-tokenised string: HTML tags and entities removed, links -> ``http``,
mentions -> ``@user``, emoticons -> an emoji of the same polarity, elongations
("soooo") shortened and flagged, hashtags kept and segmented into words
(``#yenamarre`` -> ``#yenamarre y en a marre``), and the words after a
negation (``not``, ``pas``, ``nicht``...) prefixed with ``¬`` up to the next
punctuation mark.

Features are hashed char 2-5 grams and word 1-2 grams of that string. All
hashes are computed at once for the whole batch with NumPy: a polynomial
rolling hash modulo 2**64 over the code points, whose prefix sums give the
hash of any substring in O(1), then a 64-bit finaliser and the top bits as the
bucket. Hashes are deterministic (no ``PYTHONHASHSEED`` dependency).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

SEPARATOR = "\n"
_SEP_CODE = ord(SEPARATOR)
_SPACE_CODE = ord(" ")

#: Rows of the weight table that hold dense (non-hashed) features.
DENSE_FEATURES = ("emoji_polarity", "emoji_count", "bias_shift", "reserved")
N_DENSE = len(DENSE_FEATURES)

_P = np.uint64(0x9E3779B97F4A7C15 | 1)
_P_INV = np.uint64(pow(int(_P), -1, 2**64))
_SALT_WORD = np.uint64(0x5851F42D4C957F2D)
_SALT_BIGRAM = np.uint64(0x14057B7EF767814F)
_MIX1 = np.uint64(0xFF51AFD7ED558CCD)
_MIX2 = np.uint64(0xC4CEB9FE1A85EC53)
_S33 = np.uint64(33)

# ---------------------------------------------------------------------------
# Normalisation
# ---------------------------------------------------------------------------

NEGATIONS: frozenset[str] = frozenset(
    """
    not no never nothing nobody none nor neither cannot without dont doesnt didnt isnt wasnt arent
    werent wont cant couldnt shouldnt wouldnt aint
    ne n' pas jamais rien aucun aucune personne sans ni guère nullement
    nunca nada nadie ningún ninguno ninguna sin tampoco jamás
    nicht kein keine keinen keiner keinem keines nie niemals nichts ohne weder
    non mai niente nulla nessuno nessuna senza né
    não nao nem nenhum nenhuma ninguém sem
    """.split()
)

IRONY_TAGS: frozenset[str] = frozenset(
    {
        "sarcasm",
        "sarcastic",
        "irony",
        "ironic",
        "not",
        "ironie",
        "sarcasme",
        "ironia",
        "sarcasmo",
        "ironía",
        "sarkasmus",
        "ironie",
    }
)

# Emoticons mapped to an emoji of the same polarity, so that both the n-grams
# and the emoji lexicon see them.
_EMOTICONS: dict[str, str] = {
    ":)": "🙂",
    ":-)": "🙂",
    "(:": "🙂",
    ":]": "🙂",
    "=)": "🙂",
    ":d": "😀",
    ":-d": "😀",
    "xd": "😆",
    ";)": "😉",
    ";-)": "😉",
    ":p": "😛",
    ":-p": "😛",
    "<3": "❤",
    "^^": "😊",
    "^_^": "😊",
    ":(": "😞",
    ":-(": "😞",
    "):": "😞",
    ":'(": "😢",
    ":/": "😕",
    ":-/": "😕",
    ">:(": "😠",
    "</3": "💔",
    ":o": "😮",
    "-_-": "😑",
}
_EMOTICON_RE = re.compile(
    r"(?<![\w:/])(" + "|".join(re.escape(e) for e in sorted(_EMOTICONS, key=len, reverse=True)) + r")(?![\w/])"
)

_TAG_RE = re.compile(r"<[^<>\n]{0,200}>")
_URL_RE = re.compile(r"(?:https?://|www\.)\S+|\bhttps?\b")
_MENTION_RE = re.compile(r"@\w+")
_HASHTAG_RE = re.compile(r"#(\w+)")
_CAMEL_RE = re.compile(r"(?<=[a-zà-ÿ])(?=[A-ZÀ-Þ])")
_CAPS_RE = re.compile(r"(?<!\w)[A-ZÀ-Þ]{3,}(?!\w)")
_ELONG_RE = re.compile(r"(\w)\1{2,}")
_PUNCT_REPEAT_RE = re.compile(r"([!?.])\1{2,}")
_PUNCT_RE = re.compile(r"([!?.,;:()\[\]{}\"«»“”…]+)")
_NT_RE = re.compile(r"\b(ca|wo|do|does|did|is|was|are|were|could|should|would|ai|have|has|had)n'?t\b")
_ELISION_RE = re.compile(r"\b(\w{1,2})'(?=\w)")
_DIGIT_RE = re.compile(r"\d")
_SPACES_RE = re.compile(r"[ \t\r\f\v\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_NEG_SCOPE_RE = re.compile(
    r"(?<!\S)(" + "|".join(re.escape(w) for w in sorted(NEGATIONS, key=len, reverse=True)) + r")"
    r"((?: [^ \n!?.,;:()\[\]\"«»“”…]+){1,4})"
)
_TRANSLATE = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "\u2026": "…", "\u00ab": "«"})

_NT_EXPAND = {"ca": "can", "wo": "will", "ai": "is"}


def strip_html(text: str) -> str:
    """Remove HTML tags and decode entities (``&amp;`` -> ``&``)."""
    if "<" in text:
        text = _TAG_RE.sub(" ", text)
    if "&" in text:
        text = html.unescape(text)
    return text


def _segment(word: str, vocab: Mapping[str, float], max_len: int = 20) -> list[str]:
    """Split a run of letters into the most likely sequence of known words (unigram Viterbi)."""
    n = len(word)
    unknown = -12.0
    best = [0.0] + [-1e18] * n
    back = [0] * (n + 1)
    for end in range(1, n + 1):
        for start in range(max(0, end - max_len), end):
            piece = word[start:end]
            cost = vocab.get(piece)
            if cost is None:
                cost = unknown * (end - start) if end - start > 1 else unknown - 2
            score = best[start] + cost
            if score > best[end]:
                best[end] = score
                back[end] = start
    parts: list[str] = []
    end = n
    while end > 0:
        parts.append(word[back[end] : end])
        end = back[end]
    return parts[::-1]


@dataclass(frozen=True)
class Normalizer:
    """Social-media aware normalisation of a batch of messages.

    Parameters
    ----------
    vocab
        Log-probabilities of known words, used to segment hashtags.
    """

    vocab: Mapping[str, float]

    def __post_init__(self) -> None:
        vocab = self.vocab

        @lru_cache(maxsize=65536)
        def split_hashtag(tag: str) -> str:
            camel = _CAMEL_RE.split(tag)
            low = tag.lower()
            irony = " _irony_" if low in IRONY_TAGS else ""
            if len(camel) > 1:
                parts = [p.lower() for p in camel]
            elif len(low) > 4 and low not in vocab and low.isalpha():
                parts = _segment(low, vocab)
            else:
                parts = [low]
            words = " ".join(parts)
            return f"#{low} {words}{irony}" if len(parts) > 1 or irony else f"#{low} {low}"

        object.__setattr__(self, "_split_hashtag", split_hashtag)

    def __call__(self, texts: Sequence[str]) -> str:
        """Normalise ``texts`` into one string, one message per line.

        Returns
        -------
        str
            The normalised messages joined by ``SEPARATOR``, each padded with
            one space on both sides.
        """
        cleaned = []
        for text in texts:
            if "<" in text or "&" in text:
                text = strip_html(text)
            if "\n" in text or "\r" in text:
                text = text.replace("\r", " ").replace("\n", " ")
            cleaned.append(text)
        batch = SEPARATOR.join(cleaned).translate(_TRANSLATE)
        batch = _URL_RE.sub(" http ", batch)
        batch = _MENTION_RE.sub(" @user ", batch)
        split_hashtag: Callable[[str], str] = self._split_hashtag  # type: ignore[attr-defined]
        batch = _HASHTAG_RE.sub(lambda m: " " + split_hashtag(m.group(1)) + " ", batch)
        batch = _CAPS_RE.sub(lambda m: m.group(0) + " _caps_", batch)
        batch = batch.lower()
        batch = _EMOTICON_RE.sub(lambda m: " " + _EMOTICONS[m.group(1)] + " ", batch)
        batch = _ELONG_RE.sub(r"\1\1 _elong_", batch)
        batch = _PUNCT_REPEAT_RE.sub(r"\1\1", batch)
        batch = _NT_RE.sub(lambda m: _NT_EXPAND.get(m.group(1), m.group(1)) + " not", batch)
        batch = _ELISION_RE.sub(r"\1' ", batch)
        batch = _PUNCT_RE.sub(r" \1 ", batch)
        batch = _DIGIT_RE.sub("0", batch)
        batch = _SPACES_RE.sub(" ", batch)
        batch = batch.replace("\n", " \n ")
        batch = _NEG_SCOPE_RE.sub(_mark_negation, " " + batch + " ")
        return _SPACES_RE.sub(" ", batch)


def _mark_negation(match: re.Match[str]) -> str:
    return match.group(1) + match.group(2).replace(" ", " ¬")


# ---------------------------------------------------------------------------
# Hashing
# ---------------------------------------------------------------------------

_POW_CACHE: dict[str, npt.NDArray[np.uint64]] = {}


def _powers(n: int) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]:
    have = _POW_CACHE.get("p")
    if have is None or len(have) < n + 1:
        size = max(n + 1, 1 << 16, 0 if have is None else 2 * len(have))
        base = np.full(size, _P, dtype=np.uint64)
        base[0] = 1
        inv = np.full(size, _P_INV, dtype=np.uint64)
        inv[0] = 1
        _POW_CACHE["p"] = np.cumprod(base, dtype=np.uint64)
        _POW_CACHE["i"] = np.cumprod(inv, dtype=np.uint64)
    return _POW_CACHE["p"], _POW_CACHE["i"]


def _bucket(h: npt.NDArray[np.uint64], bits: int) -> npt.NDArray[np.int64]:
    h = h ^ (h >> _S33)
    h = h * _MIX1
    h = h ^ (h >> _S33)
    h = h * _MIX2
    h = h ^ (h >> _S33)
    return (h >> np.uint64(64 - bits)).astype(np.int64) + N_DENSE


@dataclass(frozen=True)
class HashedFeatures:
    """Sparse features of a batch: ``value`` at (``row``, ``column``), duplicates add up."""

    rows: npt.NDArray[np.int64]
    columns: npt.NDArray[np.int64]
    values: npt.NDArray[np.float32]
    n_rows: int


def codepoints(batch: str) -> npt.NDArray[np.uint32]:
    """Code points of a normalised batch string."""
    return np.frombuffer(batch.encode("utf-32-le"), dtype=np.uint32)


def hash_features(
    codes: npt.NDArray[np.uint32],
    bits: int,
    char_ngrams: Iterable[int] = (2, 3, 4, 5),
    word_ngrams: int = 2,
    emoji_table: npt.NDArray[np.float32] | None = None,
) -> HashedFeatures:
    """Hashed char and word n-grams of a normalised batch (see :class:`Normalizer`).

    Values are scaled by ``1 / sqrt(number of n-grams of the message)`` so long
    and short messages weigh alike. The dense emoji features (lexicon polarity
    sum and count) go in the first ``N_DENSE`` columns.
    """
    n = len(codes)
    c = codes.astype(np.uint64)
    pw, inv = _powers(n)
    prefix = np.zeros(n + 1, dtype=np.uint64)
    np.cumsum(c * inv[:n], dtype=np.uint64, out=prefix[1:])
    is_sep = codes == _SEP_CODE
    sep_prefix = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(is_sep, out=sep_prefix[1:])
    n_rows = int(sep_prefix[-1]) + 1

    rows_parts: list[npt.NDArray[np.int64]] = []
    col_parts: list[npt.NDArray[np.int64]] = []

    for k in char_ngrams:
        if n < k:
            continue
        start = np.arange(n - k + 1)
        ok = sep_prefix[start + k] == sep_prefix[start]
        start = start[ok]
        h = (prefix[start + k] - prefix[start]) * pw[start]
        rows_parts.append(sep_prefix[start])
        col_parts.append(_bucket(h, bits))

    if word_ngrams:
        is_gap = is_sep | (codes == _SPACE_CODE)
        gap_idx = np.flatnonzero(is_gap)
        # tokens are the non-empty runs between gaps
        bounds_start = np.concatenate(([0], gap_idx + 1))
        bounds_end = np.concatenate((gap_idx, [n]))
        keep = bounds_end > bounds_start
        t_start = bounds_start[keep]
        t_end = bounds_end[keep]
        t_row = sep_prefix[t_start]
        h = ((prefix[t_end] - prefix[t_start]) * pw[t_start]) ^ _SALT_WORD
        rows_parts.append(t_row)
        col_parts.append(_bucket(h, bits))
        if word_ngrams >= 2 and len(t_start) > 1:
            same = t_row[1:] == t_row[:-1]
            a = t_start[:-1][same]
            b = t_end[1:][same]
            h2 = ((prefix[b] - prefix[a]) * pw[a]) ^ _SALT_BIGRAM
            rows_parts.append(t_row[:-1][same])
            col_parts.append(_bucket(h2, bits))

    rows = np.concatenate(rows_parts) if rows_parts else np.zeros(0, dtype=np.int64)
    cols = np.concatenate(col_parts) if col_parts else np.zeros(0, dtype=np.int64)
    counts = np.bincount(rows, minlength=n_rows).astype(np.float32)
    scale = 1.0 / np.sqrt(np.maximum(counts, 1.0))
    values = scale[rows]

    if emoji_table is not None:
        in_range = codes < len(emoji_table)
        pos = np.flatnonzero(in_range)
        pol = emoji_table[codes[pos]]
        hit = pol != 0
        pos = pos[hit]
        if len(pos):
            r = sep_prefix[pos]
            pol_sum = np.bincount(r, weights=pol[hit], minlength=n_rows)
            cnt = np.bincount(r, minlength=n_rows)
            has = np.flatnonzero(cnt)
            rows = np.concatenate((rows, has, has))
            cols = np.concatenate(
                (cols, np.zeros(len(has), dtype=np.int64), np.ones(len(has), dtype=np.int64))
            )
            values = np.concatenate(
                (
                    values,
                    np.clip(pol_sum[has], -3.0, 3.0).astype(np.float32),
                    np.log1p(cnt[has]).astype(np.float32),
                )
            )
    return HashedFeatures(rows=rows, columns=cols, values=values.astype(np.float32), n_rows=n_rows)
