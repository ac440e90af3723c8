"""Persona descriptions: contrastive keywords, quotes, jobs, motivations, consequences and sentiment."""

from __future__ import annotations

import numpy as np
import pytest

from pipelines.describe import PersonaTexts, describe_personas, pick_quotes, trim_quote
from pipelines.embed import SentenceTransformerEmbedder
from pipelines.keywords import class_tfidf, label_from_keywords
from pipelines.phrases import consequence_phrases, motivation_clauses, rank_phrases, sentiment

# "account" is in every text of every persona: frequent everywhere, so it must not head any keyword list.
WAITING = [
    "My account card has still not arrived and I need to pay rent",
    "Where is the card for my account? I am still waiting for it",
    "I ordered a card on my account two weeks ago and I haven't received it",
    "The card for my account never arrived, I will cancel if it does not come",
    "Still waiting for the card linked to my account, this is the second time",
    "How long does card delivery take for my account? I need to book a flight",
    "Account card delivery is so late, I want to know where it is",
    "Can I track the delivery of the card for my account?",
    "My account shows the card was sent but it has not arrived",
    "I need my card because my old card expired, account holder here",
    "Card delivery for my account is taking forever",
    "The new card for my account has not come in the post",
]
CHARGED = [
    "I was charged twice on my account for the same payment",
    "My account shows a double charge, I want a refund",
    "There is a duplicate payment on my account, please refund it",
    "Why did my account get charged twice for one coffee?",
    "I need a refund because the shop charged my account twice",
    "The same transaction appears twice on my account statement",
    "My account was debited two times for one purchase, refund please",
    "I haven't received my refund for the double payment on my account",
    "Charged twice again on my account, I will close my account",
    "Please reverse the duplicate charge on my account",
    "I see the payment twice in my account history",
    "Refund the second charge on my account so that I can pay my bills",
]
HAPPY = [
    "I love the app, my account is great",
    "Great service on my account, thank you so much",
    "The account app is wonderful and easy to use",
    "Thanks, your team fixed my account quickly, awesome",
    "My account upgrade was excellent, very happy",
    "I really like the new account features",
    "Best bank account I have ever had, great job",
    "The account dashboard is beautiful and helpful",
    "Happy with my account, the support was fantastic",
    "Everything on my account works perfectly, thanks",
    "Nice work on the account savings feature, I enjoy it",
    "Your account service is brilliant",
]


@pytest.fixture(scope="module")
def embedder() -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder()


def persona(key: str, texts: list[str], embedder: SentenceTransformerEmbedder) -> PersonaTexts:
    vectors = embedder.embed(texts)
    centroid = vectors.mean(axis=0)
    return PersonaTexts(key, texts, vectors, centroid / np.linalg.norm(centroid))


@pytest.fixture(scope="module")
def described(embedder):
    personas = [persona("waiting", WAITING, embedder), persona("charged", CHARGED, embedder)]
    personas.append(persona("happy", HAPPY, embedder))
    return {d.key: d for d in describe_personas(personas)}


def test_keywords_contrast_personas_and_skip_words_frequent_everywhere(described):
    assert "card" in described["waiting"].keywords[:3]
    assert {"refund", "twice", "charged twice"} & set(described["charged"].keywords[:3])
    for description in described.values():
        assert "account" not in description.keywords[:5]
    assert described["waiting"].label != described["charged"].label


def test_label_is_short_and_built_from_keywords(described):
    for description in described.values():
        parts = description.label.split(" · ")
        assert 1 <= len(parts) <= 2 and len(description.label) <= 40
        assert all(part in description.keywords for part in parts)


def test_quotes_are_distinct_real_texts_closest_to_the_centroid(embedder, described):
    quotes = described["charged"].quotes
    assert 3 <= len(quotes) <= 5 and len(set(quotes)) == len(quotes)
    assert all(q in CHARGED for q in quotes)
    charged = persona("charged", CHARGED, embedder)
    closest = CHARGED[int(np.argmax(charged.vectors @ charged.centroid))]
    assert quotes[0] == closest


