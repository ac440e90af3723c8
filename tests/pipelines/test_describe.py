"""Persona descriptions: contrastive keywords, quotes, jobs, motivations, consequences and sentiment."""

from __future__ import annotations

import numpy as np
import pytest

from pipelines.describe import PersonaTexts, describe_personas, pick_quotes, trim_quote
from pipelines.embed import SentenceTransformerEmbedder
from pipelines.phrases import FoundPhrase, rank_phrases, sentiment

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
    ids = [f"{key}-{i}" for i in range(len(texts))]
    return PersonaTexts(key, texts, vectors, centroid / np.linalg.norm(centroid), ids=ids)


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


def test_labels_are_readable_distinct_names_not_keyword_pairs(described):
    labels = [d.label for d in described.values()]
    assert len(set(labels)) == len(labels)
    for label in labels:
        assert label.startswith("Customers ") and len(label.split()) >= 3 and len(label) <= 60
        assert "·" not in label


def test_summary_is_one_sentence_about_jobs_why_and_cost_without_the_label(described):
    summary = described["waiting"].summary
    assert summary.startswith("They get in touch to ") and summary.endswith(".")
    assert summary.count(". ") == 0 and len(summary) <= 320
    assert described["waiting"].label not in summary
    # what a gap costs them: the top consequence, in the third person
    assert "when it goes wrong" in summary or "otherwise" in summary


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
    # Texts that are not eligible (nearer another persona) come last.
    eligible = [False, True, True, True, True]
    assert pick_quotes(texts, vectors, centroid, n_quotes=1, eligible=eligible) == (texts[1],)


def test_trim_quote_cuts_long_texts_at_a_word_boundary():
    text = "word " * 100
    trimmed = trim_quote(text, max_chars=50)
    assert len(trimmed) <= 50 and trimmed.endswith("…") and not trimmed[:-1].endswith(" ")
    assert trim_quote("  short\n text ") == "short text"


def test_jobs_are_sorted_by_share_with_examples_that_open_their_transcripts(described):
    for description in described.values():
        jobs = description.jobs
        assert jobs and [j.share for j in jobs] == sorted((j.share for j in jobs), reverse=True)
        assert len(description.job_members) == len(jobs)
        for job, members in zip(jobs, description.job_members, strict=True):
            assert job.label and "·" not in job.label and job.transcripts == len(members)
            assert 1 <= len(job.examples) <= 3
            for example in job.examples:
                assert example.transcript_id in members
    waiting_ids = {f"waiting-{i}": text for i, text in enumerate(WAITING)}
    example = described["waiting"].jobs[0].examples[0]
    assert example.quote == trim_quote(waiting_ids[example.transcript_id])


def test_motivations_and_consequences_are_customer_phrases_with_examples(described):
    for description in described.values():
        for phrase in (*description.motivations, *description.consequences):
            assert len(phrase.text.split()) >= 2 and phrase.count >= 1
            assert 1 <= len(phrase.examples) <= 2
    waiting = {m.text for m in described["waiting"].motivations}
    assert "because my old card expired" in waiting
    charged = described["charged"].consequences
    assert [c.count for c in charged] == sorted((c.count for c in charged), reverse=True)
    assert any("twice" in c.text for c in charged)
    still = [c for c in described["waiting"].consequences if "waiting" in c.text.lower()]
    assert still and still[0].examples[0].transcript_id.startswith("waiting-")


def test_ties_rank_the_more_typical_texts_first():
    ranked = rank_phrases(
        [[FoundPhrase("a", "a refund please", "a refund please")], [FoundPhrase("b", "cancel it now", "x")]],
        [0.2, 0.9],
        ["t0", "t1"],
    )
    assert [p.text for p in ranked] == ["cancel it now", "a refund please"]
    assert ranked[0].examples[0].transcript_id == "t1" and ranked[0].share == pytest.approx(0.5)


def test_sentiment_sign(described):
    assert described["happy"].sentiment > 0.3
    assert described["charged"].sentiment < described["happy"].sentiment
    assert sentiment(["This is terrible, my card was stolen and nobody helps"]) < 0
    assert sentiment([]) == 0.0


def test_describe_is_deterministic(embedder):
    personas = [persona("waiting", WAITING, embedder), persona("charged", CHARGED, embedder)]
    assert describe_personas(personas) == describe_personas(personas)
