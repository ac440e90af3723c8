"""Phone numbers in free text, found by libphonenumber's matcher run on bounded windows of the text."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

import phonenumbers
from phonenumbers import Leniency, PhoneMetadata, PhoneNumberMatch, PhoneNumberMatcher

from .spans import Span

# National-format numbers (no "+" / international prefix) are interpreted in this region.
PHONE_DEFAULT_REGION = "US"
# VALID: the number must be a real, assignable number per libphonenumber metadata (rejects 555-2671 without
# area code, "PO 4500012345", "SKU 12-3456-7" that POSSIBLE accepts) but, unlike STRICT/EXACT_GROUPING,
# does not reject numbers written with unusual digit grouping.
PHONE_LENIENCY = Leniency.VALID
PHONE_MIN_DIGITS = 7
# A number the matcher can find lies in one run of digit groups joined by at most 4 characters of its
# punctuation (copied from libphonenumber's _VALID_PUNCTUATION; an extension follows the run). The shortest
# numbers it calls valid have 6 digits with their country code (+43 1110): a window without such a run holds
# no phone number and is not given to the matcher.
_PUNCTUATION = "-x\u2010-\u2015\u2212\u30fc\uff0d-\uff0f \xa0\xad\u200b\u2060\u3000()\uff08\uff09\uff3b\uff3d.\\[\\]/~\u2053\u223c\uff5e"
_RUN_RE = re.compile(rf"\d+(?:[{_PUNCTUATION}]{{0,4}}\d+)*")
_MIN_DIGITS_IN_RUN = 6
_RUN_MIN_DIGITS_RE = re.compile(rf"(?:\D*\d){{{_MIN_DIGITS_IN_RUN}}}")  # a run with that many digits

# Why windows: one matcher run over a whole text is quadratic (for every time-like candidate it copies the
# rest of the text) and gives up silently after 65,535 rejected candidates, leaving later numbers in place.
# A window is a stretch of text in which consecutive digit groups are fewer than _STRETCH_GAP other
# characters apart, not counting the spaces, tabs, commas and hyphens that libphonenumber lets run on before
# an extension ("415-555-2671,   ext. 204"); so no candidate of the matcher crosses from one stretch into the
# next. The window adds _MARGIN characters either side: the matcher looks at the character before and after
# a candidate (a letter rejects it) and at a ":dd" after a time.
_STRETCH_GAP = 24
_MARGIN = 16
_RUN_ON = r" \xa0\t,-"
# Digit groups whose gaps hold fewer than _STRETCH_GAP characters other than run-on ones. Possessive
# quantifiers: gaps hold no digits, so there is one way to match and no backtracking.
_GAP_RE = rf"(?:[{_RUN_ON}]*+[^\d{_RUN_ON}]){{0,{_STRETCH_GAP - 1}}}+[{_RUN_ON}]*+"
_STRETCH_RE = re.compile(rf"\d++(?:{_GAP_RE}\d++)*+")
#: Longest text one matcher run is given. A longer stretch is checked in pieces of this size that overlap
#: by _OVERLAP characters or more (up to _ALIGN more: see _next_piece_start), more than a phone number with
#: its extension, so each number lies whole in one.
MAX_WINDOW = 1024
_OVERLAP = 128

# "00" international call prefix (used outside North America): shown to the matcher as " +" (same length, so
# offsets stay valid) because with a US default region libphonenumber only understands "011" as IDD.
_IDD_00_RE = re.compile(r"(?<![\w.,/:+-])00(?=[1-9])")
_GROUP_START_RE = re.compile(r"(?<!\d)\d")
_ALIGN = 64
_PHONE_MIN_DIGITS_RE = re.compile(rf"(?:\D*\d){{{PHONE_MIN_DIGITS}}}")


# Why a memo: on number-dense text the matcher parses a candidate every other character (each parse 20-200
# microseconds), and hostile text repeats the same few candidates ("1/1/1/...", "(1)(1)...", one phone
# number pasted a thousand times). A candidate's verdict depends only on its own text and the characters
# right before and after it (the matcher rejects one glued to a letter), so it is worked out once per
# distinct (before, candidate, after) by libphonenumber's own code and then looked up.
_MEMO_SIZE = 16_384  # candidates of <= ~450 characters: a few MB at most
_WINDOW_MEMO_SIZE = 256  # windows of <= MAX_WINDOW characters: <= 1 MB of keys
# Candidates of only digits and phone punctuation (no letters: no extension, no vanity number) are valid
# only with 6 to 40 digits: the shortest valid number has 6 with its country code (pinned by a test), the
# longest national significant number 17, plus at most 3 of country code, 3 of international prefix and a
# national prefix or carrier code; 40 is a generous bound. Outside it, parsing is skipped.
_PLAIN_CANDIDATE_RE = re.compile(rf"[{_PUNCTUATION.replace('x', '')}\d+]*")  # "+" last: not a range
_MIN_VALID_DIGITS = _MIN_DIGITS_IN_RUN
_MAX_VALID_DIGITS = 40
_DIGIT_RE = re.compile(r"\d")
# A plain candidate with no "+" whose digits do not start with the default region's international prefix
# is read in the default region's calling code (1: North America): libphonenumber strips at most that code
# and the national prefix (twice; both "1" there) and calls the rest valid only if it matches the general
# pattern of some region of that code (a necessary condition of is_valid_number). Checked here first, one
# regex match instead of a parse: random digits hold such a candidate at nearly every position.


def _default_calling_code_rule() -> tuple[re.Pattern[str], tuple[str, ...], re.Pattern[str]]:
    """The default region's international prefix; the digit prefixes libphonenumber may strip (country code,
    national prefix); the general national-number pattern of every region sharing the calling code."""
    metadata = PhoneMetadata.metadata_for_region(PHONE_DEFAULT_REGION)
    if metadata is None or not metadata.international_prefix or metadata.country_code is None:
        raise RuntimeError(f"libphonenumber has no metadata for {PHONE_DEFAULT_REGION}")
    national = metadata.national_prefix_for_parsing or metadata.national_prefix or ""
    if not national.isdigit():  # a pattern, not one prefix: the shortcut does not apply (no cheaper rule)
        return re.compile(metadata.international_prefix), (), re.compile("")
    code = str(metadata.country_code)
    stripped = tuple({"", code, national, code + national, code + national + national, national + national})
    patterns = set()
    for region in phonenumbers.region_codes_for_country_code(metadata.country_code):
        regional = PhoneMetadata.metadata_for_region(region)
        general = None if regional is None else regional.general_desc
        if general is None or not general.national_number_pattern:
            raise RuntimeError(f"libphonenumber has no general number pattern for {region}")
        patterns.add(f"(?:{general.national_number_pattern})")
    return re.compile(metadata.international_prefix), stripped, re.compile("|".join(sorted(patterns)))


_DEFAULT_IDD_RE, _STRIPPED_PREFIXES, _DEFAULT_CODE_NSN_RE = _default_calling_code_rule()


def _may_be_valid(candidate: str) -> bool:
    """False only where libphonenumber cannot find a valid number in this plain candidate (no parse)."""
    digits = "".join(_DIGIT_RE.findall(candidate))
    if not _MIN_VALID_DIGITS <= len(digits) <= _MAX_VALID_DIGITS:
        return False
    if "+" in candidate or not digits.isascii() or _DEFAULT_IDD_RE.match(digits) or not _STRIPPED_PREFIXES:
        return True
    return any(
        digits.startswith(prefix) and _DEFAULT_CODE_NSN_RE.fullmatch(digits, len(prefix))
        for prefix in _STRIPPED_PREFIXES
    )


@lru_cache(maxsize=_MEMO_SIZE)
def _verified(before: str, candidate: str, after: str) -> phonenumbers.PhoneNumber | None:
    """The number libphonenumber's matcher finds in `candidate` between these neighbours, or None."""
    if _PLAIN_CANDIDATE_RE.fullmatch(candidate) and not _may_be_valid(candidate):
        return None
    matcher = PhoneNumberMatcher(before + candidate + after, PHONE_DEFAULT_REGION, leniency=PHONE_LENIENCY)
    match = matcher._parse_and_verify(candidate, len(before))
    return None if match is None else match.number


