"""redact_text and redact_turns: positive and negative cases, placeholders, idempotence."""

from __future__ import annotations

import dataclasses

import pytest

from service.ingest.redaction import Redaction, redact_text, redact_turns

# (input, expected redacted text, expected counts)
POSITIVE_CASES: list[tuple[str, str, dict[str, int]]] = [
    # --- emails
    ("mail me at jane@example.com please", "mail me at [EMAIL] please", {"EMAIL": 1}),
    ("first.last+support@mail.example.co.uk", "[EMAIL]", {"EMAIL": 1}),
    ("write to Jane.Doe@Example.COM.", "write to [EMAIL].", {"EMAIL": 1}),
    ("ids: john_doe-99@sub.domain.io, a@b.de", "ids: [EMAIL], [EMAIL]", {"EMAIL": 2}),
    # --- phones, US national formats (default region US)
    ("call (415) 555-2671 today", "call [PHONE] today", {"PHONE": 1}),
    ("415.555.2671", "[PHONE]", {"PHONE": 1}),
    ("my number is 415-555-2671", "my number is [PHONE]", {"PHONE": 1}),
    ("415 555 2671 is my cell", "[PHONE] is my cell", {"PHONE": 1}),
    ("toll free 1-800-555-0199.", "toll free [PHONE].", {"PHONE": 1}),
    ("desk: +1 (415) 555-2671 ext. 204", "desk: [PHONE]", {"PHONE": 1}),
    # --- phones, international formats
    ("London office +44 20 7946 0958", "London office [PHONE]", {"PHONE": 1}),
    ("call 0044 20 7946 0958 ok", "call [PHONE] ok", {"PHONE": 1}),
    ("Berlin: +49 30 901820", "Berlin: [PHONE]", {"PHONE": 1}),
    ("Paris +33 1 42 68 53 00!", "Paris [PHONE]!", {"PHONE": 1}),
    ("+61 2 9374 4000", "[PHONE]", {"PHONE": 1}),
    ("mobile +91 98765 43210", "mobile [PHONE]", {"PHONE": 1}),
    # --- cards: Visa / Mastercard / Amex / Discover / Diners / JCB test numbers
    ("card 4111 1111 1111 1111 please", "card [CARD] please", {"CARD": 1}),
    ("4111-1111-1111-1111", "[CARD]", {"CARD": 1}),
    ("4012888888881881 was charged twice", "[CARD] was charged twice", {"CARD": 1}),
    ("mastercard 5555 5555 5555 4444", "mastercard [CARD]", {"CARD": 1}),
    ("5105-1051-0510-5100", "[CARD]", {"CARD": 1}),
    ("2-series 2223003122003222", "2-series [CARD]", {"CARD": 1}),
    ("amex 378282246310005", "amex [CARD]", {"CARD": 1}),
    ("amex 3714 496353 98431", "amex [CARD]", {"CARD": 1}),
    ("discover 6011111111111117", "discover [CARD]", {"CARD": 1}),
    ("diners 30569309025904", "diners [CARD]", {"CARD": 1}),
    ("jcb 3530 1113 3330 0000", "jcb [CARD]", {"CARD": 1}),
    ("card 4111 1111 1111 1111 exp 12/27", "card [CARD] exp 12/27", {"CARD": 1}),
    ("4111 1111 1111 1111 5555 5555 5555 4444", "[CARD] [CARD]", {"CARD": 2}),
    # --- SSNs
    ("SSN 123-45-6789", "SSN [SSN]", {"SSN": 1}),
    ("it is 078-05-1120, thanks", "it is [SSN], thanks", {"SSN": 1}),
    ("my ssn is 123456789", "my ssn is [SSN]", {"SSN": 1}),
    ("Social Security number: 123 45 6789", "Social Security number: [SSN]", {"SSN": 1}),
    ("SS# 234.56.7890", "SS# [SSN]", {"SSN": 1}),
    # --- IBANs
    ("IBAN DE89 3704 0044 0532 0130 00.", "IBAN [IBAN].", {"IBAN": 1}),
    ("GB82WEST12345698765432", "[IBAN]", {"IBAN": 1}),
    ("iban de89370400440532013000 thanks", "iban [IBAN] thanks", {"IBAN": 1}),
    ("FR14 2004 1010 0505 0001 3M02 606", "[IBAN]", {"IBAN": 1}),
    ("pay to NL91ABNA0417164300 or CH93 0076 2011 6238 5295 7", "pay to [IBAN] or [IBAN]", {"IBAN": 2}),
    ("NO9386011117947", "[IBAN]", {"IBAN": 1}),
    (
        "DE89 3704 0044 0532 0130 00 GB82 WEST 1234 5698 7654 32",
        "[IBAN] [IBAN]",
        {"IBAN": 2},
    ),
    # --- several kinds in one text
    (
        "Hi, I'm jane@example.com or (415) 555-2671; card 4111 1111 1111 1111, SSN 123-45-6789.",
        "Hi, I'm [EMAIL] or [PHONE]; card [CARD], SSN [SSN].",
        {"EMAIL": 1, "PHONE": 1, "CARD": 1, "SSN": 1},
    ),
    (
        "Refund to DE89370400440532013000, not card 5555555555554444; call +44 20 7946 0958 or 415.555.2671",
        "Refund to [IBAN], not card [CARD]; call [PHONE] or [PHONE]",
        {"IBAN": 1, "CARD": 1, "PHONE": 2},
    ),
    (
        "Order #A-10023 shipped 2026-11-22; reach bob@shop.example at 415-555-2671",
        "Order #A-10023 shipped 2026-11-22; reach [EMAIL] at [PHONE]",
        {"EMAIL": 1, "PHONE": 1},
    ),
]

