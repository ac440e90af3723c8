"""Motivations and consequences: the customers' own words found by generic grammar cues, never a lexicon."""

from __future__ import annotations

from pipelines.phrases import consequence_phrases, motivation_phrases


def said(found: list) -> list[str]:  # type: ignore[type-arg]
    return [f.text for f in found]


def test_reasons_are_kept_in_the_customers_words() -> None:
    assert said(
        motivation_phrases("I need to change my PIN because my card was stolen, but nobody answers.")
    ) == ["because my card was stolen"]
    # The subject stays: "so that I can generate a client", never a garbled "so that generate a client".
    assert said(motivation_phrases("How do I export so that I can generate a client report?")) == [
        "so that I can generate a client report"
    ]
    assert said(motivation_phrases("The boat has to go back in the water by Friday.")) == [
        "The boat has to go back in the water by Friday"
    ]
    assert motivation_phrases("How do I reset my password?") == []


def test_the_same_reason_by_another_day_is_one_group() -> None:
    friday = motivation_phrases("Our branches will run out by Friday.")[0]
    monday = motivation_phrases("Our branches will run out by next Monday.")[0]
    assert friday.key == monday.key


def test_consequences_are_statements_with_a_gap() -> None:
    assert said(consequence_phrases("Otherwise I have to send the customer home.")) == [
        "Otherwise I have to send the customer home"
    ]
    assert said(consequence_phrases("Or I lose the job to the shop down the street.")) == [
        "Or I lose the job to the shop down the street"
    ]
    assert said(consequence_phrases("My top up is still pending. I can't afford to wait")) == [
        "My top up is still pending",
        "I can't afford to wait",
    ]
    assert said(consequence_phrases("I was charged twice this month!")) == ["I was charged twice this month"]


def test_negations_and_questions_are_no_gap() -> None:
    assert consequence_phrases("No rush, whenever you can.") == []
    assert consequence_phrases("It is not urgent at all") == []
    assert consequence_phrases("Is there a late fee?") == []  # a question, not a cost
    assert consequence_phrases("I don't know how to top up") == []  # unsure, not a gap
    assert said(consequence_phrases("Last box came a day late, no big deal but heads up.")) == [
        "Last box came a day late"
    ]


def test_phrases_are_the_customers_words_never_a_category() -> None:
    # An invoicing customer's missing tax line stays a missing tax line (no "lost or stolen").
    assert said(consequence_phrases("The PDF is missing the tax line on invoices")) == [
        "The PDF is missing the tax line on invoices"
    ]
    for text in ("again", "urgent!", "po 1234 again", "Bad."):
        assert all(len(f.text.split()) >= 2 for f in consequence_phrases(text))
