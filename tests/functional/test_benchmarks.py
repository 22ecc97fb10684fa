"""Every benchmark runs end to end on small inputs, so ``make bench`` cannot rot unnoticed.

The figures themselves are not asserted (speed is measured, not tested); what is
asserted is what the benchmark checks: our KPIs agree with DuckDB, every part
of a report is produced, quality and throughput lines are printed.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from benchmarks import kpi_bench, report_bench, sentiment_bench
from pulse.sentiment import BuiltinAnalyzer
from pulse.sentiment.builtin import get_model
from pulse.sentiment.corpus import load_umsab, macro_f1
from tests.conftest import requires_browser

needs_umsab = pytest.mark.skipif(
    not (sentiment_bench.DATA_DIR / "umsab").is_dir(), reason="shared/data/umsab is not available"
)


def test_kpi_bench_agrees_with_duckdb(capsys: pytest.CaptureFixture[str]) -> None:
    assert kpi_bench.main(["--posts=3000", "--messages=30000", "--repeat=1"]) == 0
    out = capsys.readouterr().out
    assert "DISAGREEMENT" not in out
    assert re.search(r"pulse compute_kpi_set \(1 thread\): [\d.]+ s", out)
    assert re.search(r"DuckDB [\d.]+ SQL, 1 thread: +[\d.]+ s", out)


@needs_umsab
def test_validation_macro_f1_floor() -> None:
    """The shipped recipe, fitted on the train split only by the training command, holds its quality
    on the validation split (the shipped model itself also learned from that split)."""
    shipped = get_model()
    assert shipped.meta["trained_on"] == "umsab train + val + customer-service train"
    # built by scripts/train_sentiment.py --fit-on=train; fails if the shipped model's recipe differs
    model = sentiment_bench.holdout_model(shipped, sentiment_bench.DATA_DIR)
    assert model.meta["trained_on"] == "umsab train + customer-service train"
    analyzer = BuiltinAnalyzer(model)
    val = load_umsab(sentiment_bench.DATA_DIR, "val")
    index = {"negative": 0, "neutral": 1, "positive": 2}
    floors = {"fr": 0.61, "en": 0.64, "es": 0.54, "de": 0.62, "it": 0.55, "pt": 0.54}
    for lang, floor in floors.items():
        part = val[lang]
        predicted = [index[r.label] for r in analyzer.analyze(part.texts)]
        score = macro_f1(part.labels, predicted)
        assert score >= floor, f"{lang}: macro-F1 {score:.3f} < {floor}"


@needs_umsab
def test_sentiment_bench_prints_quality_and_speed_beside_vader(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    extra = tmp_path / "blind.fr.tsv"
    extra.write_text(
        "label\ttext\nnegative\tNul, colis perdu.\nneutral\tVous ouvrez samedi ?\npositive\tMerci, parfait !\n",
        encoding="utf-8",
    )
    assert sentiment_bench.main(["--n=600", "--repeat=1", f"--extra={extra}"]) == 0
    out = capsys.readouterr().out
    # any extra label<TAB>text set is scored: macro-F1, VADER's, then F1 per class
    assert re.search(r"^blind\.fr\.tsv +3 +[01]\.\d{3} +[01]\.\d{3} +([01]\.\d{3}( / )?){3}$", out, re.M)
    assert "trained on umsab train + val + customer-service train" in out
    assert re.search(r"^cs-fr +\d+ +0\.\d{3} +0\.\d{3}$", out, re.M)
    assert re.search(r"^cs-en +\d+ +0\.\d{3} +0\.\d{3}$", out, re.M)
    for lang in ("en", "fr", "es", "de", "it", "pt"):
        assert re.search(rf"^{lang} +0\.\d{{3}} +0\.\d{{3}} +0\.\d{{3}}$", out, re.M), lang
    assert re.search(r"ours \(language detection \+ sentiment\): +[\d,]+ texts/s", out)
    assert re.search(r"VADER +: +[\d,]+ texts/s", out)


@requires_browser
@pytest.mark.browser
def test_report_bench_renders_every_brand(capsys: pytest.CaptureFixture[str]) -> None:
    report_bench.main(["--repeat=1"])
    out = capsys.readouterr().out
    for step in ("lake read", "KPIs", "view + HTML", "PDF + PNG (Chromium)"):
        assert step in out


def test_themes_bench_prints_quality_and_speed(capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks import themes_bench

    assert themes_bench.main(["--n=3000", "--repeat=1"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"labelled set \(\d+ messages\), with seed concepts: ARI 0\.\d\d", out)
    assert re.search(r"themes of 3,000 messages \(alone\), 1 thread: [\d.]+ s CPU", out)


def test_models_are_keyed_by_their_inputs() -> None:
    """A cached held-out model is current only if its inputs key (recipe, code version, customer-service
    messages, lexicons) is the shipped model's: changing any of them changes the key."""
    import importlib.util

    script = sentiment_bench.REPO / "scripts" / "train_sentiment.py"
    spec = importlib.util.spec_from_file_location("train_sentiment", script)
    assert spec is not None and spec.loader is not None
    train = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("train_sentiment", train)
    spec.loader.exec_module(train)
    cs = {"fr": train.LabelledTexts("fr", ["Vous ouvrez samedi ?"], [1])}
    lexicons = {"en": {"good": 0.5}, "fr": {"bien": 0.5}}
    key = train.inputs_key(train.Recipe(), cs, lexicons, {"🙂": 0.5})
    assert key == train.inputs_key(train.Recipe(), cs, lexicons, {"🙂": 0.5})
    other_cs = {"fr": train.LabelledTexts("fr", ["Vous ouvrez samedi ?"], [0])}
    assert key != train.inputs_key(train.Recipe(), other_cs, lexicons, {"🙂": 0.5})
    assert key != train.inputs_key(train.Recipe(c=1.0), cs, lexicons, {"🙂": 0.5})
    assert key != train.inputs_key(train.Recipe(), cs, {"en": {}, "fr": {"bien": 0.5}}, {"🙂": 0.5})
    assert len(get_model().meta["inputs"]) == len(key)  # the shipped model carries its key
