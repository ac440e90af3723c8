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
            # Extend over following 3-6 digit groups with the same separator while <= 19 digits.
            digits = [text[start:end]]
            candidates: list[tuple[int, str]] = []
            sep = text[end] if i + 1 < len(groups) else ""
            n_digits = size
            for j in range(i + 1, len(groups)):
                g_start, g_end = groups[j]
                g_size = g_end - g_start
                if not 3 <= g_size <= 6 or text[groups[j - 1][1] : g_start] != sep:
                    break
                n_digits += g_size
                if n_digits > 19:
                    break
                digits.append(text[g_start:g_end])
                if n_digits >= 13:
                    candidates.append((j, "".join(digits)))
            for j, number in reversed(candidates):  # longest first
                if _card_number_ok(number):
                    yield start, groups[j][1]
                    i = j + 1
                    break
            else:
                i += 1
