"""The text a transcript contributes: the customer's own turns."""

from __future__ import annotations

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
