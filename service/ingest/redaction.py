"""PII redaction for transcript text, applied before anything is stored or embedded.

Uses precompiled regexes + checksums (Luhn for cards, ISO 7064 mod-97 for IBANs, SSA range rules for SSNs)
plus the `phonenumbers` matcher; Presidio/spaCy were rejected because they need model downloads or heavy
dependencies and are much slower per turn. Detectors run in a fixed order: EMAIL, IBAN, CARD, SSN, PHONE.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import phonenumbers
from phonenumbers import Leniency

from service.ingest.schemas import MAX_JSON_DEPTH

__all__ = [
    "PLACEHOLDERS",
    "Redaction",
    "redact_json",
    "redact_text",
    "redact_turns",
]

PLACEHOLDERS: dict[str, str] = {
    "EMAIL": "[EMAIL]",
    "IBAN": "[IBAN]",
    "CARD": "[CARD]",
    "SSN": "[SSN]",
    "PHONE": "[PHONE]",
}

# National-format numbers (no "+" / international prefix) are interpreted in this region.
PHONE_DEFAULT_REGION = "US"
# VALID: the number must be a real, assignable number per libphonenumber metadata (rejects 555-2671 without
# area code, "PO 4500012345", "SKU 12-3456-7" that POSSIBLE accepts) but, unlike STRICT/EXACT_GROUPING,
# does not reject numbers written with unusual digit grouping.
PHONE_LENIENCY = Leniency.VALID
_PHONE_MIN_DIGITS = 7


@dataclass(frozen=True)
class Redaction:
    text: str
    counts: dict[str, int]  # e.g. {"EMAIL": 1, "CARD": 2}; only non-zero entries


Span = tuple[int, int]

# --------------------------------------------------------------------------------------------------- email
# The lookbehind anchors matches at the start of a local-part run, keeping the scan linear; domain labels
# are dot-delimited, so the label repetition cannot backtrack ambiguously.
_EMAIL_RE = re.compile(
    r"(?<![\w.%+-])[\w.%+-]+@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}(?![\w-])"
)


def _email_spans(text: str) -> Iterator[Span]:
    if "@" not in text:
        return
    for m in _EMAIL_RE.finditer(text):
        yield m.span()


# ---------------------------------------------------------------------------------------------------- IBAN
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


def _iban_spans(text: str) -> Iterator[Span]:
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


# ---------------------------------------------------------------------------------------------------- card
# Maximal runs of >= 13 digits separated by at most one space/dash (linear scan). A run is split into digit
# groups; a card is either one group of 13-19 digits or consecutive groups of 3-6 digits (4-4-4-4, 4-6-5,
# 4-4-4-4-3, ...) joined by one consistent separator and holding 13-19 digits in total. Trying every such
# range of groups finds a card even when it is followed by an expiry or another number in the same run.
_DIGIT_RUN_RE = re.compile(r"(?<![\w+])\d(?:[ -]?\d){12,}")
_DIGIT_GROUP_RE = re.compile(r"\d+")


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _card_number_ok(digits: str) -> bool:
    # ISO/IEC 7812 major industry identifiers 2-6 cover Mastercard 2-series, Amex/Diners/JCB, Visa,
    # Mastercard, Discover/UnionPay/Maestro. Excluding 0/1/7/8/9 keeps most tracking numbers (e.g. USPS 94..)
    # that happen to pass Luhn.
    return 13 <= len(digits) <= 19 and digits[0] in "23456" and _luhn_ok(digits)


def _card_spans(text: str) -> Iterator[Span]:
    for run in _DIGIT_RUN_RE.finditer(text):
        if run.end() < len(text) and text[run.end()].isalnum():
            continue  # digits glued to letters: an identifier, not a card
        groups = [(m.start(), m.end()) for m in _DIGIT_GROUP_RE.finditer(text, run.start(), run.end())]
        i = 0
        while i < len(groups):
            start, end = groups[i]
            size = end - start
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


# ----------------------------------------------------------------------------------------------------- SSN
# Formatted AAA-GG-SSSS, excluding area 000/666/9xx, group 00, serial 0000.
def _ssn_body(sep: str) -> str:
    return rf"(?!000|666|9\d\d)\d{{3}}(?P<sep>{sep})(?!00)\d{{2}}(?P=sep)(?!0000)\d{{4}}"


_SSN_DASHED_RE = re.compile(r"(?<![\w-])" + _ssn_body("-") + r"(?![\w-])")
# Unformatted (or space/dot separated) 9 digits only after a cue word within a short distance.
_SSN_CUED_RE = re.compile(
    r"(?i:\b(?:ssn\b|ss\#|social[\s-]+security\b))[^\d\n]{0,30}?"
    r"(?P<ssn>" + _ssn_body("[ .]?") + r")(?![\w-])"
)


def _ssn_dashed_spans(text: str) -> Iterator[Span]:
    if "-" not in text:
        return
    for m in _SSN_DASHED_RE.finditer(text):
        yield m.span()


def _ssn_cued_spans(text: str) -> Iterator[Span]:
    for m in _SSN_CUED_RE.finditer(text):
        yield m.span("ssn")


# --------------------------------------------------------------------------------------------------- phone
# "00" international call prefix (used outside North America): shown to the matcher as " +" (same length, so
# offsets stay valid) because with a US default region libphonenumber only understands "011" as IDD.
_IDD_00_RE = re.compile(r"(?<![\w.,/:+-])00(?=[1-9])")
_NON_DIGIT_RE = re.compile(r"\D+")


def _phone_spans(text: str) -> Iterator[Span]:
    if len(_NON_DIGIT_RE.sub("", text)) < _PHONE_MIN_DIGITS:
        return
    scan = _IDD_00_RE.sub(" +", text)
    for m in phonenumbers.PhoneNumberMatcher(scan, PHONE_DEFAULT_REGION, leniency=PHONE_LENIENCY):
        start = m.start
        if scan[start] == "+" and text[start] == "0":
            start -= 1  # include the first "0" of the "00" prefix
        yield start, m.end


# ---------------------------------------------------------------------------------------------------- core
_DETECTORS: tuple[tuple[str, Callable[[str], Iterator[Span]]], ...] = (
    ("EMAIL", _email_spans),
    ("IBAN", _iban_spans),
    ("CARD", _card_spans),
    ("SSN", _ssn_dashed_spans),
    ("SSN", _ssn_cued_spans),
    ("PHONE", _phone_spans),
)


def _replace(text: str, spans: list[Span], placeholder: str) -> str:
    parts = []
    last = 0
    for start, end in spans:
        parts.append(text[last:start])
        parts.append(placeholder)
        last = end
    parts.append(text[last:])
    return "".join(parts)


def redact_text(text: str) -> Redaction:
    """Replace emails, IBANs, card numbers, SSNs and phone numbers with typed placeholders.

    Detectors run one after the other on the progressively redacted text, so an earlier type wins
    (a card number never becomes a phone). Placeholders contain no digits or '@', so redacting is
    idempotent.
    """
    counts: dict[str, int] = {}
    if not text or ("@" not in text and not any(c.isdigit() for c in text)):
        return Redaction(text=text, counts=counts)
    for kind, detect in _DETECTORS:
        spans = list(detect(text))
        if spans:
            text = _replace(text, spans, PLACEHOLDERS[kind])
            counts[kind] = counts.get(kind, 0) + len(spans)
    return Redaction(text=text, counts=counts)


def redact_turns(turns: list[dict]) -> tuple[list[dict], dict[str, int]]:
    """Redact the `text` of every turn (other keys kept), summing counts."""
    out: list[dict] = []
    totals: dict[str, int] = {}
    for turn in turns:
        text = turn.get("text")
        if not isinstance(text, str):
            out.append(dict(turn))
            continue
        result = redact_text(text)
        out.append({**turn, "text": result.text})
        for kind, n in result.counts.items():
            totals[kind] = totals.get(kind, 0) + n
    return out, totals


# ---------------------------------------------------------------------------------------------------- JSON
def _add(totals: dict[str, int], counts: dict[str, int]) -> None:
    for kind, n in counts.items():
        totals[kind] = totals.get(kind, 0) + n


def _redact_scalar(value: Any, totals: dict[str, int]) -> Any:
    if isinstance(value, str):
        result = redact_text(value)
        _add(totals, result.counts)
        return result.text
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10 ** (_PHONE_MIN_DIGITS - 1):
        # A card or phone number sent as a JSON number (or parsed as one from CSV) is still personal data;
        # numbers of fewer digits than the shortest phone number (counts, years, postcodes) cannot be.
        result = redact_text(str(value))
        if result.counts:
            _add(totals, result.counts)
            return result.text
    return value


def redact_json(value: Any) -> tuple[Any, dict[str, int]]:
    """A copy of a JSON value with every string (object keys too) and integer redacted, plus the counts.

    Keys that become equal after redaction keep the last value. Callers bound the depth (MAX_JSON_DEPTH)."""
    totals: dict[str, int] = {}

    def walk(node: Any, depth: int) -> Any:
        if depth > MAX_JSON_DEPTH:
            raise ValueError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
        if isinstance(node, dict):
            return {_redact_scalar(str(k), totals): walk(v, depth + 1) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v, depth + 1) for v in node]
        return _redact_scalar(node, totals)

    return walk(value, 0), totals
