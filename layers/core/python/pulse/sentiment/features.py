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
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt

SEPARATOR = "\n"
_SEP_CODE = ord(SEPARATOR)
_SPACE_CODE = ord(" ")
_NEG_CODE = ord("¬")

#: Polarity lexicons baked into the model file, each with its own dense columns (see :class:`Lexicon`).
LEXICON_NAMES = ("en", "fr")
_LEXICON_COLUMNS = ("positive", "negative", "balance")
#: Rows of the weight table that hold dense (non-hashed) features.
DENSE_FEATURES = (
    "emoji_polarity",
    "emoji_count",
    *(f"lexicon_{name}_{column}" for name in LEXICON_NAMES for column in _LEXICON_COLUMNS),
)
N_DENSE = len(DENSE_FEATURES)
_LEXICON_OFFSET = 2
#: A lexicon word in the scope of a negation counts with this factor (VADER's ``N_SCALAR``).
NEGATED_VALENCE = -0.74

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
    [
        "not",
        "no",
        "never",
        "nothing",
        "nobody",
        "none",
        "nor",
        "neither",
        "cannot",
        "without",
        "dont",
        "doesnt",
        "didnt",
        "isnt",
        "wasnt",
        "arent",
        "werent",
        "wont",
        "cant",
        "couldnt",
        "shouldnt",
        "wouldnt",
        "aint",
        "ne",
        "n'",
        "pas",
        "jamais",
        "rien",
        "aucun",
        "aucune",
        "personne",
        "sans",
        "ni",
        "guère",
        "nullement",
        "nunca",
        "nada",
        "nadie",
        "ningún",
        "ninguno",
        "ninguna",
        "sin",
        "tampoco",
        "jamás",
        "nicht",
        "kein",
        "keine",
        "keinen",
        "keiner",
        "keinem",
        "keines",
        "nie",
        "niemals",
        "nichts",
        "ohne",
        "weder",
        "non",
        "mai",
        "niente",
        "nulla",
        "nessuno",
        "nessuna",
        "senza",
        "né",
        "não",
        "nao",
        "nem",
        "nenhum",
        "nenhuma",
        "ninguém",
        "sem",
    ]
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
    r"(?=["
    + "".join(sorted({re.escape(e[0]) for e in _EMOTICONS}))
    + r"])(?<![\w:/])("
    + "|".join(re.escape(e) for e in sorted(_EMOTICONS, key=len, reverse=True))
    + r")(?![\w/])"
)


def _trie_pattern(words: Iterable[str]) -> str:
    """A regex alternation of ``words`` shaped as a trie (much faster to match than a flat list)."""
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def walk(node: dict[str, Any]) -> str:
        alternatives = [re.escape(ch) + walk(child) for ch, child in sorted(node.items()) if ch]
        if not alternatives:
            return ""
        body = "(?:" + "|".join(alternatives) + ")"
        return body + "?" if "" in node else body

    return walk(trie)


