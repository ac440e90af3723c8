"""Transcript-level topics on crafted data with the real embedding model, and the Banking77 quality bar."""

from __future__ import annotations

import csv
import time

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score, v_measure_score

from pipelines.embed import SentenceTransformerEmbedder
from pipelines.topics import TopicResult, default_min_topic_size, describe_topics, find_topics
from tests.pipelines.conftest import SHARED_DATA
from tests.prerequisites import REQUIRE_DATA, missing

BANKING77 = SHARED_DATA / "banking77" / "train.csv"

CARD_ARRIVAL = [
    "My new card still hasn't arrived",
    "When will my card be delivered?",
    "I am still waiting for my card to arrive",
    "How long does card delivery take?",
    "Can I track the delivery of my card?",
    "My card has not come in the post yet",
    "It has been two weeks and no card has arrived",
    "Where is my card? It should have been delivered by now",
    "Is there a tracking number for my card shipment?",
    "The card you sent me never arrived",
    "How many days until my card arrives?",
    "I ordered a card last week and it is not here yet",
    "My replacement card hasn't been delivered",
    "Has my card been shipped yet?",
    "Card not received after ten days",
    "Still no sign of my card in the mail",
    "When should I expect my card to show up?",
    "The delivery of my card is taking forever",
    "I never received the card I ordered",
    "Can you tell me where my card is in the post?",
]
EXCHANGE_RATE = [
    "What exchange rate do you use?",
    "The exchange rate I got was wrong",
    "Why was I given a bad exchange rate abroad?",
    "How do you calculate currency conversion rates?",
    "The rate applied to my euro payment was incorrect",
    "Is the exchange rate different at weekends?",
    "I was charged a poor rate when converting dollars",
    "Where can I see today's exchange rates?",
    "Your currency conversion rate seems too high",
    "The foreign exchange rate on my purchase is not what I expected",
    "Do you use the interbank exchange rate?",
    "Why did the conversion rate change between my payments?",
    "What rate will I get if I exchange pounds to euros?",
    "I think the exchange rate on my card payment was miscalculated",
    "How often are your exchange rates updated?",
    "Currency exchange gave me less money than the market rate",
    "Is there a markup on the exchange rate?",
    "My transaction in yen used a strange exchange rate",
    "What is the conversion rate for Swiss francs?",
    "The exchange rate for my cash withdrawal abroad was terrible",
]
CHANGE_PIN = [
    "How do I change my PIN?",
    "I want to reset my PIN number",
    "I forgot my PIN, can I get a new one?",
    "Can I change my PIN at an ATM?",
    "Where in the app can I update my PIN?",
    "My PIN is blocked after three wrong tries",
    "How can I unblock my PIN?",
    "I need to set a new PIN for my card",
    "Is it possible to choose my own PIN?",
    "I entered the wrong PIN too many times",
    "Help me change the PIN on my debit card",
    "What do I do if I have forgotten my PIN code?",
    "Can I see my PIN in the app?",
    "I'd like to pick a different PIN",
    "My card PIN doesn't work anymore",
    "Which cash machines let me change my PIN?",
    "How to retrieve my PIN?",
    "Reset PIN please, I can't remember it",
    "My PIN got locked, how do I fix it?",
    "Can I modify the four digit PIN of my card?",
]

TEXTS = CARD_ARRIVAL + EXCHANGE_RATE + CHANGE_PIN
INTENTS = [0] * len(CARD_ARRIVAL) + [1] * len(EXCHANGE_RATE) + [2] * len(CHANGE_PIN)


@pytest.fixture(scope="module")
def embedder() -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder()


@pytest.fixture(scope="module")
def vectors(embedder) -> np.ndarray:
    return embedder.embed(TEXTS)


def subset(per_intent: int) -> list[int]:
    """The first `per_intent` texts of each intent."""
    return [i for i in range(len(TEXTS)) if i % 20 < per_intent]


def assert_well_formed(result: TopicResult, n_texts: int) -> None:
    assert len(result.labels) == n_texts and min(result.labels) >= 0
    sizes = [t.size for t in result.topics]
    assert sizes == sorted(sizes, reverse=True) and sum(sizes) == n_texts
    assert [t.id for t in result.topics] == list(range(len(result.topics)))
    assert sum(t.share for t in result.topics) == pytest.approx(1.0)
    for topic in result.topics:
        assert topic.size == sum(1 for label in result.labels if label == topic.id)
        assert topic.label and topic.keywords


def topic_of(result: TopicResult, text_index: int):
    return result.topics[result.labels[text_index]]


