"""Zendesk Support webhooks connected to a trigger or automation (JSON body written by the admin).

Signature (developer.zendesk.com/documentation/webhooks/verifying): headers
``x-zendesk-webhook-signature`` = base64(HMAC-SHA256(secret, timestamp + body)) and
``x-zendesk-webhook-signature-timestamp`` (ISO 8601, e.g. ``2021-03-25T05:09:27Z``; unix seconds
are also accepted). The timestamp is signed, so it is checked against ``now`` (5 minutes).
Every request also carries ``x-zendesk-webhook-id`` and ``x-zendesk-webhook-invocation-id``
(".../webhooks/anatomy-of-a-webhook-request"); the invocation id is the delivery id (retries of
one invocation share it).

Body and mapping: see ``zendesk_ticket``. The ticket is sent whole each time (a trigger renders every
comment), so it replaces the stored version; the ticket's ``updated_at`` (else its latest comment time)
keeps an older snapshot delivered late from rolling it back.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Mapping
from datetime import datetime

from .fields import obj
from .protocol import Delivery, Merge, SignatureError
from .signatures import check_fresh, lower_headers, require_header, require_secret
from .strict_json import load_json
from .zendesk_ticket import ticket_transcript, ticket_updated_at

SIGNATURE = "x-zendesk-webhook-signature"
TIMESTAMP = "x-zendesk-webhook-signature-timestamp"
INVOCATION = "x-zendesk-webhook-invocation-id"


def _parse_timestamp(raw: str) -> float:
    if re.fullmatch(r"\d{1,12}", raw):
        return float(raw)
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise SignatureError(f"malformed header {TIMESTAMP}: expected ISO 8601 or unix seconds") from None
    if moment.tzinfo is None:
        raise SignatureError(f"malformed header {TIMESTAMP}: timestamp has no time zone")
    return moment.timestamp()


def _delivery_id(h: dict[str, str]) -> str | None:
    value = (h.get(INVOCATION) or "").strip()
    return value[:200] or None


class ZendeskVendor:
    name = "zendesk"

    def verify(self, headers: Mapping[str, str], body: bytes, secret: str, now: float) -> None:
        h = lower_headers(headers)
        signature = require_header(h, SIGNATURE)
        raw_ts = require_header(h, TIMESTAMP)
        if len(raw_ts) > 64:
            raise SignatureError(f"malformed header {TIMESTAMP}")
        check_fresh(_parse_timestamp(raw_ts), now, TIMESTAMP)
        try:
            given = base64.b64decode(signature.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError, ValueError):
            raise SignatureError(f"malformed header {SIGNATURE}: not base64") from None
        if len(given) != hashlib.sha256().digest_size:
            raise SignatureError(f"malformed header {SIGNATURE}: not an HMAC-SHA256 digest")
        key = require_secret(secret)
        expected = hmac.new(key, raw_ts.encode("utf-8") + bytes(body), hashlib.sha256).digest()
        if not hmac.compare_digest(expected, given):
            raise SignatureError("signature mismatch")

    def parse(self, headers: Mapping[str, str], body: bytes, customer_id: str | None = None) -> Delivery:
        delivery_id = _delivery_id(lower_headers(headers))
        data = obj(load_json(body), "body")
        transcript = ticket_transcript(data, customer_id)
        if transcript is None:
            return Delivery(delivery_id=delivery_id)
        # The body is the whole ticket: it replaces the stored one unless an older snapshot arrives late.
        merge = Merge(mode="replace", updated_at=ticket_updated_at(data))
        return Delivery(delivery_id=delivery_id, transcripts=[transcript], merges=[merge])
