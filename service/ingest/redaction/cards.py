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
# The longest chain of 3-6 digit groups joined by one separator that starts at a group (up to 7 groups: a
# card of <= 19 digits has <= 6).
_CHAIN_RE = re.compile(r"\d{3,6}([ -])\d{3,6}(?!\d)(?:\1\d{3,6}(?!\d)){0,5}")
_CARD_GROUP_RE = re.compile(r"\d{3,}")  # a run starts at a group start, so these are whole groups


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
        # Groups of 1-2 digits can neither be a card nor join one: left out, they still break a chain of
        # groups (the text between the groups around them is then not one separator).
        groups = [(m.start(), m.end()) for m in _CARD_GROUP_RE.finditer(text, run.start(), run.end())]
        i = 0
        while i < len(groups):
            start, end = groups[i]
            size = end - start
            if text[start] not in _CARD_FIRST_DIGITS:  # no card starts here (_card_number_ok's first test)
                i += 1
                continue
            if 13 <= size <= 19:
                if _card_number_ok(text[start:end]):
                    yield start, end
                i += 1
                continue
            if not 3 <= size <= 6:
                i += 1
                continue
            last = _card_chain_end(text, groups, i)
            if last is not None:
                yield start, groups[last][1]
                i = last + 1
                continue
            i += 1


def _card_chain_end(text: str, groups: list[tuple[int, int]], i: int) -> int | None:
    """The last group of the longest card made of groups i, i+1, ... (3-6 digits each, one separator, 13-19
    digits in all), or None."""
    chain = _CHAIN_RE.match(text, groups[i][0])
    if chain is None:
        return None
    length = _chain_card_length(chain.group(), chain.group(1))
    return i + chain.group()[:length].count(chain.group(1)) if length else None


@lru_cache(maxsize=4096)  # repetitive hostile text holds few distinct chains
def _chain_card_length(chain: str, sep: str) -> int:
    """Characters of the longest card at the start of a chain of groups joined by `sep`, or 0."""
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
