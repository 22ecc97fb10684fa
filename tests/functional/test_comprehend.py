"""The Amazon Comprehend backend against botocore's Stubber (moto lacks BatchDetectSentiment)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from pulse.sentiment import ComprehendAnalyzer, ComprehendError, SentimentResult, get_analyzer
from pulse.sentiment.comprehend import MAX_BYTES, truncate_utf8


@pytest.fixture
def client() -> Any:
    return boto3.client(
        "comprehend", region_name="eu-west-1", aws_access_key_id="test", aws_secret_access_key="test"
    )


@pytest.fixture
def stubber(client: Any) -> Iterator[Stubber]:
    with Stubber(client) as stub:
        yield stub
        stub.assert_no_pending_responses()


def ok(sentiments: list[str], errors: tuple[int, ...] = ()) -> dict[str, Any]:
    scores = {
        "POSITIVE": (0.9, 0.05, 0.04, 0.01),
        "NEGATIVE": (0.05, 0.9, 0.04, 0.01),
        "NEUTRAL": (0.1, 0.1, 0.79, 0.01),
        "MIXED": (0.3, 0.35, 0.05, 0.3),
    }
    results, error_list = [], []
    for i, sentiment in enumerate(sentiments):
        if i in errors:
            error_list.append({"Index": i, "ErrorCode": "INTERNAL_SERVER_ERROR", "ErrorMessage": "boom"})
            continue
        pos, neg, neu, mix = scores[sentiment]
        results.append(
            {
                "Index": i,
                "Sentiment": sentiment,
                "SentimentScore": {"Positive": pos, "Negative": neg, "Neutral": neu, "Mixed": mix},
            }
        )
    return {"ResultList": results, "ErrorList": error_list}


def analyzer_for(client: Any, sleeps: list[float] | None = None) -> ComprehendAnalyzer:
    record = sleeps if sleeps is not None else []
    return ComprehendAnalyzer(client=client, sleep=record.append, base_delay=0.1)


def test_labels_and_scores(client: Any, stubber: Stubber) -> None:
    texts = ["great", "awful", "meh", "both good and bad"]
    stubber.add_response(
        "batch_detect_sentiment",
        ok(["POSITIVE", "NEGATIVE", "NEUTRAL", "MIXED"]),
        {"TextList": texts, "LanguageCode": "en"},
    )
    results = analyzer_for(client).analyze(texts, lang="en")
    assert [r.label for r in results] == ["positive", "negative", "neutral", "neutral"]
    assert results[0] == SentimentResult("positive", 0.85, "en")
    assert results[1].score == pytest.approx(-0.85)
    assert results[3].score == pytest.approx(-0.05)


def test_batches_of_25_by_language(client: Any, stubber: Stubber) -> None:
    french = [f"Message numéro {i} : c'est vraiment génial, merci beaucoup !" for i in range(30)]
    english = [f"Message number {i}: this is really great, thanks a lot!" for i in range(3)]
    texts = [t for pair in zip(french[:3], english, strict=True) for t in pair] + french[3:]
    stubber.add_response(
        "batch_detect_sentiment", ok(["POSITIVE"] * 25), {"TextList": french[:25], "LanguageCode": "fr"}
    )
    stubber.add_response(
        "batch_detect_sentiment", ok(["NEGATIVE"] * 5), {"TextList": french[25:], "LanguageCode": "fr"}
    )
    stubber.add_response(
        "batch_detect_sentiment", ok(["NEUTRAL"] * 3), {"TextList": english, "LanguageCode": "en"}
    )
    results = analyzer_for(client).analyze(texts)
    assert len(results) == len(texts)
    assert [r.lang for r in results[:6]] == ["fr", "en"] * 3
    assert [r.label for r in results[:6]] == ["positive", "neutral"] * 3
    assert [r.label for r in results[-5:]] == ["negative"] * 5


def test_throttling_is_retried_with_backoff(client: Any, stubber: Stubber) -> None:
    stubber.add_client_error("batch_detect_sentiment", service_error_code="ThrottlingException")
    stubber.add_client_error("batch_detect_sentiment", service_error_code="TooManyRequestsException")
    stubber.add_response(
        "batch_detect_sentiment", ok(["POSITIVE"]), {"TextList": ["yay"], "LanguageCode": "en"}
    )
    sleeps: list[float] = []
    results = analyzer_for(client, sleeps).analyze(["yay"], lang="en")
    assert results[0].label == "positive"
    assert len(sleeps) == 2
    assert 0.05 <= sleeps[0] <= 0.1 and 0.1 <= sleeps[1] <= 0.2


def test_throttling_gives_up_with_a_typed_error(client: Any, stubber: Stubber) -> None:
    for _ in range(3):
        stubber.add_client_error("batch_detect_sentiment", service_error_code="ThrottlingException")
    analyzer = ComprehendAnalyzer(client=client, max_retries=2, sleep=lambda _: None)
    with pytest.raises(ComprehendError):
        analyzer.analyze(["yay"], lang="en")


def test_other_errors_are_not_retried(client: Any, stubber: Stubber) -> None:
    stubber.add_client_error("batch_detect_sentiment", service_error_code="InvalidRequestException")
    with pytest.raises(ComprehendError):
        analyzer_for(client).analyze(["yay"], lang="en")


def test_error_list_items_fall_back_to_builtin(client: Any, stubber: Stubber) -> None:
    texts = ["I love it, wonderful, thank you!", "I hate this, it is awful and terrible"]
    stubber.add_response(
        "batch_detect_sentiment",
        ok(["POSITIVE", "NEUTRAL"], errors=(1,)),
        {"TextList": texts, "LanguageCode": "en"},
    )
    results = analyzer_for(client).analyze(texts, lang="en")
    assert results[0].label == "positive"
    assert results[1].label == "negative"  # scored by the built-in model, not Comprehend


def test_unsupported_languages_and_empty_texts_stay_local(client: Any, stubber: Stubber) -> None:
    # No stubbed response: any call to Comprehend would fail the test.
    results = analyzer_for(client).analyze(["Ik hou van dit 😍", "", "😡😡"], lang="nl")
    assert [r.lang for r in results] == ["nl", "nl", "nl"]
    results = analyzer_for(client).analyze(["😍😍", "   "])
    assert results[0].label == "positive" and results[0].lang == "und"


def test_texts_are_cut_to_5000_bytes(client: Any, stubber: Stubber) -> None:
    long_text = "é" * 3000 + "😀" * 10  # 6,040 bytes of UTF-8
    expected = "é" * 2500
    stubber.add_response(
        "batch_detect_sentiment", ok(["NEUTRAL"]), {"TextList": [expected], "LanguageCode": "fr"}
    )
    analyzer_for(client).analyze([long_text], lang="fr")


@pytest.mark.parametrize("n", [0, 1, 4998, 4999, 5000, 5001, 7000])
def test_truncate_utf8_cuts_at_a_character_boundary(n: int) -> None:
    text = ("a€😀" * 3000)[:n]
    cut = truncate_utf8(text)
    assert len(cut.encode("utf-8")) <= MAX_BYTES
    assert text.startswith(cut)
    assert len(text.encode("utf-8")) - len(cut.encode("utf-8")) < 4 or len(text.encode("utf-8")) > MAX_BYTES


def test_get_analyzer_comprehend_takes_the_client(client: Any, stubber: Stubber) -> None:
    stubber.add_response("batch_detect_sentiment", ok(["POSITIVE"]), {"TextList": ANY, "LanguageCode": "es"})
    analyzer = get_analyzer("comprehend", client=client)
    assert isinstance(analyzer, ComprehendAnalyzer)
    assert analyzer.analyze(["Me encanta"], lang="es")[0].label == "positive"


def test_client_is_created_lazily(monkeypatch: pytest.MonkeyPatch) -> None:
    created: list[str] = []

    def fake_client(service: str, **kwargs: Any) -> object:
        created.append(service)
        return object()

    monkeypatch.setattr(boto3, "client", fake_client)
    analyzer = ComprehendAnalyzer(region_name="eu-west-1")
    assert created == []
    first = analyzer.client
    assert analyzer.client is first
    assert created == ["comprehend"]