# The intents are far apart: UMAP's layout (seed 42 here) does not decide the outcome. Measured on a 2-core
# AMD EPYC (AVX2, no AVX-512): ARI 1.0 at each of 30 seeds (0..29), for all 60 texts and for 10 per intent.
def test_three_intents_are_recovered_with_telling_keywords(vectors):
    result = find_topics(vectors, TEXTS)
    assert_well_formed(result, len(TEXTS))
    assert result.method.startswith("UMAP")
    assert adjusted_rand_score(INTENTS, result.labels) == pytest.approx(1.0)
    assert "pin" in " ".join(topic_of(result, 40).keywords)
    assert "exchange rate" in topic_of(result, 20).keywords
    assert any("card" in k for k in topic_of(result, 0).keywords)


@pytest.mark.parametrize("per_intent", [4, 10])
def test_small_inputs_find_the_same_topics(vectors, per_intent):
    picked = subset(per_intent)
    result = find_topics(vectors[picked], [TEXTS[i] for i in picked])
    assert_well_formed(result, len(picked))
    assert adjusted_rand_score([INTENTS[i] for i in picked], result.labels) == pytest.approx(1.0)


def test_same_input_gives_identical_output(vectors):
    assert find_topics(vectors, TEXTS, seed=42) == find_topics(vectors, TEXTS, seed=42)


def test_off_topic_texts_are_assigned_not_left_as_noise(embedder, vectors):
    extra = ["What is the weather like in Lisbon tomorrow?", "Recommend me a good pizza place"]
    texts = TEXTS + extra
    result = find_topics(np.vstack([vectors, embedder.embed(extra)]), texts)
    assert_well_formed(result, len(texts))


def test_degenerate_inputs():
    empty = find_topics(np.zeros((0, 384), dtype=np.float32), [])
    assert empty.labels == () and empty.topics == ()
    one = find_topics(np.ones((2, 384), dtype=np.float32), ["card arrived", "card still not arrived"])
    assert one.labels == (0, 0) and one.topics[0].share == 1.0
    with pytest.raises(ValueError):
        find_topics(np.ones((3, 384), dtype=np.float32), ["only two", "texts"])


def test_min_topic_size_grows_with_the_input():
    assert default_min_topic_size(10) == 3
    assert default_min_topic_size(250) == 5
    assert default_min_topic_size(10_003) == 30


def test_topic_keywords_contrast_topics_and_skip_filler():
    topics = describe_topics(
        [0, 0, 1, 1],
        [
            "Hi, my card has not arrived",
            "Hello, card delivery is late",
            "Hi, exchange rate wrong",
            "Hello, bad rate",
        ],
    )
    assert topics[0].keywords[0] in {"card", "delivery", "arrived"}
    assert "rate" in topics[1].keywords
    assert not {"hi", "hello"} & set(topics[0].keywords + topics[1].keywords)


# V-measure >= 0.80 on Banking77 is a product bar. It must not hang on one UMAP layout (another CPU's float
# rounding gives another), so it holds for the mean over three seeds. Measured on a 2-core AMD EPYC (AVX2, no
# AVX-512) with the torch embedder: V-measure 0.8104-0.8198 over 11 seeds (42, 0..9), mean 0.8143, standard
# deviation 0.0024, 118-130 topics; these three seeds average 0.8147. Margin of a three-seed mean to the bar:
# about 0.014, some ten standard deviations of such a mean (0.0014).
BANKING77_SEEDS = (42, 1, 2)


@pytest.mark.slow
@pytest.mark.data
def test_banking77_topic_v_measure_reaches_0_80(embedder):
    if not BANKING77.is_file():
        missing(f"Banking77 not found at {BANKING77} (../shared/data is absent)", REQUIRE_DATA)
    with BANKING77.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    texts, intents = [r["text"] for r in rows], [r["category"] for r in rows]
    vectors = embedder.embed(texts)
    scores, topics, started = [], [], time.perf_counter()
    for seed in BANKING77_SEEDS:
        result = find_topics(vectors, texts, seed=seed)
        scores.append(v_measure_score(intents, result.labels))
        topics.append(len(result.topics))
    elapsed = time.perf_counter() - started
    mean = float(np.mean(scores))
    per_seed = ", ".join(
        f"seed {s}: {v:.3f} ({n} topics)" for s, v, n in zip(BANKING77_SEEDS, scores, topics, strict=True)
    )
    assert mean >= 0.80, f"mean V-measure {mean:.3f} ({per_seed}) in {elapsed:.0f}s"
