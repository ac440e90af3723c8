"""Phone numbers in free text, found by libphonenumber's matcher run on bounded windows of the text."""

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
# A number the matcher can find lies in one run of digit groups joined by at most 4 characters of its
# punctuation (copied from libphonenumber's _VALID_PUNCTUATION; an extension follows the run). The shortest
# numbers it calls valid have 6 digits with their country code (+43 1110): a window without such a run holds
# no phone number and is not given to the matcher.
_PUNCTUATION = "-x\u2010-\u2015\u2212\u30fc\uff0d-\uff0f \xa0\xad\u200b\u2060\u3000()\uff08\uff09\uff3b\uff3d.\\[\\]/~\u2053\u223c\uff5e"
_RUN_RE = re.compile(rf"\d+(?:[{_PUNCTUATION}]{{0,4}}\d+)*")
_MIN_DIGITS_IN_RUN = 6

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
_GAP_BREAKS_RE = re.compile(rf"(?:[{_RUN_ON}]*[^{_RUN_ON}]){{{_STRETCH_GAP}}}")
#: Longest text one matcher run is given. A longer stretch is checked in pieces of this size that overlap
#: by _OVERLAP characters, more than a phone number with its extension, so each number lies whole in one.
MAX_WINDOW = 1024
_OVERLAP = 128

# "00" international call prefix (used outside North America): shown to the matcher as " +" (same length, so
# offsets stay valid) because with a US default region libphonenumber only understands "011" as IDD.
_IDD_00_RE = re.compile(r"(?<![\w.,/:+-])00(?=[1-9])")
_DIGIT_GROUP_RE = re.compile(r"\d+")
_PHONE_MIN_DIGITS_RE = re.compile(rf"(?:\D*\d){{{PHONE_MIN_DIGITS}}}")


def _windows(scan: str) -> Iterator[tuple[int, int]]:
    """[start, end) windows of at most MAX_WINDOW characters that hold every phone-number candidate.

    Yielded as the scan goes (not after a whole stretch is found), so a budget can stop it early."""
    start = last_digit = -1  # start of the current window; end of the stretch's last digit group
    for group in _DIGIT_GROUP_RE.finditer(scan):
        if start >= 0 and _GAP_BREAKS_RE.match(scan, last_digit, group.start()):
            yield start, min(last_digit + _MARGIN, len(scan))
            start = -1
        if start < 0:
            start = max(group.start() - _MARGIN, 0)
        last_digit = group.end()
        while min(last_digit + _MARGIN, len(scan)) - start > MAX_WINDOW:
            yield start, start + MAX_WINDOW
            start += MAX_WINDOW - _OVERLAP
    if start >= 0:
        yield start, min(last_digit + _MARGIN, len(scan))


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
        work = sum(len(run) for run in runs if sum(map(str.isdigit, run)) >= _MIN_DIGITS_IN_RUN)
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
        window = scan[window_start:window_end]
        for m in phonenumbers.PhoneNumberMatcher(window, PHONE_DEFAULT_REGION, leniency=PHONE_LENIENCY):
            start, end = window_start + m.start, window_start + m.end
            if scan[start] == "+" and text[start] == "0":
                start -= 1  # include the first "0" of the "00" prefix
            spans.append((start, end))
    return _merged(spans)
