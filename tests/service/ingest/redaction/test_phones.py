"""Phone detection on number-dense text: libphonenumber runs on bounded windows, never gives up silently,
and the work it does grows linearly with the input (counted, not timed)."""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from typing import Any

import pytest
from phonenumbers import PhoneMetadata, PhoneNumberMatcher, phonenumberutil

from service.ingest.redaction import RedactionBudget, RedactionBudgetExceeded, phones, redact_text
from service.ingest.redaction.phones import MAX_WINDOW
from tests.service.ingest.conftest import forget_redaction_memos


def _random_digits_and_slashes(n: int) -> str:
    rng = random.Random(11)
    return "".join(f"{rng.randint(0, 9)}/" for _ in range(n // 2))


def _numbers_between_dashes(n: int) -> str:
    rng = random.Random(12)
    return "".join(f"{rng.randint(10**9, 10**10 - 1)} - " for _ in range(n // 13))


# Text shapes that make libphonenumber examine many candidates per character (n characters each).
NUMBER_DENSE: dict[str, Callable[[int], str]] = {
    "digits and slashes": lambda n: "1/" * (n // 2),
    "random digits and slashes": _random_digits_and_slashes,
    "ten-digit numbers between dashes": _numbers_between_dashes,
    "spaced digits": lambda n: "1 " * (n // 2),
    "dotted digits": lambda n: "1." * (n // 2),
    "bracketed digits": lambda n: "(1)" * (n // 3),
    "plus digits": lambda n: "+1" * (n // 2),
    "dates": lambda n: "1/1/11, " * (n // 8),
    "timestamps": lambda n: "2012-01-02 08:00 " * (n // 17),
    "phone list": lambda n: "415-555-2671 " * (n // 13),
    "card-like groups": lambda n: "4111 " * (n // 5),
    "one digit run": lambda n: "1" * n,
}


# Shapes with no run of 6 digits joined by phone punctuation, so no room for a phone number: not checked.
HOLDS_NO_NUMBER = {"dates", "plus digits"}


@pytest.fixture
def matcher_text_lengths(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Lengths of the texts given to libphonenumber's matcher, one per run (memoised windows forgotten first)."""
    lengths: list[int] = []

    class Recording(phones._Matcher):
        def __init__(self, text: str, *args: Any, **kwargs: Any) -> None:
            lengths.append(len(text))
            super().__init__(text, *args, **kwargs)

    monkeypatch.setattr(phones, "_Matcher", Recording)
    forget_redaction_memos()
    return lengths


def test_a_phone_after_a_long_number_dense_prefix_is_still_redacted() -> None:
    # libphonenumber's matcher stops for good after 65,535 rejected candidates: one run over the whole text
    # left every phone number after them in place. 70,000 dates, each a candidate rejected cheaply.
    result = redact_text("12/10/2011, " * 70_000 + "call 415-555-2671 now")
    assert result.text.endswith("call [PHONE] now")
    assert result.counts == {"PHONE": 1}


@pytest.mark.parametrize("shape", NUMBER_DENSE)
def test_the_matcher_only_ever_sees_bounded_windows(shape: str, matcher_text_lengths: list[int]) -> None:
    # The matcher copies the rest of its text for every time-like candidate: over a whole text that is
    # quadratic. Windows of at most MAX_WINDOW characters bound each run; together they stay linear.
    text = NUMBER_DENSE[shape](4 * MAX_WINDOW)
    redact_text(text)
    assert bool(matcher_text_lengths) == (shape not in HOLDS_NO_NUMBER)
    assert max(matcher_text_lengths, default=0) <= MAX_WINDOW
    assert sum(matcher_text_lengths) <= 1.5 * len(text)


@pytest.mark.parametrize(
    ("noise", "repeats"), [("1/", 37), ("1 ", 113), ("2012-01-02 08:00 ", 10), ("(1)", 50)]
)
def test_phones_inside_a_long_number_dense_stretch_are_each_found_once(noise: str, repeats: int) -> None:
    # Longer than MAX_WINDOW: checked in overlapping pieces, so a number may fall on a boundary.
    text = (noise * repeats + ", 415-555-2671, ") * 40
    assert len(text) > 3 * MAX_WINDOW
    result = redact_text(text)
    assert result.counts == {"PHONE": 40}
    assert "2671" not in result.text


@pytest.mark.parametrize("shape", NUMBER_DENSE)
def test_phone_work_is_counted_and_grows_linearly(shape: str, phone_parse_calls: list[str]) -> None:
    def work(size: int) -> tuple[int, int]:
        budget = RedactionBudget(limit=10**9)
        forget_redaction_memos()  # each size parses its candidates anew
        phone_parse_calls.clear()
        redact_text(NUMBER_DENSE[shape](size), budget)
        assert len(phone_parse_calls) <= budget.used  # the budget counts at least the parses done
        return budget.used, len(phone_parse_calls)

    (small_work, small_parses), (large_work, large_parses) = work(2_000), work(8_000)
    # Linear: about 4x for 4x the input (a quadratic scan would be 16x).
    assert large_work <= 5 * small_work + 5, (small_work, large_work)
    assert large_parses <= 5 * small_parses + 5, (small_parses, large_parses)


def test_the_budget_is_spent_before_the_matcher_runs(phone_parse_calls: list[str]) -> None:
    budget = RedactionBudget(limit=10_000)
    redact_text("1/" * 2_000, budget)  # 4,000 characters, in pieces whose overlaps count twice
    assert 3_999 <= budget.used < 5_000
    with pytest.raises(RedactionBudgetExceeded, match="more than 10000 characters"):
        redact_text("call 415-555-2671 " + "1/" * 4_000, budget)
    assert len(phone_parse_calls) <= 4_000  # none for the text that did not fit
    assert budget.used > budget.limit


def test_skipped_windows_cannot_hold_a_valid_number() -> None:
    # Windows whose digit runs are shorter than phones._MIN_DIGITS_IN_RUN are never given to the matcher.
    # That is safe only while libphonenumber's metadata has no valid number with fewer digits, country code
    # included, and while the runs use its punctuation: checked against the installed version.
    assert phones._PUNCTUATION == phonenumberutil._VALID_PUNCTUATION
    shortest = min(
        len(str(metadata.country_code)) + min(length for length in desc.possible_length if length > 0)
        for region in phonenumberutil.SUPPORTED_REGIONS
        if (metadata := PhoneMetadata.metadata_for_region(region)) is not None
        for desc in (
            metadata.fixed_line,
            metadata.mobile,
            metadata.toll_free,
            metadata.premium_rate,
            metadata.shared_cost,
            metadata.personal_number,
            metadata.voip,
            metadata.pager,
            metadata.uan,
            metadata.voicemail,
        )
        if desc is not None and desc.national_number_pattern and desc.possible_length
    )
    assert shortest >= phones._MIN_DIGITS_IN_RUN
    assert redact_text("call +43 1110 or +49 30 901820").counts == {"PHONE": 2}


_SEPARATORS = [
    "/",
    " ",
    "-",
    ".",
    "(",
    ")",
    " - ",
    "+",
    "x",
    " ext. ",
    "#",
    ", ",
    "a",
    "  ",
    "+1 ",
    "1-",
    "011 ",
]


def _random_number_text(seed: int) -> str:
    """Up to 600 characters of digit groups and separators, dense in phone-like candidates (no "00" prefix,
    which phone_spans rewrites before matching)."""
    rng = random.Random(seed)
    parts = []
    for _ in range(rng.randint(5, 60)):
        size = rng.choice([1, 1, 2, 3, 3, 4, 4, 7, 10, 11])
        parts.append(
            "".join(rng.choice("0123456789" if rng.random() < 0.5 else "123456789") for _ in range(size))
        )
        parts.append(rng.choice(_SEPARATORS))
    return re.sub("0{2,}", "0", "".join(parts)[:600])


def test_memoised_matching_finds_exactly_what_libphonenumber_finds() -> None:
    # The memos and the skipped parses of candidates with too few or too many digits are shortcuts only: on
    # random number-dense text (about 100 numbers in all) the spans equal those of the stock matcher.
    found = 0
    for seed in range(150):
        text = _random_number_text(seed)
        forget_redaction_memos()
        stock = PhoneNumberMatcher(text, phones.PHONE_DEFAULT_REGION, leniency=phones.PHONE_LENIENCY)
        expected = [(m.start, m.end) for m in stock]
        assert phones.phone_spans(text) == expected, text
        assert phones.phone_spans(text) == expected, text  # and again, from the memos
        found += len(expected)
    assert found > 50


def test_plain_candidates_hold_only_digits_and_punctuation() -> None:
    # Only candidates of digits and phone punctuation may skip parsing by their digit count: one with letters
    # may hold an extension ("ext. 204") whose digits do not count.
    assert phones._PLAIN_CANDIDATE_RE.fullmatch("+1 (415) 555-2671")
    for candidate in ["415-555-2671 ext. 204", "415-555-2671 x204", "1-800-FLOWERS", "415#555#2671"]:
        assert not phones._PLAIN_CANDIDATE_RE.fullmatch(candidate)


@pytest.mark.parametrize(
    "text",
    [
        "call 310-1752 now",  # 7 digits: valid in Canada (calling code 1), not a US pattern
        "call 1 1 415 555 2671 now",  # a "1" country code and a "1" national prefix, both stripped
        "call 1-415-555-2671 now",
        "call 011 44 20 7946 0958 now",  # the US international prefix: another country's number
        "call +1 415 555 2671 now",
    ],
)
def test_numbers_the_parse_shortcut_must_not_skip_are_redacted(text: str) -> None:
    # Plain candidates without "+" are parsed only if their digits, less up to three leading "1"s, match a
    # North American region's general pattern: these sit at the edges of that rule.
    assert redact_text(text).counts == {"PHONE": 1}


def test_the_parse_shortcut_skips_what_cannot_be_valid() -> None:
    assert not phones._may_be_valid("111-1111")  # no North American number starts 111
    assert not phones._may_be_valid("0415 555 2671")  # nor with 0, and 04 is no international prefix
    assert not phones._may_be_valid("1/2")  # too few digits
    assert phones._may_be_valid("+99 1234 567")  # with "+", any 6 to 40 digits are left to libphonenumber
    assert phones._may_be_valid("(415) 555-2671")


@pytest.mark.parametrize("shape", NUMBER_DENSE)
def test_pieces_of_a_long_stretch_overlap_and_repeat(shape: str) -> None:
    text = NUMBER_DENSE[shape](32 * MAX_WINDOW)
    windows = list(phones._windows(text))
    assert all(0 < end - start <= MAX_WINDOW for start, end in windows)
    for (start, end), (next_start, _) in zip(windows, windows[1:], strict=False):
        assert next_start > start
        if end - start == MAX_WINDOW:  # a piece cut from a longer stretch: the next one overlaps it
            assert end - next_start >= phones._OVERLAP
    if shape in {"digits and slashes", "bracketed digits", "phone list", "card-like groups", "timestamps"}:
        # Pieces start at digit groups chosen by the text around them, so repetitive text gives a few
        # distinct pieces (the window memo checks each once), whatever its period.
        assert len({text[start:end] for start, end in windows}) <= 4


def test_long_number_dense_text_in_pieces_loses_no_number_the_stock_matcher_finds() -> None:
    # Stretches longer than MAX_WINDOW are checked in pieces; cutting may add a match at a piece's edge
    # (redacting more) but must not lose one: every number found on the whole text lies inside a span.
    found = 0
    for seed in range(8):
        pieces = (_random_number_text(seed * 100 + i) for i in range(16))
        text = re.sub("0{2,}", "0", "".join(pieces))  # about 3,000 characters, no "00" prefix
        assert len(text) > 2 * MAX_WINDOW
        forget_redaction_memos()
        spans = phones.phone_spans(text)
        stock = PhoneNumberMatcher(text, phones.PHONE_DEFAULT_REGION, leniency=phones.PHONE_LENIENCY)
        for m in stock:
            assert any(start <= m.start and m.end <= end for start, end in spans), (text, m.raw_string)
            found += 1
    assert found > 20
