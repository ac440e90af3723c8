"""Email addresses in free text."""

from __future__ import annotations

import re
from collections.abc import Iterator

from .spans import Span

# The lookbehind anchors matches at the start of a local-part run, keeping the scan linear; domain labels
# are dot-delimited, so the label repetition cannot backtrack ambiguously.
_EMAIL_RE = re.compile(
    r"(?<![\w.%+-])[\w.%+-]+@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}(?![\w-])"
)


def email_spans(text: str) -> Iterator[Span]:
    if "@" not in text:
        return
    for m in _EMAIL_RE.finditer(text):
        yield m.span()
