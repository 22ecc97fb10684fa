"""How much do wordllama sentence embeddings add to the shipped sentiment recipe? (#11; measured, not shipped)

Run from the repository root (one core; about 33 minutes with the default settings)::

    .venv/bin/pip install wordllama          # not a project dependency: Llama 2 Community License weights
    .venv/bin/python benchmarks/experiments/wordllama_gain.py

It runs the shipped recipe (``scripts/train_sentiment.py`` defaults: NBSVM, C = 3, hashed char
3-5 grams and word 1-2 grams, emoji and word-lexicon dense features, customer-service training
messages weighted 3) as a 5-fold cross-validation on UMSAB train + validation and the
customer-service training set, with the same folds as ``train_sentiment.py --cv-only`` (same
seed, same assignment), once as shipped and once per setting with the averaged wordllama
embedding of each message appended as dense features. Every function of the recipe is
imported from ``scripts/train_sentiment.py``; only the scoring differs from ``--cv-only``: the
language is given (the fold's rows go to their language's weights) instead of detected, so all
settings, the baseline included, are scored alike.

The embedding (``l2_supercat``, 256-d, or its first 64 dimensions, a Matryoshka truncation) is
standardised per dimension on the fold's training rows, multiplied by ``--scale`` and, like the
lexicon features, put once in the shared block and once in the message's language block; the
naive-Bayes log-count ratio is 1 for it, as for the other dense features.

Also prints the embedding step's throughput (texts/s, CPU time of this single-threaded
process, 20,000 tweet-length texts) beside the shipped analyzer's, and the load time.

wordllama 0.4.0.post1's ``WordLlama.load()`` looks for its tokenizer file in ``wordllama/tokenizer/``
while the wheel ships it in ``wordllama/tokenizers/``, so by default it tries to download it from
Hugging Face. Here it is loaded with ``cache_dir`` set to the package folder and
``disable_download=True`` (only the wheel's own files are read), and every socket connection is
refused while the script runs, so nothing can be fetched. The UMSAB test split is never read.
Exits with status 0 and a message when wordllama is not installed.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import socket
import sys
import time
from pathlib import Path
from typing import Any
from unittest import mock

# one BLAS thread and one tokenizer thread, as the training script (the machine's other core is busy)
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "RAYON_NUM_THREADS"):
    os.environ[_var] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "false"

import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402

REPO = Path(__file__).resolve().parents[2]


def _no_network(*args: Any, **kwargs: Any) -> Any:
    raise OSError(f"network access attempted and refused: {args[1:] or args}")


def _train_module() -> Any:
    """``scripts/train_sentiment.py`` as a module (it is a script, not a package)."""
    spec = importlib.util.spec_from_file_location("train_sentiment", REPO / "scripts" / "train_sentiment.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["train_sentiment"] = module
    spec.loader.exec_module(module)
    return module


def load_wordllama(dim: int) -> Any:
    import wordllama
    from wordllama import WordLlama

    package = Path(wordllama.__file__).parent
    trunc = None if dim == 256 else dim
    return WordLlama.load(trunc_dim=trunc, cache_dir=package, disable_download=True)


def with_embedding(
    x: sp.csr_matrix, emb: np.ndarray, lang_index: np.ndarray, n_cols: int, n_blocks: int
) -> sp.csr_matrix:
    """Each block [dense | hashed] of ``x`` becomes [embedding | dense | hashed] (zero outside the row's language)."""
    blocks = []
    for b in range(n_blocks):
        e = emb if b == 0 else emb * (lang_index == b - 1)[:, None]
        blocks += [sp.csr_matrix(e), x[:, b * n_cols : (b + 1) * n_cols]]
    return sp.hstack(blocks, format="csr")


def run_cv(
    ts: Any,
    pools: dict[str, Any],
    embeddings: dict[str, np.ndarray],
    data_dir: Path,
    settings: list[tuple[int, float]],
    folds: int = 5,
) -> dict[tuple[int, float], dict[str, float]]:
    """Macro-F1 per pool key for each (embedding dims, scale) setting; dims 0 is the shipped recipe."""
    recipe = ts.Recipe()
    languages = ts.LANGUAGES
    extra = [key for key in pools if key.startswith("cs-")]
    # the fold assignment of train_sentiment.cross_validate: same seed, same key order, same draws
    rng = np.random.RandomState(0)
    assignment = {key: rng.permutation(np.arange(len(part.labels)) % folds) for key, part in pools.items()}
    lexicon_words = ts.build_lexicons(recipe.lexicons)
    lexicons = tuple(ts.Lexicon.from_words(lexicon_words[name]) for name in ts.LEXICON_NAMES)
    emojis = ts.emoji_table(ts.load_emoji_polarity(data_dir))
    n_cols = ts.N_DENSE + (1 << recipe.bits)
    n_blocks = len(languages) + 1
    gold: dict[str, list[int]] = {key: [] for key in pools}
    predicted: dict[tuple[int, float], dict[str, list[int]]] = {
        s: {key: [] for key in pools} for s in settings
    }

    def matrix(data: dict[str, Any], normalizer: Any) -> tuple[sp.csr_matrix, np.ndarray]:
        return ts.recipe_matrix(recipe, data, normalizer, emojis, lexicons)

    for k in range(folds):
        started = time.perf_counter()
        fit_part, held_out, fit_emb, held_emb = {}, {}, {}, {}
        for key, part in pools.items():
            fit_part[key], held_out[key] = ts._split(part, assignment[key], k)
            fit_emb[key] = embeddings[key][assignment[key] != k]
            held_emb[key] = embeddings[key][assignment[key] == k]
        umsab_fit = {code: fit_part[code] for code in languages}
        cs_fit = {key[3:]: fit_part[key] for key in extra}
        # as fit_model: weights 1 per tweet, cs_weight per customer-service message, language by language
        weights = np.concatenate(
            [
                np.concatenate(
                    (
                        np.ones(len(umsab_fit[c].labels)),
                        np.full(len(cs_fit.get(c, ts.LabelledTexts("", [], [])).labels), recipe.cs_weight),
                    )
                )
                for c in languages
            ]
        )
        fit_data = ts.merge(umsab_fit, cs_fit)
        normalizer = ts.Normalizer(ts.build_vocab([t for c in languages for t in fit_data[c].texts]))
        x_fit, y_fit = matrix(fit_data, normalizer)
        e_fit = np.vstack(
            [
                np.vstack([fit_emb[c]] + ([fit_emb[f"cs-{c}"]] if f"cs-{c}" in fit_emb else []))
                for c in languages
            ]
        )
        l_fit = np.concatenate([np.full(len(fit_data[c].labels), i) for i, c in enumerate(languages)])
        # held-out rows, built as the fit rows (per language: tweets, then customer-service messages)
        held_data = ts.merge(
            {code: held_out[code] for code in languages}, {key[3:]: held_out[key] for key in extra}
        )
        x_all, _ = matrix(held_data, normalizer)
        held, row = [], 0
        for i, code in enumerate(languages):
            for key in (code, f"cs-{code}"):
                if key in held_out:
                    n = len(held_out[key].labels)
                    held.append((key, x_all[row : row + n], held_emb[key], np.full(n, i)))
                    gold[key] += held_out[key].labels
                    row += n
        for dims, scale in settings:
            if dims == 0:
                x, width = x_fit, n_cols
            else:
                mean = e_fit[:, :dims].mean(axis=0)
                std = e_fit[:, :dims].std(axis=0) + 1e-6
                x = with_embedding(x_fit, scale * (e_fit[:, :dims] - mean) / std, l_fit, n_cols, n_blocks)
                width = n_cols + dims
            # the embedding columns lead each block: the NBSVM keeps ratio 1 for them, as for the dense ones
            with mock.patch.object(ts, "N_DENSE", ts.N_DENSE + dims):
                coef, intercept = ts.fit_nb_logistic(x, y_fit, weights, recipe.c, width)
            for key, x_h, e_h, l_h in held:
                if dims:
                    x_h = with_embedding(x_h, scale * (e_h[:, :dims] - mean) / std, l_h, n_cols, n_blocks)
                scores = np.asarray(x_h @ coef.T) + intercept
                predicted[(dims, scale)][key] += scores.argmax(axis=1).tolist()
        print(f"fold {k + 1}/{folds} done ({time.perf_counter() - started:.0f} s)", flush=True)
    return {s: {key: round(ts.macro_f1(gold[key], predicted[s][key]), 4) for key in pools} for s in settings}


def throughput(ts: Any, val: dict[str, Any], dims: tuple[int, ...]) -> None:
    """Texts/s (CPU time) of the embedding step and of the shipped analyzer on 20,000 tweet-length texts."""
    texts = [t for c in ts.LANGUAGES for t in val[c].texts]
    texts = (texts * (20_000 // len(texts) + 1))[:20_000]
    for dim in dims:
        started = time.process_time()
        model = load_wordllama(dim)
        loaded = time.process_time() - started
        model.embed(texts[:500])  # warm-up
        started = time.process_time()
        model.embed(texts)
        rate = len(texts) / (time.process_time() - started)
        print(f"wordllama {dim}-d: load {loaded:.2f} s CPU, embedding {rate:,.0f} texts/s (one core)")
    analyzer = ts.BuiltinAnalyzer(ts.load_model(ts.MODEL_PATH))
    analyzer.analyze(texts[:500])
    started = time.process_time()
    analyzer.analyze(texts)
    print(
        f"shipped analyzer (language detection + sentiment): {len(texts) / (time.process_time() - started):,.0f} texts/s"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument(
        "--settings",
        default="256:1,64:1",
        help="comma-separated dims:scale of the appended embedding (the shipped recipe always runs too)",
    )
    parser.add_argument("--no-speed", action="store_true", help="skip the throughput measurement")
    args = parser.parse_args(argv)
    if importlib.util.find_spec("wordllama") is None:
        print("wordllama is not installed (.venv/bin/pip install wordllama): nothing measured")
        return 0
    settings = [(0, 0.0)] + [(int(d), float(s)) for d, s in (x.split(":") for x in args.settings.split(","))]

    with (
        mock.patch.object(socket.socket, "connect", _no_network),
        mock.patch.object(socket, "getaddrinfo", _no_network),
    ):
        started = time.perf_counter()
        ts = _train_module()
        train = ts.load_umsab(args.data, "train")
        val = ts.load_umsab(args.data, "val")
        pools = {c: part for c, part in ts.merge(train, val).items()}
        pools |= {
            f"cs-{c}": part for c, part in ts.load_customer_service(ts.CUSTOMER_SERVICE_DIR, "train").items()
        }
        model = load_wordllama(256)
        embeddings = {key: model.embed(part.texts) for key, part in pools.items()}
        print(
            f"embedded {sum(len(e) for e in embeddings.values())} texts ({time.perf_counter() - started:.0f} s)"
        )
        results = run_cv(ts, pools, embeddings, args.data, settings)
        keys = list(pools)
        print("\n5-fold CV macro-F1 (language given), shipped recipe with and without wordllama features:")
        print(f"{'setting':<22}" + "".join(f"{k:>8}" for k in keys))
        for (dims, scale), scores in results.items():
            name = "shipped recipe" if dims == 0 else f"+ wordllama {dims}-d x{scale:g}"
            print(f"{name:<22}" + "".join(f"{scores[k]:>8.3f}" for k in keys))
        if not args.no_speed:
            throughput(ts, val, (256, 64))
        print(f"done in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
