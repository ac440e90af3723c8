"""Redaction of one text: every detector in a fixed order, each match replaced by a typed placeholder."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .budget import RedactionBudget
from .cards import card_spans
from .emails import email_spans
from .ibans import iban_spans
from .phones import phone_check_work, phone_spans
from .spans import Span, replace_spans
from .ssns import ssn_cued_spans, ssn_dashed_spans

PLACEHOLDERS: dict[str, str] = {
    "EMAIL": "[EMAIL]",
    "IBAN": "[IBAN]",
    "CARD": "[CARD]",
    "SSN": "[SSN]",
    "PHONE": "[PHONE]",
}


@dataclass(frozen=True)
class Redaction:
    text: str
    counts: dict[str, int]  # e.g. {"EMAIL": 1, "CARD": 2}; only non-zero entries


_DETECTORS: tuple[tuple[str, Callable[[str], Iterable[Span]]], ...] = (
    ("EMAIL", email_spans),
    ("IBAN", iban_spans),
    ("CARD", card_spans),
    ("SSN", ssn_dashed_spans),
    ("SSN", ssn_cued_spans),
    ("PHONE", phone_spans),
)


def redact_text(text: str, budget: RedactionBudget | None = None) -> Redaction:
    """Replace emails, IBANs, card numbers, SSNs and phone numbers with typed placeholders.

    Detectors run one after the other on the progressively redacted text, so an earlier type wins
    (a card number never becomes a phone). Placeholders contain no digits or '@', so redacting is
    idempotent. With a `budget`, the text's phone-check work is spent from it first, before any detector
    runs: RedactionBudgetExceeded is raised instead of doing work past the limit. A `counting` budget only
    counts (the text comes back unchanged).
    """
    counts: dict[str, int] = {}
    if not text or ("@" not in text and not any(c.isdigit() for c in text)):
        return Redaction(text=text, counts=counts)
    if budget is not None:
        # Counted on the text as sent: earlier detectors only replace digits, so the phone matcher does less.
        for work in phone_check_work(text):
            budget.spend(work)
        if budget.counting:
            return Redaction(text=text, counts=counts)
    for kind, detect in _DETECTORS:
        spans = list(detect(text))
        if spans:
            text = replace_spans(text, spans, PLACEHOLDERS[kind])
            counts[kind] = counts.get(kind, 0) + len(spans)
    return Redaction(text=text, counts=counts)


def redact_turns(
    turns: list[dict], budget: RedactionBudget | None = None
) -> tuple[list[dict], dict[str, int]]:
    """Redact the `text` of every turn (other keys kept), summing counts."""
    out: list[dict] = []
    totals: dict[str, int] = {}
    for turn in turns:
        text = turn.get("text")
        if not isinstance(text, str):
            out.append(dict(turn))
            continue
        result = redact_text(text, budget)
        out.append({**turn, "text": result.text})
        for kind, n in result.counts.items():
            totals[kind] = totals.get(kind, 0) + n
    return out, totals
