"""Shared pieces of the per-vendor webhook adapters: errors, the Delivery result, the Vendor protocol
and small pure helpers (strict JSON loading, typed field access with dotted paths, HTML to text,
timestamps, signature-time tolerance).

Nothing here touches FastAPI or the database: a vendor takes headers (lower-cased names), the raw
body bytes, the configured secret and the current time, and either raises ``SignatureError`` (the
route answers 401), ``PayloadError`` (422, with ``field``), or returns transcripts shaped exactly
like ``TranscriptIn``.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from html import unescape
from html.parser import HTMLParser
from typing import Any, Protocol, runtime_checkable

from service.ingest.schemas import MAX_JSON_DEPTH, MAX_TURNS

#: Accepted clock difference between a signed timestamp and ``now``, both ways.
TOLERANCE_SECONDS = 300
#: Longest id accepted from a vendor payload.
MAX_ID_LENGTH = 128

Path = str


class SignatureError(Exception):
    """The request is not proven to come from the vendor (401). The message says what was wrong."""


class PayloadError(Exception):
    """The body is not a payload this vendor adapter understands (422)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Delivery:
    """What one webhook request carries.

    ``delivery_id`` is the vendor's idempotency key for the request when it sends one (retries of
    the same delivery carry the same id); ``transcripts`` may be empty when the event is valid but
    carries no conversation text (e.g. an Intercom ``ping``): answer 202 with nothing accepted.
    """

    delivery_id: str | None
    transcripts: list[dict[str, Any]] = field(default_factory=list)


@runtime_checkable
class Vendor(Protocol):
    name: str

    def verify(self, headers: Mapping[str, str], body: bytes, secret: str, now: float) -> None: ...

    def parse(self, headers: Mapping[str, str], body: bytes) -> Delivery: ...


# --------------------------------------------------------------------------- headers and time


def lower_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Headers arrive lower-cased; normalise again so a caller's slip cannot bypass a check."""
    try:
        return {str(k).lower(): str(v) for k, v in headers.items()}
    except Exception as exc:  # a broken mapping is never a reason for a 500
        raise SignatureError("headers could not be read") from exc


def require_header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name)
    if value is None or not value.strip():
        raise SignatureError(f"missing header {name}")
    return value.strip()


def require_secret(secret: str) -> bytes:
    if not isinstance(secret, str) or not secret:
        raise SignatureError("no webhook secret is configured for this source")
    return secret.encode("utf-8")


def check_fresh(timestamp: float, now: float, header: str) -> None:
    """Refuse signed timestamps more than TOLERANCE_SECONDS away from ``now`` (replay protection)."""
    if not math.isfinite(timestamp):
        raise SignatureError(f"malformed timestamp in {header}")
    if timestamp < now - TOLERANCE_SECONDS:
        raise SignatureError(f"stale timestamp in {header}: older than {TOLERANCE_SECONDS} seconds")
    if timestamp > now + TOLERANCE_SECONDS:
        raise SignatureError(f"timestamp in {header} is more than {TOLERANCE_SECONDS} seconds in the future")


# --------------------------------------------------------------------------- JSON


_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


def _too_deep(text: str, limit: int) -> bool:
    depth = 0
    for ch in _NOT_BRACKET.sub("", _JSON_STRING.sub("", text)):
        if ch in "[{":
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")


