"""Phone numbers in free text, found by libphonenumber's matcher."""

from __future__ import annotations

import re
from collections.abc import Iterator

import phonenumbers
from phonenumbers import Leniency

from .spans import Span

# National-format numbers (no "+" / international prefix) are interpreted in this region.
PHONE_DEFAULT_REGION = "US"
# VALID: the number must be a real, assignable number per libphonenumber metadata (rejects 555-2671 without
# area code, "PO 4500012345", "SKU 12-3456-7" that POSSIBLE accepts) but, unlike STRICT/EXACT_GROUPING,
# does not reject numbers written with unusual digit grouping.
PHONE_LENIENCY = Leniency.VALID
PHONE_MIN_DIGITS = 7


# "00" international call prefix (used outside North America): shown to the matcher as " +" (same length, so
# offsets stay valid) because with a US default region libphonenumber only understands "011" as IDD.
_IDD_00_RE = re.compile(r"(?<![\w.,/:+-])00(?=[1-9])")
_NON_DIGIT_RE = re.compile(r"\D+")


def phone_spans(text: str) -> Iterator[Span]:
    if len(_NON_DIGIT_RE.sub("", text)) < PHONE_MIN_DIGITS:
        return
    scan = _IDD_00_RE.sub(" +", text)
    for m in phonenumbers.PhoneNumberMatcher(scan, PHONE_DEFAULT_REGION, leniency=PHONE_LENIENCY):
        start = m.start
        if scan[start] == "+" and text[start] == "0":
            start -= 1  # include the first "0" of the "00" prefix
        yield start, m.end
