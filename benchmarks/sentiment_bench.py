"""Sentiment benchmark: quality and speed of the built-in analyzer beside VADER.

Run from the repository root::

    .venv/bin/python -m benchmarks.sentiment_bench [--n 20000] [--repeat 3] [--extra FILE.tsv ...]

Prints macro-F1 on the customer-service dev set (``data/customer-service/dev.*.tsv``:
messages written for the project, never fitted on) with the shipped model, and on
any other ``label<TAB>text`` file with a header line given with ``--extra`` or found
as ``data/customer-service/blind.*.tsv`` (macro-F1 and the F1 of each class), then
per language on the UMSAB validation split (``../shared/data``)
for both analyzers, ours measured with the held-out model (the shipped recipe
fitted on the train split only, ``build/sentiment_model.holdout.bin``, built by
``scripts/train_sentiment.py`` when missing or stale: about a minute, needs the
dev dependencies), since the shipped model also learned from the validation
split; then texts per second on one core for both on the same tweet-length texts, in the same run
(CPU time of this single-threaded process, so the figure holds on a busy machine too). VADER needs
the ``vaderSentiment`` dev dependency; its compound score is mapped with its
documented thresholds (>= 0.05 positive, <= -0.05 negative).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

from pulse.sentiment import BuiltinAnalyzer  # noqa: E402
from pulse.sentiment.builtin import MODEL_PATH, SentimentModel, load_model  # noqa: E402
from pulse.sentiment.corpus import (  # noqa: E402
    class_f1,
    load_customer_service,
    load_labelled_tsv,
    load_umsab,
    macro_f1,
)

REPO = Path(__file__).resolve().parents[1]
DATA_DIR = REPO.parent / "shared" / "data"
CUSTOMER_SERVICE_DIR = REPO / "data" / "customer-service"
HOLDOUT_PATH = REPO / "build" / "sentiment_model.holdout.bin"
LABEL_INDEX = {"negative": 0, "neutral": 1, "positive": 2}
SAMPLE = [
    "J'adore ce produit, merci @marque ! 😍 #top",
    "Service client injoignable depuis 3 jours... #yenamarre",
    "Not bad at all, the new update is soooo much faster http://t.co/x",
    "Worst experience ever, never again :(",
    "Das Paket kam pünktlich an, danke!",
    "La consegna è in ritardo di una settimana, pessimo",
]


def vader_labels() -> Callable[[Sequence[str]], list[int]] | None:
    """VADER as a batch function, or ``None`` when it is not installed."""
    try:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
    except ImportError:
        return None
    vader = SentimentIntensityAnalyzer()

    def label(texts: Sequence[str]) -> list[int]:
        out = []
        for text in texts:
            compound = vader.polarity_scores(text)["compound"]
            out.append(2 if compound >= 0.05 else 0 if compound <= -0.05 else 1)
        return out

    return label


def _recipe(model: SentimentModel) -> dict[str, object]:
    return {k: v for k, v in model.meta.items() if k != "trained_on"}


def holdout_model(shipped: SentimentModel, data_dir: Path) -> SentimentModel:
    """The shipped recipe fitted on the train split only, rebuilt when missing or stale."""
    if not str(shipped.meta.get("trained_on", "")).startswith("umsab train + val"):
        return shipped
    if not HOLDOUT_PATH.exists() or _recipe(load_model(HOLDOUT_PATH)) != _recipe(shipped):
        print(
            f"building the held-out model {HOLDOUT_PATH.relative_to(REPO)} (train split only)...", flush=True
        )
        script = REPO / "scripts" / "train_sentiment.py"
        command = [
            sys.executable,
            str(script),
            "--fit-on=train",
            f"--out={HOLDOUT_PATH}",
            f"--data={data_dir}",
        ]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    model = load_model(HOLDOUT_PATH)
    if _recipe(model) != _recipe(shipped):
        raise SystemExit("the shipped model was not built with the defaults of scripts/train_sentiment.py")
    return model


def extra_sets(given: Sequence[Path]) -> list[Path]:
    """The ``--extra`` files, or else the blind customer-service sets found beside the dev set."""
    return list(given) if given else sorted(CUSTOMER_SERVICE_DIR.glob("blind.*.tsv"))


def score_extra_sets(
    paths: Sequence[Path], ours: BuiltinAnalyzer, vader: Callable[[Sequence[str]], list[int]] | None
) -> None:
    """Macro-F1 and per-class F1 on each labelled file (language detected, as for the dev set)."""
    print(
        "\nextra labelled sets (shipped model, language detected); F1 per class: negative / neutral / positive"
    )
    print(f"{'set':<24}{'messages':>9}{'ours':>8}{'VADER':>8}   ours per class")
    for path in paths:
        part = load_labelled_tsv(path)
        predicted = [LABEL_INDEX[r.label] for r in ours.analyze(part.texts)]
        mine = macro_f1(part.labels, predicted)
        vad = macro_f1(part.labels, vader(part.texts)) if vader else float("nan")
        per_class = " / ".join(f"{x:.3f}" for x in class_f1(part.labels, predicted))
        print(f"{path.name:<24}{len(part.texts):>9}{mine:>8.3f}{vad:>8.3f}   {per_class}")


def throughput(fn: Callable[[Sequence[str]], object], texts: Sequence[str], repeat: int) -> float:
    """Best texts per CPU second over ``repeat`` runs (one thread: CPU time is one core's time)."""
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        fn(texts)
        best = min(best, time.process_time() - started)
    return len(texts) / best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Sentiment benchmark (built-in vs VADER)")
    parser.add_argument("--n", type=int, default=20_000, help="texts in the throughput run")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data", type=Path, default=DATA_DIR)
    parser.add_argument(
        "--extra",
        type=Path,
        action="append",
        default=[],
        help="another label<TAB>text file to score (repeatable; default: data/customer-service/blind.*.tsv)",
    )
    args = parser.parse_args(argv)

    started, cpu_started = time.perf_counter(), time.process_time()
    model = load_model()
    load_s, load_cpu = time.perf_counter() - started, time.process_time() - cpu_started
    ours = BuiltinAnalyzer(model)
    vader = vader_labels()
    print(
        f"model: {MODEL_PATH.name}, {MODEL_PATH.stat().st_size / 1e6:.2f} MB, loaded in {load_s:.3f} s ({load_cpu:.3f} s CPU), "
        f"trained on {model.meta.get('trained_on', '?')}"
    )

    if (CUSTOMER_SERVICE_DIR / "dev.fr.tsv").is_file():
        dev = load_customer_service(CUSTOMER_SERVICE_DIR, "dev")
        print(
            "\nmacro-F1 on the customer-service dev set (messages written for the project, "
            "never fitted on); ours = the shipped model, language detected"
        )
        print(f"{'set':<6}{'messages':>9}{'ours':>8}{'VADER':>8}")
        for code, part in dev.items():
            mine = macro_f1(part.labels, [LABEL_INDEX[r.label] for r in ours.analyze(part.texts)])
            vad = macro_f1(part.labels, vader(part.texts)) if vader else float("nan")
            print(f"{'cs-' + code:<6}{len(part.texts):>9}{mine:>8.3f}{vad:>8.3f}")

    extra = extra_sets(args.extra)
    if extra:
        score_extra_sets(extra, ours, vader)

    texts: list[str] = list(SAMPLE)
    if (args.data / "umsab").is_dir():
        held_out = BuiltinAnalyzer(holdout_model(model, args.data))

        def ours_labels(texts: Sequence[str], lang: str | None = None) -> list[int]:
            return [LABEL_INDEX[r.label] for r in held_out.analyze(texts, lang=lang)]

        val = load_umsab(args.data, "val")
        print(
            "\nmacro-F1 on the UMSAB validation split (324 tweets per language); "
            "ours = the same recipe fitted on the train split only"
        )
        print(f"{'lang':<6}{'ours (detected)':>17}{'ours (given)':>14}{'VADER':>8}")
        means: dict[str, list[float]] = {"auto": [], "given": [], "vader": []}
        for code, part in val.items():
            auto = macro_f1(part.labels, ours_labels(part.texts))
            given = macro_f1(part.labels, ours_labels(part.texts, code))
            vad = macro_f1(part.labels, vader(part.texts)) if vader else float("nan")
            means["auto"].append(auto)
            means["given"].append(given)
            means["vader"].append(vad)
            print(f"{code:<6}{auto:>17.3f}{given:>14.3f}{vad:>8.3f}")
        print(
            f"{'mean':<6}{sum(means['auto']) / 6:>17.3f}{sum(means['given']) / 6:>14.3f}"
            f"{sum(means['vader']) / 6:>8.3f}"
        )
        texts = [t for part in val.values() for t in part.texts]
    else:
        print(f"\n{args.data / 'umsab'} not found: quality skipped, throughput on sample texts")

    bench = (texts * (args.n // len(texts) + 1))[: args.n]
    mean_len = sum(map(len, bench)) / len(bench)
    print(f"\nthroughput on {len(bench)} texts (mean {mean_len:.0f} chars), one core, best of {args.repeat}")
    ours.analyze(bench[:100])
    rate = throughput(ours.analyze, bench, args.repeat)
    print(f"  ours (language detection + sentiment): {rate:>10,.0f} texts/s")
    rate_fixed = throughput(lambda t: ours.analyze(t, lang="en"), bench, args.repeat)
    print(f"  ours (language given)                : {rate_fixed:>10,.0f} texts/s")
    if vader:
        rate_vader = throughput(vader, bench, 1)
        print(f"  VADER                                : {rate_vader:>10,.0f} texts/s")
        print(f"  speed-up over VADER                  : {rate / rate_vader:>10.1f}x")
    else:
        print("  VADER: not installed (pip install vaderSentiment)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