_TAG_RE = re.compile(r"<[^<>\n]{0,200}>")
_URL_RE = re.compile(r"h(?<!\wh)ttps?(?:://\S*)?(?!\w)|w(?<!\ww)ww\.\S+")
_MENTION_RE = re.compile(r"@\w+")
_HASHTAG_RE = re.compile(r"#(\w+)")
_CAMEL_RE = re.compile(r"(?<=[a-zà-ÿ])(?=[A-ZÀ-Þ])")
_CAPS_RE = re.compile(r"[A-ZÀ-Þ](?<!\w[A-ZÀ-Þ])[A-ZÀ-Þ]{2,}(?!\w)")
_ELONG_RE = re.compile(r"(?=([^\W\d_])\1\1)\w\1+")
_PUNCT_REPEAT_RE = re.compile(r"([!?.])\1{2,}")
_PUNCTUATION = '!?.,;:()[]{}"«»“”…'
_NT_RE = re.compile(r"n't\b")
_ELISION_RE = re.compile(r"'(?=\w)")
_APOSTROPHE_RE = re.compile(r"[’‘`´]")
_NEG_SCOPE_RE = re.compile(r" (" + _trie_pattern(NEGATIONS) + r")((?: [^ \n!?.,;:()\[\]\"«»“”…]+){1,4})")


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
        batch = _APOSTROPHE_RE.sub("'", SEPARATOR.join(cleaned))
        batch = _URL_RE.sub(" http ", batch)
        batch = _MENTION_RE.sub(" @user ", batch)
        split_hashtag: Callable[[str], str] = self._split_hashtag  # type: ignore[attr-defined]
        batch = _HASHTAG_RE.sub(lambda m: " " + split_hashtag(m.group(1)) + " ", batch)
        batch = _CAPS_RE.sub(r"\g<0> _caps_", batch)
        batch = batch.lower()
        batch = _EMOTICON_RE.sub(lambda m: " " + _EMOTICONS[m.group(1)] + " ", batch)
        batch = _ELONG_RE.sub(r"\1\1 _elong_", batch)
        batch = _PUNCT_REPEAT_RE.sub(r"\1\1", batch)
        batch = _NT_RE.sub(" not", batch)
        batch = _ELISION_RE.sub("' ", batch)
        for mark in _PUNCTUATION:
            if mark in batch:
                batch = batch.replace(mark, f" {mark} ")
        # one space between tokens and around each message (str.split knows every Unicode space)
        batch = " " + " \n ".join(" ".join(line.split()) for line in batch.split(SEPARATOR)) + " "
        return _NEG_SCOPE_RE.sub(_mark_negation, batch)


def _mark_negation(match: re.Match[str]) -> str:
    return " " + match.group(1) + match.group(2).replace(" ", " ¬")


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


@dataclass(frozen=True)
class NGramHashes:
    """64-bit hashes of the n-grams of a batch, one part per kind.

    Kinds: ``c2``..``c5`` char n-grams, ``w1`` words, ``wn`` negated words
    hashed as the plain word (valued negatively), ``w2`` word bigrams.

    Within a part, ``rows`` (the message index) never decreases.
    """

    kinds: tuple[str, ...]
    rows: tuple[npt.NDArray[np.int64], ...]
    hashes: tuple[npt.NDArray[np.uint64], ...]
    n_rows: int
    message_of: npt.NDArray[np.int64]
    #: index in the ``w1`` part of each ``wn`` word (empty without word n-grams)
    negated_at: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


@dataclass(frozen=True)
class HashedFeatures:
    """Sparse features of a batch: ``value`` at (``row``, ``column``), duplicates add up."""

    rows: npt.NDArray[np.int64]
    columns: npt.NDArray[np.int64]
    values: npt.NDArray[np.float32]
    n_rows: int


def codepoints(batch: str) -> npt.NDArray[np.uint32]:
    """Code points of a normalised batch string, every digit folded to ``0``."""
    codes = np.frombuffer(batch.encode("utf-32-le"), dtype=np.uint32).copy()
    codes[(codes >= 0x31) & (codes <= 0x39)] = 0x30
    return codes


