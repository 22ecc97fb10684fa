"""The built-in sentiment analyzer: languages, social-media text, edge cases.

Quality on the validation split is checked in ``tests/functional/test_benchmarks.py``.
"""

from __future__ import annotations

import io
import json
import time

import pytest

from pulse.sentiment import (
    BuiltinAnalyzer,
    SentimentResult,
    UnknownBackendError,
    cli_main,
    detect_language,
    get_analyzer,
)
from pulse.sentiment.builtin import get_model
from pulse.sentiment.features import strip_html


@pytest.fixture(scope="module")
def analyzer() -> BuiltinAnalyzer:
    return BuiltinAnalyzer()


def one(analyzer: BuiltinAnalyzer, text: str, lang: str | None = None) -> SentimentResult:
    return analyzer.analyze([text], lang=lang)[0]


def test_model_loads_quickly_and_is_small() -> None:
    from pulse.sentiment.builtin import MODEL_PATH, load_model

    started = time.perf_counter()
    load_model()
    assert time.perf_counter() - started < 1.0
    assert MODEL_PATH.stat().st_size < 20_000_000


def test_model_is_a_cached_singleton() -> None:
    assert get_model() is get_model()
    assert BuiltinAnalyzer().model is BuiltinAnalyzer().model


@pytest.mark.parametrize(
    ("text", "lang", "label"),
    [
        ("I love this, best day ever! Thank you so much", "en", "positive"),
        ("This is the worst service, I hate it. Terrible.", "en", "negative"),
        ("J'adore ce produit, merci beaucoup, c'est génial !", "fr", "positive"),
        ("C'est nul, je déteste, quelle honte, service catastrophique", "fr", "negative"),
        ("Me encanta, muchas gracias, qué maravilla!", "es", "positive"),
        ("Das ist wirklich schrecklich, ich hasse es", "de", "negative"),
        ("Che bello, grazie mille, sono felicissimo!", "it", "positive"),
        ("Que vergonha, péssimo atendimento, odeio isso", "pt", "negative"),
    ],
)
def test_each_language(analyzer: BuiltinAnalyzer, text: str, lang: str, label: str) -> None:
    detected = one(analyzer, text)
    assert detected.lang == lang
    assert detected.label == label
    assert one(analyzer, text, lang=lang).label == label


def test_result_shape(analyzer: BuiltinAnalyzer) -> None:
    texts = ["great", "awful", "le train part à 8h", "", "   "]
    results = analyzer.analyze(texts)
    assert len(results) == len(texts)
    for r in results:
        assert r.label in {"negative", "neutral", "positive"}
        assert -1.0 <= r.score <= 1.0
        assert isinstance(r.score, float)
    assert analyzer.analyze([]) == []


def test_score_is_positive_minus_negative(analyzer: BuiltinAnalyzer) -> None:
    pos, neg = analyzer.analyze(["What a wonderful amazing day, I love you all", "I hate this awful mess"])
    assert pos.score > 0.2 > -0.2 > neg.score


@pytest.mark.parametrize(
    ("text", "label"), [("😍😍😍", "positive"), ("😡😡", "negative"), ("❤️🙏", "positive")]
)
def test_emoji_only(analyzer: BuiltinAnalyzer, text: str, label: str) -> None:
    result = one(analyzer, text)
    assert result.label == label
    assert result.lang == "und"


def test_emoticons_count(analyzer: BuiltinAnalyzer) -> None:
    assert one(analyzer, "see you tomorrow :)", "en").score > one(analyzer, "see you tomorrow :(", "en").score


def test_empty_and_blank_texts_are_neutral(analyzer: BuiltinAnalyzer) -> None:
    for result in analyzer.analyze(["", "   ", "\n"]):
        assert result.label == "neutral"
        assert result.lang == "und"


def test_very_long_text_is_scored_fast(analyzer: BuiltinAnalyzer) -> None:
    long_text = "Le service client est vraiment excellent, merci ! " * 20_000
    started = time.perf_counter()
    result = one(analyzer, long_text)
    assert time.perf_counter() - started < 2.0
    assert result.lang == "fr"
    assert result.label == "positive"


def test_mixed_language_text(analyzer: BuiltinAnalyzer) -> None:
    result = one(analyzer, "Franchement c'est génial, vraiment top, so happy with it, love it!")
    assert result.lang in {"fr", "en"}
    assert result.label == "positive"


