"""Payment card numbers in free text: an ISO/IEC 7812 industry digit and the Luhn check must both hold."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from .spans import Span

# Maximal runs of >= 13 digits separated by at most one space/dash (linear scan). A run is split into digit
# groups; a card is either one group of 13-19 digits or consecutive groups of 3-6 digits (4-4-4-4, 4-6-5,
# 4-4-4-4-3, ...) joined by one consistent separator and holding 13-19 digits in total. Trying every such
# range of groups finds a card even when it is followed by an expiry or another number in the same run.
_DIGIT_RUN_RE = re.compile(r"(?<![\w+])\d(?:[ -]?\d){12,}")
_CARD_FIRST_DIGITS = "23456"
# Where a card may start, found in C (a Python step per digit group cost most of the time on pasted phone
# lists): a group whose first digit is a card's, either 13-19 digits long, or the first of a chain of 3-6
# digit groups joined by one separator, at least 15 characters (13 digits and 2 separators) and up to 7
# groups long (a card of <= 19 digits has <= 6). A lookahead, so chains starting at every group are seen.
_CARD_START_RE = re.compile(
    rf"(?<!\d)(?=(?P<long>[{_CARD_FIRST_DIGITS}]\d{{12,18}})(?!\d)"
    rf"|(?P<chain>[{_CARD_FIRST_DIGITS}]\d{{2,5}}(?P<sep>[ -])\d{{3,6}}(?!\d)(?:(?P=sep)\d{{3,6}}(?!\d)){{1,5}}))"
)


_DOUBLED = str.maketrans("0123456789", "0246813579")  # each digit doubled, less 9 when over 9 (Luhn)


def _luhn_ok(digits: str) -> bool:
    reverse = digits[::-1]  # sums in C: a Python step per digit cost most of the time on card-like text
    return (sum(map(int, reverse[::2])) + sum(map(int, reverse[1::2].translate(_DOUBLED)))) % 10 == 0


@lru_cache(maxsize=4096)  # hostile text repeats one card-like number; the check is pure
def _card_number_ok(digits: str) -> bool:
    # ISO/IEC 7812 major industry identifiers 2-6 cover Mastercard 2-series, Amex/Diners/JCB, Visa,
    # Mastercard, Discover/UnionPay/Maestro. Excluding 0/1/7/8/9 keeps most tracking numbers (e.g. USPS 94..)
    # that happen to pass Luhn.
    return 13 <= len(digits) <= 19 and digits[0] in _CARD_FIRST_DIGITS and _luhn_ok(digits)


def card_spans(text: str) -> Iterator[Span]:
    for run in _DIGIT_RUN_RE.finditer(text):
        if run.end() < len(text) and text[run.end()].isalnum():
            continue  # digits glued to letters: an identifier, not a card
        after = run.start()  # where the last card found ends: later groups only
        for start in _CARD_START_RE.finditer(text, run.start(), run.end()):
            if start.start() < after:
                continue
            if start.group("long"):
                if _card_number_ok(start.group("long")):
                    yield start.start(), start.end("long")
                continue
            length = _chain_card_length(start.group("chain"), start.group("sep"))
            if length:
                yield start.start(), start.start() + length
                after = start.start() + length


@lru_cache(maxsize=4096)  # repetitive hostile text holds few distinct chains
def _chain_card_length(chain: str, sep: str) -> int:
    """Characters of the longest card at the start of a chain of groups joined by `sep`, or 0."""
    if len(chain) < 15:
        return 0  # fewer than 13 digits (a phone number: 415-555-2671)
    parts = chain.split(sep)
    n_digits = 0
    ends: list[int] = []
    for k, part in enumerate(parts):
        n_digits += len(part)
        if n_digits > 19:
            break
        if n_digits >= 13:
            ends.append(k + 1)
    for end in reversed(ends):  # longest first
        if _card_number_ok("".join(parts[:end])):
            return len(sep.join(parts[:end]))
    return 0
