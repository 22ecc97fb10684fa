"""The executive summary: sentences from the numbers, in French and English, never a placeholder."""

from __future__ import annotations

import itertools

import pytest

from pulse.kpis import Kpis, Sentiment
from pulse.render.summary import BestPost, largest_moves, summary_sentences

NBSP, NNBSP = "\u00a0", "\u202f"

OCTOBER = Kpis(
    posts=40,
    impressions=120_000,
    reach=59_000,
    engagements=5_400,
    engagement_rate=0.045,
    inbound_messages=200,
    responded_messages=150,
    response_rate=0.75,
    first_response_time_median_minutes=95,
    sentiment=Sentiment(positive=60, neutral=100, negative=20),
    followers_end=10_300,
)
SEPTEMBER = Kpis(
    posts=38,
    impressions=118_000,  # +1.7 %
    reach=50_000,  # +18 %
    engagements=6_000,  # -10 %
    engagement_rate=0.0508,  # -11.4 % relative
    inbound_messages=180,
    responded_messages=126,
    response_rate=0.70,  # +7.1 % relative
    first_response_time_median_minutes=130,
    sentiment=Sentiment(positive=40, neutral=90, negative=30),
    followers_end=10_000,  # +3 %
)
BEST = BestPost(platform="Instagram", date="14 oct.", engagements=1234)


def test_the_biggest_relative_moves_come_first() -> None:
    moves = largest_moves(OCTOBER, SEPTEMBER)
    assert [m.key for m in moves] == ["reach", "engagement_rate", "engagements"]


def test_french_summary() -> None:
    text = summary_sentences(OCTOBER, SEPTEMBER, "fr", "septembre", BEST)
    assert text[0] == f"La portée a progressé de 18{NBSP}% par rapport à septembre, à 59,0{NBSP}k."
    assert text[1] == f"Le taux d'engagement est descendu de 5,1{NBSP}% en septembre à 4,5{NBSP}%."
    assert text[2] == f"Les engagements ont reculé de 10{NBSP}% par rapport à septembre, à 5,4{NBSP}k."
    assert (
        text[3] == f"La meilleure publication, sur Instagram le 14 oct., a suscité 1{NNBSP}234 engagements."
    )
    assert text[4] == (
        f"L'équipe a répondu à 75,0{NBSP}% des 200 messages reçus ; le délai médian de première réponse "
        f"est plus court qu'en septembre : 1{NBSP}h{NBSP}35 contre 2{NBSP}h{NBSP}10."
    )
    assert text[5] == "Le sentiment net s'est amélioré, de +0,14 en septembre à +0,50."


def test_english_summary() -> None:
    text = summary_sentences(OCTOBER, SEPTEMBER, "en", "September", BEST)
    assert text == [
        "Reach rose by 18% compared with September, to 59.0K.",
        "The engagement rate fell from 5.1% in September to 4.5%.",
        "Engagements fell by 10% compared with September, to 5.4K.",
        "The best post, on Instagram on 14 oct., drew 1,234 engagements.",
        f"The team answered 75.0% of the 200 messages received; the median first response was faster than "
        f"in September: 1h{NBSP}35m against 2h{NBSP}10m.",
        "Net sentiment improved from +0.14 in September to +0.50.",
    ]


def test_slower_and_same_response_times() -> None:
    slower = Kpis(**{**OCTOBER.__dict__, "first_response_time_median_minutes": 200})
    assert "slower than in September: 3h\u00a020m against 2h\u00a010m" in " ".join(
        summary_sentences(slower, SEPTEMBER, "en", "September")
    )
    same = Kpis(**{**OCTOBER.__dict__, "first_response_time_median_minutes": 131})
    assert "comme en septembre (2\u00a0h\u00a010)" in " ".join(
        summary_sentences(same, SEPTEMBER, "fr", "septembre")
    )


def test_one_engagement_is_singular() -> None:
    one = BestPost("X", "3 Oct", 1)
    assert "drew 1 engagement." in summary_sentences(OCTOBER, SEPTEMBER, "en", "September", one)[3]
    assert "a suscité 1 engagement." in summary_sentences(OCTOBER, SEPTEMBER, "fr", "septembre", one)[3]


def test_no_previous_month() -> None:
    empty = Kpis()
    fr = summary_sentences(OCTOBER, empty, "fr", "septembre", BEST)
    assert fr[0].startswith("La meilleure publication")  # no comparison at all
    assert fr[1].startswith(f"L'équipe a répondu à 75,0{NBSP}% des 200 messages reçus, avec un délai médian")
    assert fr[2] == "Le sentiment net est de +0,50 (60 messages positifs et 20 négatifs)."
    en = summary_sentences(OCTOBER, empty, "en", "September", BEST)
    assert en[2] == "Net sentiment was +0.50 (60 positive and 20 negative messages)."


def test_no_messages_and_no_sentiment() -> None:
    quiet = Kpis(**{**OCTOBER.__dict__, "inbound_messages": 0, "responded_messages": 0, "response_rate": None,
                    "first_response_time_median_minutes": None, "sentiment": Sentiment()})  # fmt: skip
    en = summary_sentences(quiet, SEPTEMBER, "en", "September", BEST)
    assert en[-1] == "No message was received this month."
    assert not any("sentiment" in s.lower() for s in en)
    assert (
        summary_sentences(quiet, SEPTEMBER, "fr", "septembre")[-1] == "Aucun message n'a été reçu ce mois-ci."
    )


def test_messages_without_any_reply() -> None:
    ignored = Kpis(inbound_messages=12, response_rate=0.0, posts=3)
    assert "No reply was sent to the 12 messages received this month." in summary_sentences(
        ignored, Kpis(), "en", "September"
    )
    assert "Aucun des 12 messages reçus ce mois-ci n'a obtenu de réponse." in summary_sentences(
        ignored, Kpis(), "fr", "septembre"
    )


def test_an_empty_month() -> None:
    assert summary_sentences(Kpis(), Kpis(), "en", "September") == [
        "No post was published this month.",
        "No message was received this month.",
    ]


def test_stable_month() -> None:
    text = summary_sentences(SEPTEMBER, SEPTEMBER, "en", "September")
    assert text[0] == "Reach, engagement and followers were stable compared with September."
    assert "Net sentiment was stable at +0.14." in text


FIELDS = ["impressions", "reach", "engagement_rate", "response_rate", "first_response_time_median_minutes",
          "followers_end"]  # fmt: skip


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize(
    "missing", [c for n in range(len(FIELDS) + 1) for c in itertools.combinations(FIELDS, n)][::7]
)
def test_never_a_placeholder(lang: str, missing: tuple[str, ...]) -> None:
    current = Kpis(**{**OCTOBER.__dict__, **dict.fromkeys(missing)})
    previous = Kpis(**{**SEPTEMBER.__dict__, **dict.fromkeys(missing[::2])})
    for best in (BEST, None, BestPost("X", "1 Oct", 0)):
        for prev in (previous, Kpis()):
            for sentence in summary_sentences(current, prev, lang, "September", best):
                assert "–" not in sentence and "None" not in sentence and "nan" not in sentence.lower(), (
                    sentence
                )
                assert "%(" not in sentence
