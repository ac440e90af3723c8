"""The optional labeller: its answer replaces the extractive card only when it passes the checks."""

from __future__ import annotations

import logging

import pytest

from pipelines.describe import PersonaDescription
from pipelines.jobs import Job
from pipelines.labeller import (
    EXAMPLES_PER_PERSONA,
    CardEvidence,
    CardWords,
    ExtractiveLabeller,
    card_evidence,
    check_words,
    name_personas,
    parse_answer,
)
from pipelines.phrases import RankedPhrase
from pipelines.pond import PondEntry, PondMap
from pipelines.quotes import Example


def description(key: str = "P1") -> PersonaDescription:
    jobs = tuple(
        Job(
            label,
            ("top", "card"),
            10,
            0.2,
            tuple(Example(f"{key}-{i}-{n}", f"quote {n} of job {i}") for n in range(3)),
        )
        for i, label in enumerate(["Top up by card", "Find out why their top-up failed", "Check top-up fees"])
    )
    return PersonaDescription(
        key=key,
        label="Customers topping up by card",
        keywords=("top", "card", "top up", "fee"),
        quotes=tuple(f"persona quote {n}" for n in range(5)),
        jobs=jobs,
        motivations=(RankedPhrase("because I need the money for rent", 3, 0.1),),
        consequences=(RankedPhrase("my top up is still pending", 5, 0.2),),
        sentiment=0.0,
        transcripts=50,
        summary="They get in touch to top up by card; when it goes wrong: their top up is still pending.",
    )


GOOD = CardWords(
    "Card holders keeping their balance topped up",
    "They top up by card and chase failed top-ups because they need the money for rent.",
    ("Top up by card", "Chase a failed top-up", "Check what a top-up costs"),
)


class Answering:
    """A labeller that answers the given words (or raises the given error)."""

    name = "test"

    def __init__(self, words: CardWords | None = None, error: Exception | None = None) -> None:
        self.answer, self.error, self.seen = words, error, []

    def words(self, evidence: CardEvidence) -> CardWords:
        self.seen.append(evidence)
        if self.error:
            raise self.error
        assert self.answer is not None
        return self.answer


def test_evidence_holds_at_most_the_fixed_number_of_quotes() -> None:
    evidence = card_evidence(description(), who="Retail")
    assert len(evidence.quotes) == EXAMPLES_PER_PERSONA < 5 + 3 * 3
    assert evidence.as_json()["typical_account_attribute"] == "Retail"
    assert evidence.job_labels == ("Top up by card", "Find out why their top-up failed", "Check top-up fees")


def test_a_good_answer_passes_and_replaces_name_summary_and_job_labels() -> None:
    labeller = Answering(GOOD)
    [named] = name_personas([description()], {}, labeller)
    assert (named.label, named.summary) == (GOOD.label, GOOD.summary)
    assert tuple(j.label for j in named.jobs) == GOOD.job_labels
    assert named.jobs[0].examples == description().jobs[0].examples  # examples and counts stay


@pytest.mark.parametrize(
    ("words", "problem"),
    [
        (CardWords("top · card", GOOD.summary, GOOD.job_labels), "keyword pair"),
        (CardWords("Top card", GOOD.summary, GOOD.job_labels), "keywords together"),
        (CardWords("Customers", GOOD.summary, GOOD.job_labels), "fewer than two words"),
        (CardWords("Customers " * 10, GOOD.summary, GOOD.job_labels), "longer than 60"),
        (CardWords(GOOD.label, "Top ups. Fees too.", GOOD.job_labels), "not 20.."),
        (
            CardWords(GOOD.label, "They top up by card. They also check fees often.", GOOD.job_labels),
            "one sentence",
        ),
        (CardWords(GOOD.label, GOOD.summary, GOOD.job_labels[:2]), "2 job labels for 3 jobs"),
        (CardWords(GOOD.label, f"{GOOD.label} top up by card.", GOOD.job_labels), "names the persona"),
        (
            CardWords(
                GOOD.label, "They top up 3 times a week and lose 40% of their rent money.", GOOD.job_labels
            ),
            "numbers",
        ),
        (CardWords("Top 10 card holders", GOOD.summary, GOOD.job_labels), "numbers"),
    ],
)
def test_answers_that_break_a_rule_are_rejected(words: CardWords, problem: str) -> None:
    found = check_words(card_evidence(description()), words)
    assert found is not None and problem in found


def test_failing_and_lying_labellers_keep_the_extractive_card_and_say_why(caplog) -> None:  # type: ignore[no-untyped-def]
    extractive = description()
    lying = CardWords("Top 10 card holders", GOOD.summary, GOOD.job_labels)
    caplog.set_level(logging.WARNING, logger="personas.describe")
    for labeller in (Answering(error=TimeoutError("no answer in 30 s")), Answering(lying)):
        [named] = name_personas([extractive], {}, labeller)
        assert named == extractive
    assert "TimeoutError" in caplog.text and "numbers the evidence does not" in caplog.text


def test_who_the_customers_are_joins_the_name_when_most_share_it() -> None:
    strong = PondEntry("industry", "retail", 2.0, 40, 0.8, 0.4)
    weak = PondEntry("region", "West", 1.3, 10, 0.3, 0.23)
    [named] = name_personas([description()], {"P1": PondMap((strong,), ())}, ExtractiveLabeller())
    assert named.label == "Retail customers topping up by card"
    [plain] = name_personas([description()], {"P1": PondMap((weak,), ())}, None)
    assert plain.label == "Customers topping up by card"


def test_two_personas_never_get_the_same_name() -> None:
    labeller = Answering(GOOD)
    first, second = name_personas([description("P1"), description("P2")], {}, labeller)
    assert first.label == GOOD.label and second.label != GOOD.label


def test_answers_are_parsed_from_json_even_in_a_fenced_block() -> None:
    text = '```json\n{"label": "A b", "summary": "c d.", "jobs": ["e f"]}\n```'
    assert parse_answer(text) == CardWords("A b", "c d.", ("e f",))
    with pytest.raises(ValueError):
        parse_answer('{"label": "A b"}')
