"""IBANs in free text: the country's length and the ISO 7064 mod-97 check digits must both hold."""

from __future__ import annotations

import re
from collections.abc import Iterator

from .spans import Span

# IBAN lengths per country (SWIFT IBAN registry).
_IBAN_LENGTHS: dict[str, tuple[int, ...]] = {
    "AD": (24,), "AE": (23,), "AL": (28,), "AT": (20,), "AZ": (28,), "BA": (20,), "BE": (16,), "BG": (22,),
    "BH": (22,), "BI": (27,), "BR": (29,), "BY": (28,), "CH": (21,), "CR": (22,), "CY": (28,), "CZ": (24,),
    "DE": (22,), "DJ": (27,), "DK": (18,), "DO": (28,), "EE": (20,), "EG": (29,), "ES": (24,), "FI": (18,),
    "FK": (18,), "FO": (18,), "FR": (27,), "GB": (22,), "GE": (22,), "GI": (23,), "GL": (18,), "GR": (27,),
    "GT": (28,), "HN": (28,), "HR": (21,), "HU": (28,), "IE": (22,), "IL": (23,), "IQ": (23,), "IS": (26,),
    "IT": (27,), "JO": (30,), "KW": (30,), "KZ": (20,), "LB": (28,), "LC": (32,), "LI": (21,), "LT": (20,),
    "LU": (20,), "LV": (21,), "LY": (25,), "MC": (27,), "MD": (24,), "ME": (22,), "MK": (19,), "MN": (20,),
    "MR": (27,), "MT": (31,), "MU": (30,), "NI": (28, 32), "NL": (18,), "NO": (15,), "OM": (23,), "PK": (24,),
    "PL": (28,), "PS": (29,), "PT": (25,), "QA": (29,), "RO": (24,), "RS": (22,), "RU": (33,), "SA": (24,),
    "SC": (31,), "SD": (18,), "SE": (24,), "SI": (19,), "SK": (24,), "SM": (27,), "SO": (23,), "ST": (25,),
    "SV": (28,), "TL": (23,), "TN": (24,), "TR": (26,), "UA": (29,), "VA": (22,), "VG": (24,), "XK": (20,),
    "YE": (30,),
}  # fmt: skip

# Country code + check digits + 11..30 alphanumerics, each optionally preceded by one space. Every
# repetition consumes exactly one alphanumeric, so the match is bounded (<= 64 chars) and cannot blow up.
# The candidate may run past the IBAN into following words; it is trimmed to the country's length below.
_IBAN_RE = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}[0-9]{2}(?: ?[A-Za-z0-9]){11,30}")


def _iban_checksum_ok(compact: str) -> bool:
    rearranged = compact[4:] + compact[:4]
    digits = "".join(str(int(c, 36)) for c in rearranged)
    return int(digits) % 97 == 1


def iban_spans(text: str) -> Iterator[Span]:
    pos = 0
    while True:
        m = _IBAN_RE.search(text, pos)
        if m is None:
            return
        span = _validate_iban(text, m)
        if span is None:
            pos = m.start() + 1
        else:
            yield span
            pos = span[1]


def _validate_iban(text: str, m: re.Match[str]) -> Span | None:
    lengths = _IBAN_LENGTHS.get(m.group()[:2].upper())
    if lengths is None:
        return None
    # Offsets (into `text`) of the alphanumeric characters of the candidate.
    positions = [i for i in range(m.start(), m.end()) if text[i] != " "]
    for length in lengths:
        if len(positions) < length:
            continue
        end = positions[length - 1] + 1
        if end < len(text) and text[end].isalnum():
            continue  # the IBAN would end in the middle of a token
        compact = "".join(text[i] for i in positions[:length]).upper()
        if _iban_checksum_ok(compact):
            return m.start(), end
    return None
