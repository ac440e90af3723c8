"""The Content-Security-Policy the HTML report is served with.

The report is self-contained: Plotly's library and the chart scripts are inline. Rather than allowing every
inline script ('unsafe-inline'), the policy allows exactly the scripts of this report by their SHA-256
hashes, so markup that slipped into it could not run. Styles stay 'unsafe-inline': Plotly writes <style>
elements and the report sets widths and colours in style attributes; styles run no code. Nothing loads from
the network (default-src 'none'); Plotly's icons and fonts are data: URIs.
"""

from __future__ import annotations

import base64
import hashlib
import re

_INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>(.*?)</script\s*>", re.DOTALL | re.IGNORECASE)


def script_hashes(html: str) -> list[str]:
    """CSP hash sources of every inline script in the page, in order of first appearance."""
    hashes: list[str] = []
    for match in _INLINE_SCRIPT.finditer(html):
        digest = base64.b64encode(hashlib.sha256(match.group(1).encode("utf-8")).digest()).decode()
        source = f"'sha256-{digest}'"
        if source not in hashes:
            hashes.append(source)
    return hashes


def content_security_policy(html: str) -> str:
    scripts = " ".join(script_hashes(html)) or "'none'"
    return "; ".join(
        (
            "default-src 'none'",
            f"script-src {scripts}",
            "style-src 'unsafe-inline'",
            "img-src data: blob:",
            "font-src data:",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        )
    )
