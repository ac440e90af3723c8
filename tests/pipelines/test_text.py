"""The text a transcript contributes: the customer's own turns."""

from __future__ import annotations

from pipelines.chat_text import is_courtesy, split_camel
from pipelines.text import customer_text


def test_customer_text_keeps_only_customer_turns() -> None:
    turns = [
        {"speaker": "agent", "text": "Welcome to the bank"},
        {"speaker": "customer", "text": "My card was declined"},
        {"speaker": "bot", "text": "Please hold"},
        {"speaker": "system", "text": "transfer"},
        {"speaker": "customer", "text": "  at the supermarket  "},
        {"speaker": "customer", "text": ""},
        {"speaker": "customer"},
    ]
    assert customer_text(turns) == "My card was declined\nat the supermarket"
    assert customer_text([{"speaker": "agent", "text": "hi"}]) == ""
    assert customer_text([]) == ""


def test_chat_text_keeps_signal_and_drops_noise() -> None:
    turns = [
        {
            "speaker": "customer",
            "text": "@SouthwestAir my flight to Denver was cancelled &amp; no refund #NotFair 😡",
        },
        {"speaker": "customer", "text": "https://t.co/abc123 see the email"},
        {"speaker": "customer", "text": "Thanks!"},
        {"speaker": "customer", "text": "Yep, that's the one."},
        {
            "speaker": "customer",
            "text": "@SouthwestAir my flight to Denver was cancelled &amp; no refund #NotFair 😡",
        },
        {
            "speaker": "customer",
            "text": "Please refund me\n> We are sorry for the trouble\nSent from my iPhone",
        },
        {
            "speaker": "customer",
            "text": "Can you help?\n\nOn Mon, 3 Feb 2020, Support <a@b.com> wrote:\nHi there",
        },
    ]
    assert customer_text(turns) == (
        "Southwest Air my flight to Denver was cancelled & no refund Not Fair\n"
        "see the email\nPlease refund me\nCan you help?"
    )


def test_a_customer_who_only_says_thanks_keeps_that_text() -> None:
    # Cleaning must never silence a customer: with nothing of signal left, the raw turns are kept.
    assert customer_text([{"speaker": "customer", "text": "Thanks!"}]) == "Thanks!"


def test_courtesy_words_do_not_swallow_requests() -> None:
    assert is_courtesy("Ok, thanks so much!") and is_courtesy("Hi there") and is_courtesy("")
    assert not is_courtesy("Ok, but my card was declined") and not is_courtesy("Please cancel my order")
    assert split_camel("SouthwestAir") == "Southwest Air" and split_camel("eBay") == "eBay"