class _Matcher(PhoneNumberMatcher):  # type: ignore[misc]
    """libphonenumber's matcher with each candidate's verdict memoised (same matches, found the same way)."""

    def _parse_and_verify(self, candidate: str, offset: int) -> PhoneNumberMatch | None:
        end = offset + len(candidate)
        number = _verified(self.text[offset - 1 : offset], candidate, self.text[end : end + 1])
        return None if number is None else PhoneNumberMatch(offset, candidate, number)


def _next_piece_start(scan: str, latest: int) -> int:
    """Where the next piece of a long stretch starts: _MARGIN before a digit group that starts at most _ALIGN
    characters before `latest` (so pieces still overlap by _OVERLAP or more), else `latest`.

    Of those groups, the one with the smallest text around it: the choice depends on the text, not on the
    stride, so the pieces of repetitive text ("1/1/...", one number pasted many times) equal each other and
    the window memo checks each distinct one once."""
    groups = [
        g.start() for g in _GROUP_START_RE.finditer(scan, latest - _ALIGN + _MARGIN, latest + _MARGIN + 1)
    ]
    if not groups:
        return latest
    return min(groups, key=lambda g: scan[g - _MARGIN : g + _MARGIN]) - _MARGIN


@lru_cache(maxsize=_WINDOW_MEMO_SIZE)
def _window_matches(window: str) -> tuple[Span, ...]:
    """[start, end) of every number the matcher finds in one window, memoised like the candidates' verdicts."""
    return tuple((m.start, m.end) for m in _Matcher(window, PHONE_DEFAULT_REGION, leniency=PHONE_LENIENCY))


