"""Readers for the labelled corpora the built-in model is trained and evaluated on.

Used by ``scripts/train_sentiment.py``, the benchmark and the quality test;
nothing at run time needs them.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

#: UMSAB folder name -> ISO 639-1 code, in the model's table order.
UMSAB_LANGUAGES = {
    "english": "en",
    "french": "fr",
    "spanish": "es",
    "german": "de",
    "italian": "it",
    "portuguese": "pt",
}
_ESCAPED_RE = re.compile(r"\\u([0-9a-fA-F]{4})")


@dataclass(frozen=True)
class LabelledTexts:
    """Messages of one language and split with labels 0 negative, 1 neutral, 2 positive."""

    lang: str
    texts: list[str]
    labels: list[int]


def load_umsab(data_dir: Path, split: str) -> dict[str, LabelledTexts]:
    """Read one split (``train`` or ``val``) of every UMSAB language.

    Literal ``\\uXXXX`` escapes left in the English tweets are decoded.
    """
    out: dict[str, LabelledTexts] = {}
    for folder, code in UMSAB_LANGUAGES.items():
        base = data_dir / "umsab" / folder
        labels = [int(x) for x in (base / f"{split}_labels.txt").read_text(encoding="utf-8").split()]
        lines = (base / f"{split}_text.txt").read_text(encoding="utf-8").split("\n")[: len(labels)]
        texts = [_ESCAPED_RE.sub(lambda m: chr(int(m.group(1), 16)), t).strip() for t in lines]
        out[code] = LabelledTexts(lang=code, texts=texts, labels=labels)
    return out


#: Languages of the customer-service sets written for the project (``data/customer-service``).
CUSTOMER_SERVICE_LANGUAGES = ("fr", "en")
_LABEL_NAMES = {"negative": 0, "neutral": 1, "positive": 2}


def load_labelled_tsv(path: Path, lang: str = "und") -> LabelledTexts:
    """Read one ``label<TAB>text`` file with a header line (labels ``negative``, ``neutral``, ``positive``)."""
    lines = path.read_text(encoding="utf-8").splitlines()[1:]
    pairs = [line.split("\t", 1) for line in lines if line.strip()]
    return LabelledTexts(
        lang=lang, texts=[text for _, text in pairs], labels=[_LABEL_NAMES[label] for label, _ in pairs]
    )


def load_customer_service(folder: Path, split: str) -> dict[str, LabelledTexts]:
    """Read ``{split}.{lang}.tsv`` (header ``label<TAB>text``) for each customer-service language.

    ``split`` is ``train`` (used to fit the model) or ``dev`` (written separately, only measured).
    """
    return {
        code: load_labelled_tsv(folder / f"{split}.{code}.tsv", code) for code in CUSTOMER_SERVICE_LANGUAGES
    }


def load_emoji_polarity(data_dir: Path) -> dict[str, float]:
    """Polarity of each single-code-point emoji: (positive - negative) / (occurrences + 3)."""
    out: dict[str, float] = {}
    path = data_dir / "emoji-sentiment" / "Emoji_Sentiment_Data_v1.0.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            emoji = row["Emoji"]
            if len(emoji) != 1:
                continue
            neg, neu, pos = int(row["Negative"]), int(row["Neutral"]), int(row["Positive"])
            out[emoji] = (pos - neg) / (neg + neu + pos + 3)
    return out


def class_f1(gold: list[int], predicted: list[int], n_classes: int = 3) -> list[float]:
    """F1 of each class (0 negative, 1 neutral, 2 positive)."""
    scores = []
    for k in range(n_classes):
        tp = sum(1 for g, p in zip(gold, predicted, strict=True) if g == k and p == k)
        fp = sum(1 for g, p in zip(gold, predicted, strict=True) if g != k and p == k)
        fn = sum(1 for g, p in zip(gold, predicted, strict=True) if g == k and p != k)
        scores.append(0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
    return scores


def macro_f1(gold: list[int], predicted: list[int], n_classes: int = 3) -> float:
    """Unweighted mean of the per-class F1 scores (the UMSAB / SemEval metric)."""
    return sum(class_f1(gold, predicted, n_classes)) / n_classes
