"""US Social Security numbers in free text: dashed, or nine digits after a cue word (SSA range rules)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from .spans import Span


# Formatted AAA-GG-SSSS, excluding area 000/666/9xx, group 00, serial 0000.
def _ssn_body(sep: str) -> str:
    return rf"(?!000|666|9\d\d)\d{{3}}(?P<sep>{sep})(?!00)\d{{2}}(?P=sep)(?!0000)\d{{4}}"


_SSN_DASHED_RE = re.compile(r"(?<![\w-])" + _ssn_body("-") + r"(?![\w-])")
# Unformatted (or space/dot separated) 9 digits only after a cue word within a short distance.
_SSN_CUED_RE = re.compile(
    r"(?i:\b(?:ssn\b|ss\#|social[\s-]+security\b))[^\d\n]{0,30}?"
    r"(?P<ssn>" + _ssn_body("[ .]?") + r")(?![\w-])"
)


def ssn_dashed_spans(text: str) -> Iterator[Span]:
    if "-" not in text:
        return
    for m in _SSN_DASHED_RE.finditer(text):
        yield m.span()


def ssn_cued_spans(text: str) -> Iterator[Span]:
    for m in _SSN_CUED_RE.finditer(text):
        yield m.span("ssn")
