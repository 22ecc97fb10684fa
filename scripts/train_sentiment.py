"""Build the built-in sentiment model shipped in ``pulse/sentiment/sentiment_model.bin``.

Reproducible: same data, same code, same file. Run from the repository root::

    .venv/bin/python scripts/train_sentiment.py

It reads ``../shared/data`` (the UMSAB train split, plus the Emoji Sentiment
Ranking) and needs scikit-learn (a dev dependency); the run time needs only NumPy.

Two logistic regressions are trained on the same hashed features the analyzer
computes (``pulse.sentiment.features``):

* language identification: char 1-3 grams and words -> 6 languages;
* sentiment: char 2-5 grams, word 1-2 grams and the emoji lexicon, each
  feature present twice, once shared by all languages and once specific to the
  message's language (the "frustratingly easy" domain-adaptation trick), so the
  languages help one another while keeping their own weights.

Only the weight matrices are exported (float16, compressed). The validation
split is used for the reported scores only, unless ``--refit-on-val`` is given.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import random
import re
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "layers" / "core" / "python"))

from pulse.sentiment.builtin import MODEL_PATH, BuiltinAnalyzer, load_model  # noqa: E402
from pulse.sentiment.corpus import (  # noqa: E402
    UMSAB_LANGUAGES,
    LabelledTexts,
    load_emoji_polarity,
    load_umsab,
    macro_f1,
)
from pulse.sentiment.features import (  # noqa: E402
    N_DENSE,
    Normalizer,
    bucket_features,
    codepoints,
    ngram_hashes,
)

LANGUAGES = tuple(UMSAB_LANGUAGES.values())
_WORD_RE = re.compile(r"[^\W\d_]+")


def build_vocab(texts: list[str], min_count: int = 2) -> dict[str, float]:
    """Log-probability of each word seen at least ``min_count`` times (for hashtag segmentation)."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(w for w in _WORD_RE.findall(text.lower()) if not text.startswith("#"))
    total = sum(counts.values())
    return {w: round(math.log(c / total), 3) for w, c in sorted(counts.items()) if c >= min_count}


def emoji_table(polarity: dict[str, float]) -> np.ndarray:
    table = np.zeros(max(ord(e) for e in polarity) + 1, dtype=np.float32)
    for emoji, value in polarity.items():
        table[ord(emoji)] = value
    return table


def sentiment_matrix(
    data: dict[str, LabelledTexts],
    normalizer: Normalizer,
    emojis: np.ndarray,
    bits: int,
    char_ngrams: tuple[int, ...],
    word_ngrams: int,
    word_weight: float,
    negation_flip: bool,
) -> tuple[sp.csr_matrix, np.ndarray]:
    """Features with a shared block and one block per language (zero outside the message's language)."""
    n_cols = N_DENSE + (1 << bits)
    mats, labels = [], []
    for li, code in enumerate(LANGUAGES):
        part = data[code]
        codes = codepoints(normalizer(part.texts))
        grams = ngram_hashes(codes, char_ngrams, word_ngrams)
        kinds = [k for k in grams.kinds if negation_flip or k != "wn"]
        f = bucket_features(grams, bits, kinds, emojis, codes, word_weight=word_weight)
        m = sp.csr_matrix((f.values, (f.rows, f.columns)), shape=(f.n_rows, n_cols))
        blocks = [m] + [m if j == li else sp.csr_matrix((f.n_rows, n_cols)) for j in range(len(LANGUAGES))]
        mats.append(sp.hstack(blocks, format="csr"))
        labels.append(np.asarray(part.labels))
    return sp.vstack(mats, format="csr"), np.concatenate(labels)


def snippets(texts: list[str], seed: int = 7) -> list[str]:
    """Texts plus short word windows cut from them, so the language detector learns short messages."""
    rng = random.Random(seed)
    out = list(texts)
    for text in texts:
        words = text.split()
        for _ in range(2):
            if len(words) > 2:
                size = rng.randint(1, min(5, len(words) - 1))
                start = rng.randrange(0, len(words) - size + 1)
                out.append(" ".join(words[start : start + size]))
    return out


def language_matrix(
    data: dict[str, LabelledTexts], normalizer: Normalizer, bits: int, kinds: tuple[str, ...]
) -> tuple[sp.csr_matrix, np.ndarray]:
    n_cols = N_DENSE + (1 << bits)
    mats, labels = [], []
    for li, code in enumerate(LANGUAGES):
        grams = ngram_hashes(codepoints(normalizer(snippets(data[code].texts))), (2, 3), 1)
        f = bucket_features(grams, bits, kinds)
        mats.append(sp.csr_matrix((f.values, (f.rows, f.columns)), shape=(f.n_rows, n_cols)))
        labels.append(np.full(f.n_rows, li))
    return sp.vstack(mats, format="csr"), np.concatenate(labels)


