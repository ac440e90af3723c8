"""A bound on the redaction work one request may cause, counted in characters the phone matcher must check.

libphonenumber's matcher is the costly detector. Its work is counted, before it runs, as the characters of
the runs of digits and phone punctuation that could hold a number (6 digits or more). With its verdicts
memoised (phones.py), repetitive hostile text ("1/1/1/...") costs under 0.5 microseconds a character; the
worst text found is random digits (random ten-digit numbers between " - "), about 8, where nearly every
candidate is new and needs a parse. Text over the limit costs no more than a regex scan. The other detectors
are regex scans, linear and cheap.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Characters of digit runs one request may have checked for phone numbers. Bounds the CPU of a request to
#: about 1 s on the worst text found (about 8 us a character; before the memos 60, and before the budget a
#: 10 MB body cost minutes); the largest legal transcript batch in tests/service/security (10 MB, 4% numbers)
#: needs about 32,000.
MAX_PHONE_CHECK_CHARS = 100_000


class RedactionBudgetExceeded(Exception):
    """The text holds more digits to check for phone numbers than the budget allows."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"more than {limit} characters of digits to check for phone numbers")
        self.limit = limit


@dataclass
class RedactionBudget:
    """The redaction work one request may still cause (API, webhooks, account upserts)."""

    limit: int = field(default_factory=lambda: MAX_PHONE_CHECK_CHARS)  # read when a request starts
    used: int = 0
    #: Only count: redaction with a counting budget spends the work and returns the text unchanged. A request
    #: is first redacted with one, so a request over the limit is refused before any matcher runs (the
    #: count is a regex scan; otherwise the work up to the limit, seconds, would be done and then thrown away).
    counting: bool = False

    def spend(self, characters: int) -> None:
        """Count work about to be done; raises, before it is done, once the limit would be passed."""
        self.used += characters
        if self.used > self.limit:
            raise RedactionBudgetExceeded(self.limit)