def ngram_hashes(
    codes: npt.NDArray[np.uint32], char_ngrams: Iterable[int] = (2, 3, 4, 5), word_ngrams: int = 2
) -> NGramHashes:
    """Hash every char n-gram and word n-gram of a normalised batch (see :class:`Normalizer`)."""
    n = len(codes)
    c = codes.astype(np.uint64)
    pw, inv = _powers(n)
    prefix = np.zeros(n + 1, dtype=np.uint64)
    np.cumsum(c * inv[:n], dtype=np.uint64, out=prefix[1:])
    is_sep = codes == _SEP_CODE
    sep_prefix = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(is_sep, out=sep_prefix[1:])
    kinds: list[str] = []
    rows: list[npt.NDArray[np.int64]] = []
    hashes: list[npt.NDArray[np.uint64]] = []
    negated_at = np.zeros(0, dtype=np.int64)
    for k in char_ngrams:
        if n < k:
            continue
        start = np.flatnonzero(sep_prefix[k:] == sep_prefix[: n + 1 - k])
        kinds.append(f"c{k}")
        rows.append(sep_prefix[start])
        hashes.append((prefix[start + k] - prefix[start]) * pw[start] * _MIX1)
    if word_ngrams:
        gap_idx = np.flatnonzero(is_sep | (codes == _SPACE_CODE))
        t_start = gap_idx[:-1] + 1
        t_end = gap_idx[1:]
        keep = t_end > t_start
        t_start, t_end = t_start[keep], t_end[keep]
        t_row = sep_prefix[t_start]
        kinds.append("w1")
        rows.append(t_row)
        hashes.append(((prefix[t_end] - prefix[t_start]) * pw[t_start] ^ _SALT_WORD) * _MIX2)
        # a negated word ("¬mal") also counts as the plain word with the opposite sign
        negated = np.flatnonzero((codes[t_start] == _NEG_CODE) & (t_end - t_start > 1))
        negated_at = negated.astype(np.int64)
        a, b = t_start[negated] + 1, t_end[negated]
        kinds.append("wn")
        rows.append(t_row[negated])
        hashes.append(((prefix[b] - prefix[a]) * pw[a] ^ _SALT_WORD) * _MIX2)
        if word_ngrams >= 2 and len(t_start) > 1:
            same = np.flatnonzero(t_row[1:] == t_row[:-1])
            a, b = t_start[same], t_end[same + 1]
            kinds.append("w2")
            rows.append(t_row[same])
            hashes.append(((prefix[b] - prefix[a]) * pw[a] ^ _SALT_BIGRAM) * _MIX2)
    return NGramHashes(
        kinds=tuple(kinds),
        rows=tuple(rows),
        hashes=tuple(hashes),
        n_rows=int(sep_prefix[-1]) + 1,
        message_of=sep_prefix[:-1],
        negated_at=negated_at,
    )


@dataclass(frozen=True)
class Lexicon:
    """A word polarity lexicon keyed by the same word hashes as the ``w1`` features.

    Attributes
    ----------
    keys
        Sorted 64-bit hashes of the lexicon's words (as normalised by :class:`Normalizer`).
    valence
        Polarity of each word in [-1, 1], in the order of ``keys``.
    """

    keys: npt.NDArray[np.uint64]
    valence: npt.NDArray[np.float32]

    @classmethod
    def from_words(cls, words: Mapping[str, float]) -> Lexicon:
        """Build from ``{word: valence}``; words must be single normalised tokens (see :func:`word_hashes`)."""
        hashes = word_hashes(list(words))
        values = np.asarray(list(words.values()), dtype=np.float32)
        order = np.argsort(hashes, kind="stable")
        keys, first = np.unique(hashes[order], return_index=True)
        return cls(keys=keys, valence=values[order][first])

    def lookup(self, hashes: npt.NDArray[np.uint64]) -> npt.NDArray[np.float32]:
        """Valence of each hashed word, 0 for words not in the lexicon."""
        if len(self.keys) == 0 or len(hashes) == 0:
            return np.zeros(len(hashes), dtype=np.float32)
        at = np.minimum(np.searchsorted(self.keys, hashes), len(self.keys) - 1)
        out: npt.NDArray[np.float32] = np.where(self.keys[at] == hashes, self.valence[at], 0.0).astype(
            np.float32
        )
        return out


def word_hashes(words: Sequence[str]) -> npt.NDArray[np.uint64]:
    """The ``w1`` hash of each already-normalised single-token word."""
    if not words:
        return np.zeros(0, dtype=np.uint64)
    codes = codepoints(" " + " \n ".join(words) + " ")
    grams = ngram_hashes(codes, (), 1)
    found = grams.hashes[grams.kinds.index("w1")]
    if len(found) != len(words):
        raise ValueError("every lexicon entry must be exactly one token")
    return found