NEGATIVE_CASES: list[str] = [
    "Order #A-10023",
    "PO 4500012345",
    "Invoice 4111111111111112",  # fails Luhn
    "invoice 1234-5678-9012-3456",  # fails Luhn
    "2026-11-22",
    "11/22/2026",
    "22.11.2026",
    "$1,299.99",
    "EUR 450,00",
    "3 500 kg",
    "10:30",
    "12.5% discount",
    "EP-200",
    "SKU 12-3456-7",
    "42",
    "in 2026",
    "1Z999AA10123456784",
    "9400 1000 0000 0000 0000 00",
    "tracking 7946 0958 1234 5678",
    "Case 12345678901234",
    "v2.13.0",
    "2 x 500 ml",
    "000-12-3456",  # SSN area 000
    "666-12-3456",  # SSN area 666
    "900-12-3456",  # SSN area 9xx
    "123-00-4567",  # SSN group 00
    "123-45-0000",  # SSN serial 0000
    "ref 123456789",  # unformatted 9 digits without an SSN cue
    "DE88 3704 0044 0532 0130 00",  # IBAN with wrong check digits
    "Order #A-10023 of 2 x 500 ml shipped 2026-11-22 at 10:30, total $1,299.99 (12.5% off), v2.13.0",
    "no pii here at all",
    "",
]


@pytest.mark.parametrize(("text", "expected", "counts"), POSITIVE_CASES)
def test_redacts_pii(text: str, expected: str, counts: dict[str, int]) -> None:
    result = redact_text(text)
    assert result.text == expected
    assert result.counts == counts


@pytest.mark.parametrize("text", NEGATIVE_CASES)
def test_non_pii_survives_unchanged(text: str) -> None:
    result = redact_text(text)
    assert result.text == text
    assert result.counts == {}


def test_placeholders_exact() -> None:
    result = redact_text("a@b.io 4111111111111111 123-45-6789 GB82WEST12345698765432 (415) 555-2671")
    assert result.text == "[EMAIL] [CARD] [SSN] [IBAN] [PHONE]"
    assert result.counts == {"EMAIL": 1, "CARD": 1, "SSN": 1, "IBAN": 1, "PHONE": 1}


def test_card_is_not_redacted_as_phone() -> None:
    result = redact_text("4111 1111 1111 1111")
    assert result.counts == {"CARD": 1}


def test_counts_only_non_zero_entries() -> None:
    assert redact_text("call 415-555-2671").counts == {"PHONE": 1}
    assert all(v > 0 for v in redact_text("a@b.io and c@d.io").counts.values())


def test_redaction_is_frozen() -> None:
    result = redact_text("a@b.io")
    assert isinstance(result, Redaction)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.text = "x"  # type: ignore[misc]


@pytest.mark.parametrize(("text", "_expected", "_counts"), POSITIVE_CASES)
def test_idempotent(text: str, _expected: str, _counts: dict[str, int]) -> None:
    once = redact_text(text)
    twice = redact_text(once.text)
    assert twice.text == once.text
    assert twice.counts == {}


def test_redact_turns_keeps_keys_and_sums_counts() -> None:
    turns = [
        {"speaker": "customer", "at": "2026-11-22T10:30:00Z", "text": "I'm jane@example.com, 415-555-2671"},
        {"speaker": "agent", "at": "2026-11-22T10:31:00Z", "text": "Thanks! Your order EP-200 ships today."},
        {
            "speaker": "customer",
            "at": "2026-11-22T10:32:00Z",
            "text": "card 4111 1111 1111 1111, cc me b@x.org",
        },
    ]
    original = [dict(t) for t in turns]

    redacted, counts = redact_turns(turns)

    assert counts == {"EMAIL": 2, "PHONE": 1, "CARD": 1}
    assert [t["text"] for t in redacted] == [
        "I'm [EMAIL], [PHONE]",
        "Thanks! Your order EP-200 ships today.",
        "card [CARD], cc me [EMAIL]",
    ]
    for before, after in zip(original, redacted, strict=True):
        assert after["speaker"] == before["speaker"]
        assert after["at"] == before["at"]
        assert set(after) == set(before)
    assert turns == original  # input not mutated


def test_redact_turns_empty_and_without_text() -> None:
    assert redact_turns([]) == ([], {})
    redacted, counts = redact_turns([{"speaker": "system", "at": "t0"}])
    assert redacted == [{"speaker": "system", "at": "t0"}]
    assert counts == {}
