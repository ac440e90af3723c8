"""Requests as job phrases, and the English they need (person, verb endings, verbs of a corpus)."""

from __future__ import annotations

import pytest

from pipelines.job_phrases import job_phrase
from pipelines.wording import clauses, content_stems, gerund, past, third_person, third_singular, verbs_in


def phrases(text: str) -> list[str | None]:
    return [job_phrase(c) for c in clauses(text)]


@pytest.mark.parametrize(
    ("request_text", "job"),
    [
        ("How do I top up by card?", "top up by card"),
        ("Why did my top-up fail?", "find out why their top-up failed"),
        ("Does this program take SWIFT transfers?", "check whether this program takes SWIFT transfers"),
        ("Where is my card?", "find out where their card is"),
        ("Why is my top up still pending?", "find out why their top up is still pending"),
        ("Can you tell me the limit for top ups?", "find out the limit for top ups"),
        ("Is there a maximum for top-ups?", "check whether there is a maximum for top-ups"),
        ("Will I be charged for topping up?", "check whether they will be charged for topping up"),
        ("Is this free?", "check whether this is free"),
        ("Do you accept SWIFT?", "check whether we accept SWIFT"),
        ("Hi, can you send me the SDS for the sealant?", "get the SDS for the sealant"),
        ("I want to know where my card is", "find out where their card is"),
        ("I would like to cancel my order please", "cancel their order"),
        ("I need a refund because the shop charged my account twice", "get a refund"),
        ("My card hasn't arrived yet.", "report that their card has not arrived yet"),
        ("how long does a transfer take?", "find out how long a transfer takes"),
        ("How many ATMs will take this card?", "find out how many ATMs will take this card"),
    ],
)
def test_requests_become_third_person_verb_phrases(request_text: str, job: str) -> None:
    assert phrases(request_text) == [job]


@pytest.mark.parametrize(
    "text",
    [
        "Need to reorder EP-220 epoxy, 5 please.",  # product codes and quantities are not jobs
        "Can you resend invoice 123?",
        "why did my top up fail?",  # "top up" or "top" + verb "up"? not guessed
        "What if my top up doesn't go through?",
        "Thanks a lot!",
        "The weather is nice",
    ],
)
def test_forms_that_cannot_be_read_without_guessing_give_no_job(text: str) -> None:
    assert phrases(text) == [None] * len(clauses(text))


def test_person_and_verb_endings() -> None:
    assert third_person("I was sure my card and our app work for me".split()) == (
        "they were sure their card and their app work for them".split()
    )
    assert third_person(["SWIFT", "Transfers"]) == ["SWIFT", "transfers"]
    assert [third_singular(v) for v in ("take", "fly", "push", "have")] == ["takes", "flies", "pushes", "has"]
    assert [past(v) for v in ("fail", "arrive", "go", "try")] == ["failed", "arrived", "went", "tried"]
    assert [gerund(p) for p in ("top up", "make a claim", "stop it", "visit us")] == [
        "topping up",
        "making a claim",
        "stopping it",
        "visiting us",
    ]


def test_verbs_are_read_from_how_the_texts_use_words() -> None:
    texts = [
        "I want to top up",
        "Can I top up now?",
        "the auto top-up",
        "my auto top-up is off",
        "to auto renew",
    ]
    verbs = verbs_in(texts)
    assert "top" in verbs and "auto" not in verbs


def test_content_stems_join_inflections() -> None:
    assert content_stems("Topping up the top-ups") == content_stems("top up a top up") == {"top"}