#: Words after which a clause weighs more than the one before ("bien, mais trop cher"), VADER's rule.
CONTRASTS = (
    "but",
    "however",
    "although",
    "though",
    "yet",
    "mais",
    "pourtant",
    "cependant",
    "sauf",
    "quoique",
)
#: Words that strengthen the next word's valence ("très", "so"), a subset of VADER's boosters.
INTENSIFIERS = (
    "very", "really", "so", "too", "extremely", "absolutely", "totally", "super", "incredibly", "soo",
    "très", "vraiment", "trop", "tellement", "hyper", "vachement", "grave", "super", "archi", "extrêmement",
    "complètement", "totalement", "carrément", "si",
)  # fmt: skip
#: Factors of VADER: a lexicon word before a contrast word x 0.5, after it x 1.5; after an intensifier x (1 + 0.293).
BEFORE_CONTRAST, AFTER_CONTRAST, INTENSIFIED = 0.5, 1.5, 1.293


@lru_cache(maxsize=1)
def _rule_hashes() -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]:
    return np.sort(word_hashes(CONTRASTS)), np.sort(word_hashes(sorted(set(INTENSIFIERS))))


def _word_weights(grams: NGramHashes, w1: int) -> npt.NDArray[np.float32]:
    """Weight of each ``w1`` word's valence from its place: around a contrast word, after an intensifier."""
    rows = grams.rows[w1]
    hashes = grams.hashes[w1].copy()
    hashes[grams.negated_at] = grams.hashes[grams.kinds.index("wn")]  # "¬mais" is still "mais"
    contrast, intens = _rule_hashes()
    is_contrast: npt.NDArray[np.bool_] = np.isin(hashes, contrast)
    weights = np.ones(len(hashes), dtype=np.float32)
    if is_contrast.any():
        flags = is_contrast.astype(np.int64)
        seen: npt.NDArray[np.int64] = np.cumsum(flags)
        # contrast words in the same message before each word, and in the whole message
        first = np.searchsorted(rows, rows, side="left")
        last = np.searchsorted(rows, rows, side="right") - 1
        base: npt.NDArray[np.int64] = seen[first] - flags[first]
        before: npt.NDArray[np.int64] = seen - flags - base
        total: npt.NDArray[np.int64] = seen[last] - base
        weights[before > 0] = AFTER_CONTRAST
        weights[(before == 0) & (total > 0) & ~is_contrast] = BEFORE_CONTRAST
    is_intens = np.isin(hashes, intens)
    if is_intens.any():
        boosted = np.flatnonzero(is_intens[:-1] & (rows[1:] == rows[:-1])) + 1
        weights[boosted] *= INTENSIFIED
    return weights


