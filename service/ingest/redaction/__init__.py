"""PII redaction for transcript text, applied before anything is stored or embedded.

Uses precompiled regexes + checksums (Luhn for cards, ISO 7064 mod-97 for IBANs, SSA range rules for SSNs)
plus the `phonenumbers` matcher; Presidio/spaCy were rejected because they need model downloads or heavy
dependencies and are much slower per turn. Detectors run in a fixed order: EMAIL, IBAN, CARD, SSN, PHONE.
Every detector is linear in the text; the phone matcher, the costly one, runs on bounded windows with its
verdicts memoised per distinct candidate and window (see phones.py), and a
RedactionBudget bounds how much of its work one request may cause.
"""

from __future__ import annotations

from .budget import RedactionBudget, RedactionBudgetExceeded
from .json_values import redact_json
from .text import PLACEHOLDERS, Redaction, redact_text, redact_turns

__all__ = [
    "PLACEHOLDERS",
    "Redaction",
    "RedactionBudget",
    "RedactionBudgetExceeded",
    "redact_json",
    "redact_text",
    "redact_turns",
]