def load_json(body: bytes) -> Any:
    """Decode UTF-8 JSON strictly: no NaN/Infinity, bounded nesting. Any failure is a PayloadError."""
    if not isinstance(body, bytes | bytearray | memoryview):
        raise PayloadError("body", "must be bytes")
    try:
        text = bytes(body).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PayloadError("body", f"not valid UTF-8 (byte {exc.start})") from None
    if not text.strip():
        raise PayloadError("body", "is empty")
    if _too_deep(text, MAX_JSON_DEPTH):
        raise PayloadError("body", f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise PayloadError(
            "body", f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except (ValueError, RecursionError) as exc:
        raise PayloadError("body", f"not valid JSON: {exc}") from None


# --------------------------------------------------------------------------- typed access


def join(path: Path, key: str | int) -> Path:
    return f"{path}.{key}" if path else str(key)


def obj(value: Any, path: Path) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise PayloadError(path or "body", "must be a JSON object")
    return value


def req_obj(parent: dict[str, Any], key: str, path: Path) -> dict[str, Any]:
    where = join(path, key)
    if parent.get(key) is None:
        raise PayloadError(where, "is required")
    return obj(parent[key], where)


def opt_obj(parent: dict[str, Any], key: str, path: Path) -> dict[str, Any] | None:
    value = parent.get(key)
    return None if value is None else obj(value, join(path, key))


def opt_list(parent: dict[str, Any], key: str, path: Path) -> list[Any]:
    value = parent.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise PayloadError(join(path, key), "must be a list")
    return value


def opt_str(parent: dict[str, Any], key: str, path: Path) -> str | None:
    """A string (numbers are accepted and rendered: placeholders often produce them)."""
    value = parent.get(key)
    if value is None:
        return None
    if isinstance(value, bool):
        raise PayloadError(join(path, key), "must be a string")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if not isinstance(value, str):
        raise PayloadError(join(path, key), "must be a string")
    return value


def opt_id(parent: dict[str, Any], key: str, path: Path) -> str | None:
    """An identifier: a non-negative integer or a non-empty string without control characters."""
    value = parent.get(key)
    where = join(path, key)
    if value is None:
        return None
    if isinstance(value, bool):
        raise PayloadError(where, "must be an id (integer or string)")
    if isinstance(value, int):
        if value < 0:
            raise PayloadError(where, "must not be negative")
        text = str(value)
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            return None
    else:
        raise PayloadError(where, "must be an id (integer or string)")
    if len(text) > MAX_ID_LENGTH:
        raise PayloadError(where, f"longer than {MAX_ID_LENGTH} characters")
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise PayloadError(where, "contains control characters")
    return text


def req_id(parent: dict[str, Any], key: str, path: Path) -> str:
    value = opt_id(parent, key, path)
    if value is None:
        raise PayloadError(join(path, key), "is required")
    return value


def opt_bool(parent: dict[str, Any], key: str, path: Path, default: bool) -> bool:
    """A boolean; the strings "true"/"false" are accepted (template placeholders render text)."""
    value = parent.get(key)
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise PayloadError(join(path, key), "must be a boolean")


def tag_list(parent: dict[str, Any], key: str, path: Path, sep: str = r"[,\s]+") -> list[str]:
    """Tags as a list of strings, or one string split by ``sep`` (placeholder output)."""
    value = parent.get(key)
    where = join(path, key)
    if value is None:
        return []
    if isinstance(value, str):
        items = [t.strip() for t in re.split(sep, value) if t.strip()]
    elif isinstance(value, list):
        items = []
        for i, t in enumerate(value):
            if isinstance(t, dict):  # e.g. Intercom {"type": "tag", "name": ...}
                t = t.get("name")
            if not isinstance(t, str):
                raise PayloadError(join(where, i), "must be a string")
            if t.strip():
                items.append(t.strip())
    else:
        raise PayloadError(where, "must be a list of strings or a string")
    seen: dict[str, None] = {}
    for t in items:
        seen.setdefault(t[:100], None)
    return list(seen)[:100]


# --------------------------------------------------------------------------- timestamps


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def opt_time(parent: dict[str, Any], key: str, path: Path) -> str | None:
    """A moment as ISO 8601 (UTC, ``Z``). Accepts unix seconds, ISO 8601, or RFC 2822 text."""
    value = parent.get(key)
    where = join(path, key)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise PayloadError(where, "must be a timestamp")
    if isinstance(value, int | float):
        if not math.isfinite(value) or not 0 <= value < 32503680000:  # before year 3000
            raise PayloadError(where, "unix timestamp out of range")
        return _iso(datetime.fromtimestamp(float(value), tz=UTC))
    if not isinstance(value, str) or len(value) > 64:
        raise PayloadError(where, "must be a timestamp")
    text = value.strip()
    if re.fullmatch(r"\d{9,11}(\.\d+)?", text):
        return _iso(datetime.fromtimestamp(float(text), tz=UTC))
    try:
        return _iso(datetime.fromisoformat(text))
    except ValueError:
        pass
    try:
        return _iso(parsedate_to_datetime(text))
    except (TypeError, ValueError, IndexError):
        pass
    raise PayloadError(where, "must be an ISO 8601 timestamp or unix seconds")


def sort_key_time(at: str | None) -> float:
    return datetime.fromisoformat(at).timestamp() if at else 0.0


# --------------------------------------------------------------------------- text


_BLOCK_TAGS = {
    "p",
    "div",
    "br",
    "li",
    "ul",
    "ol",
    "tr",
    "table",
    "blockquote",
    "pre",
    "hr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "section",
    "article",
    "header",
    "footer",
}
_SKIP_TAGS = {"script", "style", "head", "title", "template", "noscript"}
_LOOKS_HTML = re.compile(r"<\s*/?\s*[a-zA-Z][^>]*>|&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);")


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self.skip += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self.skip = max(0, self.skip - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def _normalise_space(text: str) -> str:
    lines = (re.sub(r"[ \t\f\v\u00a0\u200b]+", " ", line).strip() for line in text.splitlines())
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


def html_to_text(value: str) -> str:
    """Plain text of an HTML fragment: tags dropped, entities decoded, block elements as line breaks."""
    parser = _TextExtractor()
    try:
        parser.feed(value)
        parser.close()
        text = "".join(parser.parts)
    except Exception:  # HTMLParser is lenient; this is a last resort
        text = unescape(re.sub(r"<[^>]*>", " ", value))
    return _normalise_space(text)


def to_text(value: str | None) -> str:
    """Text of a message body that may or may not be HTML."""
    if not value:
        return ""
    if _LOOKS_HTML.search(value):
        return html_to_text(value)
    return _normalise_space(value)


# --------------------------------------------------------------------------- ids


def pseudonym(kind: str, value: str) -> str:
    """A stable pseudonymous id for a personal identifier (an email): never store the value itself.

    Unsalted SHA-256 keeps the id stable across deliveries and secret rotations so that one
    person's tickets group together; it is pseudonymisation, not anonymisation.
    """
    digest = hashlib.sha256(value.strip().lower().encode("utf-8")).hexdigest()[:32]
    return f"{kind}-sha256-{digest}"


def customer_key(value: str, prefix: str) -> str:
    """A vendor id used as customer_id; an email used as an id is replaced by its pseudonym."""
    return pseudonym(f"{prefix}-email", value) if "@" in value else value


def cap_turns(turns: list[dict[str, Any]], metadata: dict[str, Any]) -> list[dict[str, Any]]:
    if len(turns) > MAX_TURNS:
        metadata["turns_truncated"] = len(turns) - MAX_TURNS
        return turns[:MAX_TURNS]
    return turns


def turn(speaker: str, text: str, at: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {"speaker": speaker, "text": text}
    if at:
        out["at"] = at
    return out