def _lexicon_features(
    grams: NGramHashes, lexicons: Sequence[Lexicon], rules: bool = False
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """Dense lexicon columns: tanh of the summed positive and negative valences and of their balance.

    A word in the scope of a negation (``¬mal``) counts as the plain word times ``NEGATED_VALENCE``.
    With ``rules``, VADER's contrast and intensifier rules weigh each word (see :func:`_word_weights`).
    """
    n_rows = grams.n_rows
    w1 = grams.kinds.index("w1")
    wn = grams.kinds.index("wn")
    out_rows, out_cols, out_vals = [], [], []
    weights = _word_weights(grams, w1) if rules else None
    for g, lexicon in enumerate(lexicons):
        plain = lexicon.lookup(grams.hashes[w1])
        negated = lexicon.lookup(grams.hashes[wn]) * NEGATED_VALENCE
        if weights is not None:
            plain = plain * weights
            negated = negated * weights[grams.negated_at]
        val = np.concatenate((plain, negated))
        rows = np.concatenate((grams.rows[w1], grams.rows[wn]))
        hit = np.flatnonzero(val)
        if not len(hit):
            continue
        val, rows = val[hit], rows[hit]
        pos = np.bincount(rows, weights=np.maximum(val, 0.0), minlength=n_rows)
        neg = np.bincount(rows, weights=np.maximum(-val, 0.0), minlength=n_rows)
        has = np.flatnonzero(pos + neg)
        base = _LEXICON_OFFSET + g * len(_LEXICON_COLUMNS)
        for c, column in enumerate((pos, neg, pos - neg)):
            out_rows.append(has)
            out_cols.append(np.full(len(has), base + c, dtype=np.int64))
            out_vals.append(np.tanh(column[has]).astype(np.float32))
    if not out_rows:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    return np.concatenate(out_rows), np.concatenate(out_cols), np.concatenate(out_vals)


def bucket_features(
    grams: NGramHashes,
    bits: int,
    kinds: Iterable[str] | None = None,
    emoji_table: npt.NDArray[np.float32] | None = None,
    codes: npt.NDArray[np.uint32] | None = None,
    word_weight: float = 1.0,
    lexicons: Sequence[Lexicon] = (),
    lexicon_rules: bool = False,
) -> HashedFeatures:
    """Hashed n-grams as sparse features in ``N_DENSE + 2**bits`` columns.

    Values are ``1 / sqrt(number of n-grams of the message)`` so long and short
    messages weigh alike, word n-grams multiplied by ``word_weight``. With ``emoji_table`` (and ``codes``), the dense emoji
    features (lexicon polarity sum, log count) fill the first columns; each of ``lexicons``
    (in ``LEXICON_NAMES`` order) fills its three lexicon columns.
    """
    wanted = set(grams.kinds if kinds is None else kinds)
    shift = np.uint64(64 - bits)
    parts = [i for i, kind in enumerate(grams.kinds) if kind in wanted]
    if parts:
        rows = np.concatenate([grams.rows[i] for i in parts])
        cols = np.concatenate([(grams.hashes[i] >> shift).astype(np.int64) for i in parts]) + N_DENSE
    else:
        rows = np.zeros(0, dtype=np.int64)
        cols = np.zeros(0, dtype=np.int64)
    n_rows = grams.n_rows
    counts = np.bincount(rows, minlength=n_rows).astype(np.float32)
    scale = 1.0 / np.sqrt(np.maximum(counts, 1.0))
    values = scale[rows]
    if parts:
        sizes = [len(grams.rows[i]) for i in parts]
        factor = [
            (word_weight if grams.kinds[i].startswith("w") else 1.0)
            * (-1.0 if grams.kinds[i] == "wn" else 1.0)
            for i in parts
        ]
        if any(f != 1.0 for f in factor):
            values = values * np.repeat(np.asarray(factor, dtype=np.float32), sizes)
    if emoji_table is not None and codes is not None:
        pos = np.flatnonzero(codes < len(emoji_table))
        pol = emoji_table[codes[pos]]
        hit = np.flatnonzero(pol)
        if len(hit):
            r = grams.message_of[pos[hit]]
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
    if lexicons and "w1" in grams.kinds:
        lex_rows, lex_cols, lex_vals = _lexicon_features(grams, lexicons, lexicon_rules)
        rows = np.concatenate((rows, lex_rows))
        cols = np.concatenate((cols, lex_cols))
        values = np.concatenate((values, lex_vals))
    return HashedFeatures(rows=rows, columns=cols, values=values.astype(np.float32), n_rows=n_rows)


def hash_features(
    codes: npt.NDArray[np.uint32],
    bits: int,
    char_ngrams: Iterable[int] = (2, 3, 4, 5),
    word_ngrams: int = 2,
    emoji_table: npt.NDArray[np.float32] | None = None,
) -> HashedFeatures:
    """Hashed char and word n-grams of a normalised batch, in one call."""
    grams = ngram_hashes(codes, char_ngrams, word_ngrams)
    return bucket_features(grams, bits, emoji_table=emoji_table, codes=codes)