def test_html_is_stripped_before_scoring(analyzer: BuiltinAnalyzer) -> None:
    assert strip_html("<p>I love it &amp; you</p>") == " I love it & you "
    plain = one(analyzer, "I love it & I recommend it", "en")
    with_html = one(analyzer, '<p class="x">I love it &amp; I <b>recommend</b> it</p>', "en")
    assert with_html.label == plain.label == "positive"
    assert abs(with_html.score - plain.score) < 0.15


def test_hashtags_are_segmented(analyzer: BuiltinAnalyzer) -> None:
    normalized = get_model().normalizer(["#CaMarchePas", "#çamarchepas", "#jadorecafilm"])
    assert normalized.count("ca marche pas") == 1
    assert "#çamarchepas ça marche pas" in normalized
    assert "#jadorecafilm" in normalized
    negative = one(analyzer, "Encore une panne #çamarchepas #yenamarre", "fr")
    positive = one(analyzer, "Encore une victoire #génial #trop_content", "fr")
    assert negative.label == "negative"
    assert positive.score > negative.score


def test_elongation_mentions_links(analyzer: BuiltinAnalyzer) -> None:
    normalized = get_model().normalizer(["Soooo happy @bob_42 https://t.co/xyz"])
    assert "soo _elong_ happy" in normalized
    assert "@user" in normalized and "http" in normalized and "bob" not in normalized
    assert one(analyzer, "soooooo happy!!!!", "en").label == "positive"


@pytest.mark.parametrize(
    ("negated", "plain", "lang"),
    [
        ("not bad", "bad", "en"),
        ("c'est pas mal", "c'est mal", "fr"),
        ("this is not good", "this is good", "en"),
    ],
)
def test_negation_changes_the_score(analyzer: BuiltinAnalyzer, negated: str, plain: str, lang: str) -> None:
    a, b = one(analyzer, negated, lang), one(analyzer, plain, lang)
    assert a.score != b.score
    assert "¬" in get_model().normalizer([negated])


def test_negation_softens_negative_words(analyzer: BuiltinAnalyzer) -> None:
    # in a sentence: a bare "bad" is near neutral (SemEval's "Bad Blood", "Bad Girls Club" tweets)
    assert one(analyzer, "this is not bad", "en").score > one(analyzer, "this is bad", "en").score
    assert one(analyzer, "not bad at all", "en").label == "positive"
    assert one(analyzer, "c'est pas mal", "fr").score > one(analyzer, "c'est mal", "fr").score
    assert one(analyzer, "not good", "en").score < one(analyzer, "good", "en").score


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Bonjour à tous, le rendez-vous est demain matin à la mairie", "fr"),
        ("The meeting is tomorrow morning at the town hall", "en"),
        ("La reunión es mañana por la mañana en el ayuntamiento", "es"),
        ("Das Treffen ist morgen früh im Rathaus", "de"),
        ("La riunione è domani mattina in municipio", "it"),
        ("A reunião é amanhã de manhã na prefeitura", "pt"),
        ("12345 !!! ...", "und"),
        ("", "und"),
    ],
)
def test_detect_language(text: str, lang: str) -> None:
    assert detect_language(text) == lang


def test_unsupported_language_uses_shared_weights(analyzer: BuiltinAnalyzer) -> None:
    result = one(analyzer, "Ik hou van dit, geweldig 😍", "nl")
    assert result.lang == "nl"
    assert result.label == "positive"


def test_get_analyzer() -> None:
    assert isinstance(get_analyzer(), BuiltinAnalyzer)
    assert isinstance(get_analyzer("builtin"), BuiltinAnalyzer)
    with pytest.raises(UnknownBackendError):
        get_analyzer("nope")  # type: ignore[arg-type]


def test_cli_main_streams_json_lines() -> None:
    stdin = io.StringIO("J'adore !\nThis is terrible\n\n😍\n")
    stdout = io.StringIO()
    assert cli_main(stdin=stdin, stdout=stdout) == 0
    records = [json.loads(line) for line in stdout.getvalue().splitlines()]
    assert len(records) == 4
    assert set(records[0]) == {"label", "score", "lang"}
    assert records[1]["label"] == "negative" and records[1]["lang"] == "en"
    stdout = io.StringIO()
    cli_main(lang="fr", stdin=io.StringIO("super\n"), stdout=stdout)
    assert json.loads(stdout.getvalue())["lang"] == "fr"