def _windows(scan: str) -> Iterator[tuple[int, int]]:
    """[start, end) windows of at most MAX_WINDOW characters that hold every phone-number candidate.

    Each stretch is found by one regex scan (in C: a Python step per digit group cost more than the matcher
    on repetitive text), then cut into overlapping pieces if longer than MAX_WINDOW."""
    for stretch in _STRETCH_RE.finditer(scan):
        start = max(stretch.start() - _MARGIN, 0)
        end = min(stretch.end() + _MARGIN, len(scan))
        while end - start > MAX_WINDOW:
            yield start, start + MAX_WINDOW
            start = _next_piece_start(scan, start + MAX_WINDOW - _OVERLAP)
        yield start, end


def _merged(spans: list[Span]) -> list[Span]:
    """Spans in order, overlapping ones (the same number found in two overlapping pieces) joined."""
    out: list[Span] = []
    for start, end in sorted(spans):
        if out and start < out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def _checked_windows(scan: str) -> Iterator[tuple[int, int, int]]:
    """(start, end, work) of each window the matcher must check; work = characters of its runs of 6+ digits."""
    for start, end in _windows(scan):
        runs = [run.group() for run in _RUN_RE.finditer(scan, start, end)]
        work = sum(len(run) for run in runs if _RUN_MIN_DIGITS_RE.match(run))
        if work:
            yield start, end, work


def phone_check_work(text: str) -> Iterator[int]:
    """The matcher's work on `text`, window by window: what a RedactionBudget counts."""
    if not _PHONE_MIN_DIGITS_RE.match(text):
        return
    for _, _, work in _checked_windows(_IDD_00_RE.sub(" +", text)):
        yield work


def phone_spans(text: str) -> list[Span]:
    if not _PHONE_MIN_DIGITS_RE.match(text):
        return []
    scan = _IDD_00_RE.sub(" +", text)
    spans: list[Span] = []
    for window_start, window_end, _ in _checked_windows(scan):
        for match_start, match_end in _window_matches(scan[window_start:window_end]):
            start, end = window_start + match_start, window_start + match_end
            if scan[start] == "+" and text[start] == "0":
                start -= 1  # include the first "0" of the "00" prefix
            spans.append((start, end))
    return _merged(spans)