def merge(a: dict[str, LabelledTexts], b: dict[str, LabelledTexts]) -> dict[str, LabelledTexts]:
    return {
        code: LabelledTexts(code, a[code].texts + b[code].texts, a[code].labels + b[code].labels)
        for code in LANGUAGES
    }


def evaluate(model_path: Path, val: dict[str, LabelledTexts]) -> dict[str, dict[str, float]]:
    """Macro-F1 of the written model on ``val``, with the language given and detected."""
    analyzer = BuiltinAnalyzer(load_model(model_path))
    report: dict[str, dict[str, float]] = {}
    index = {"negative": 0, "neutral": 1, "positive": 2}
    for code in LANGUAGES:
        part = val[code]
        given = [index[r.label] for r in analyzer.analyze(part.texts, lang=code)]
        detected = [index[r.label] for r in analyzer.analyze(part.texts)]
        langs = analyzer.detect_languages(part.texts)
        report[code] = {
            "macro_f1_given_lang": round(macro_f1(part.labels, given), 4),
            "macro_f1_detected_lang": round(macro_f1(part.labels, detected), 4),
            "language_accuracy": round(sum(x == code for x in langs) / len(langs), 4),
        }
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    parser.add_argument("--bits", type=int, default=18, help="log2 of the hash buckets")
    parser.add_argument("--c", type=float, default=10.0, help="inverse L2 strength of the sentiment model")
    parser.add_argument("--char-ngrams", default="345")
    parser.add_argument("--word-ngrams", type=int, default=2)
    parser.add_argument(
        "--word-weight", type=float, default=6.0, help="value of word n-grams vs char n-grams"
    )
    parser.add_argument(
        "--negation-flip",
        action="store_true",
        help="also count a negated word as the plain word with the opposite sign",
    )
    parser.add_argument("--refit-on-val", action="store_true", help="also train on the validation split")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    train = load_umsab(args.data, "train")
    val = load_umsab(args.data, "val")
    fit_data = merge(train, val) if args.refit_on_val else train
    all_texts = [t for code in LANGUAGES for t in fit_data[code].texts]
    vocab = build_vocab(all_texts)
    normalizer = Normalizer(vocab)
    polarity = load_emoji_polarity(args.data)
    emojis = emoji_table(polarity)
    char_ngrams = tuple(int(x) for x in args.char_ngrams)

    lang_bits, lang_kinds = 16, ("c2", "c3", "w1")
    x_lang, y_lang = language_matrix(fit_data, normalizer, lang_bits, lang_kinds)
    lang_clf = LogisticRegression(C=10.0, max_iter=500, tol=1e-4)
    lang_clf.fit(x_lang, y_lang)
    print(f"language model fitted ({time.perf_counter() - started:.0f} s)", flush=True)

    x, y = sentiment_matrix(
        fit_data,
        normalizer,
        emojis,
        args.bits,
        char_ngrams,
        args.word_ngrams,
        args.word_weight,
        args.negation_flip,
    )
    clf = LogisticRegression(C=args.c, max_iter=1000, tol=1e-4)
    clf.fit(x, y)
    print(f"sentiment model fitted on {x.shape} ({time.perf_counter() - started:.0f} s)", flush=True)

    n_cols = N_DENSE + (1 << args.bits)
    blocks = clf.coef_.T.reshape(len(LANGUAGES) + 1, n_cols, 3)
    scale = float(np.abs(blocks).max()) / 32000.0
    meta = {
        "format": 1,
        "languages": list(LANGUAGES),
        "bits": args.bits,
        "char_ngrams": list(char_ngrams),
        "word_ngrams": args.word_ngrams,
        "word_weight": args.word_weight,
        "negation_flip": args.negation_flip,
        "lang_bits": lang_bits,
        "lang_kinds": list(lang_kinds),
        "c": args.c,
        "trained_on": "umsab train + val" if args.refit_on_val else "umsab train",
    }
    words = sorted(vocab)
    buffer = io.BytesIO()
    np.savez_compressed(
        buffer,
        meta=np.array(json.dumps(meta, sort_keys=True)),
        sentiment_blocks=np.round(blocks / scale).astype(np.int16),
        sentiment_scale=np.array(scale, dtype=np.float32),
        sentiment_bias=np.tile(clf.intercept_.astype(np.float32), (len(LANGUAGES) + 1, 1)),
        lang_weights=lang_clf.coef_.T.astype(np.float16),
        lang_bias=lang_clf.intercept_.astype(np.float32),
        vocab_words=np.array("\n".join(words)),
        vocab_logp=np.array([vocab[w] for w in words], dtype=np.float16),
        emoji_codepoints=np.array([ord(e) for e in sorted(polarity)], dtype=np.int32),
        emoji_polarity=np.array([polarity[e] for e in sorted(polarity)], dtype=np.float32),
    )
    args.out.write_bytes(buffer.getvalue())
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB)")

    report = evaluate(args.out, val)
    for code, scores in report.items():
        print(code, scores)
    print(f"done in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