def test_pick_quotes_skips_duplicates_and_near_duplicates():
    axis = np.eye(4)
    texts = [
        "My card is late",
        "my card is LATE!",  # same words: duplicate
        "Card arrival is late for me",  # same meaning: near-duplicate vector
        "I want to change my PIN",
        "Exchange rate was bad",
    ]
    vectors = np.stack([axis[0], axis[0], axis[0] + 0.1 * axis[3], axis[1], axis[2]])
    centroid = np.array([1.0, 0.5, 0.3, 0.0])
    assert pick_quotes(texts, vectors, centroid, n_quotes=5) == (texts[0], texts[3], texts[4])


def test_trim_quote_cuts_long_texts_at_a_word_boundary():
    text = "word " * 100
    trimmed = trim_quote(text, max_chars=50)
    assert len(trimmed) <= 50 and trimmed.endswith("…") and not trimmed[:-1].endswith(" ")
    assert trim_quote("  short\n text ") == "short text"


def test_jobs_are_topics_sorted_by_share(described):
    jobs = described["waiting"].jobs
    assert jobs and [j.share for j in jobs] == sorted((j.share for j in jobs), reverse=True)
    assert sum(j.transcripts for j in jobs) <= len(WAITING)
    assert all(j.label for j in jobs)


def test_motivations_are_extracted_and_ranked_by_frequency(described):
    assert motivation_clauses("I need to change my PIN because my card was stolen, but nobody answers.") == [
        "to change my pin",
        "because my card was stolen",
    ]
    assert motivation_clauses("I want to cancel my account so that I can switch to another bank") == [
        "to cancel my account",
        "so that i can switch to another bank",
    ]
    assert motivation_clauses("I am trying to top up in order to pay rent") == ["to top up", "to pay rent"]
    assert motivation_clauses("I need to do it") == []  # says nothing about why
    texts = [
        "I need to change my PIN",
        "I want to change the PIN now",
        "I'm trying to change my pin",
        "I need to pay rent",
    ]
    ranked = rank_phrases([motivation_clauses(t) for t in texts], [0.5] * len(texts))
    assert ranked[0].count == 3 and ranked[0].text.startswith("to change")
    assert ranked[0].share == pytest.approx(0.75)
    # "I want to know where it is" carries no reason and is left out.
    assert {m.text for m in described["waiting"].motivations} == {
        "to pay rent",
        "to book a flight",
        "because my old card expired",
    }


def test_consequences_are_extracted_and_ranked(described):
    assert consequence_phrases("I am still waiting and I haven't received my card, I will cancel") == [
        "cancel",
        "still waiting",
        "haven't received",
    ]
    assert "charged twice" in consequence_phrases("Why was I double-charged?")
    assert "close my account" in consequence_phrases("Just close my account")
    assert "stolen" not in consequence_phrases("my card was stolen")  # named by the "lost or stolen" pattern
    charged = [c.text for c in described["charged"].consequences]
    assert charged[:2] == ["charged twice", "refund"]
    counts = [c.count for c in described["charged"].consequences]
    assert counts == sorted(counts, reverse=True)
    assert "still waiting" in [c.text for c in described["waiting"].consequences]


def test_ties_rank_the_more_typical_texts_first():
    ranked = rank_phrases([["refund"], ["cancel"]], [0.2, 0.9])
    assert [p.text for p in ranked] == ["cancel", "refund"]


def test_sentiment_sign(described):
    assert described["happy"].sentiment > 0.3
    assert described["charged"].sentiment < described["happy"].sentiment
    assert sentiment(["This is terrible, my card was stolen and nobody helps"]) < 0
    assert sentiment([]) == 0.0


def test_describe_is_deterministic(embedder):
    personas = [persona("waiting", WAITING, embedder), persona("charged", CHARGED, embedder)]
    assert describe_personas(personas) == describe_personas(personas)


def test_shared_keyword_code_gives_the_same_label_as_describe(described):
    groups = [WAITING, CHARGED, HAPPY]
    keywords = [tuple(k.term for k in ks) for ks in class_tfidf(groups, top_n=10)]
    assert label_from_keywords(keywords[0]) == described["waiting"].label
    assert keywords[1] == described["charged"].keywords
