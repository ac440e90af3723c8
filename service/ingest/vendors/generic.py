"""Standard Webhooks (https://www.standardwebhooks.com): our own format for any sender.

Signature: headers ``webhook-id``, ``webhook-timestamp`` (unix seconds) and ``webhook-signature``
(space-separated ``v1,<base64 HMAC-SHA256>`` over ``"{id}.{timestamp}.{body}"``) with the
``whsec_<base64>`` secret, checked by the ``standardwebhooks`` library.

The library compares the timestamp with the real clock, which a caller cannot inject, so the
freshness rule is applied here first against ``now`` (clear messages, testable); the library's own
check then agrees whenever ``now`` is the real time, as it is in the route.

Body: one TranscriptIn object, or the batch ``{"transcripts": [TranscriptIn, ...]}``. Objects are
passed through unchanged for the route's Pydantic validation. ``delivery_id`` is ``webhook-id``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from standardwebhooks import Webhook

from .fields import obj
from .protocol import Delivery, PayloadError, SignatureError
from .signatures import check_fresh, lower_headers, require_header
from .strict_json import load_json

_SIGNATURE_ENTRY = re.compile(r"v\d+,[A-Za-z0-9+/=_-]+")


class GenericVendor:
    name = "generic"

    def verify(self, headers: Mapping[str, str], body: bytes, secret: str, now: float) -> None:
        h = lower_headers(headers)
        msg_id = require_header(h, "webhook-id")
        raw_ts = require_header(h, "webhook-timestamp")
        signature = require_header(h, "webhook-signature")
        if not re.fullmatch(r"\d{1,12}", raw_ts):
            raise SignatureError("malformed header webhook-timestamp: expected unix seconds")
        check_fresh(float(raw_ts), now, "webhook-timestamp")
        entries = signature.split()
        if not entries or not all(_SIGNATURE_ENTRY.fullmatch(e) for e in entries):
            raise SignatureError("malformed header webhook-signature: expected 'v1,<base64>' entries")
        if not any(e.startswith("v1,") for e in entries):
            raise SignatureError("malformed header webhook-signature: no v1 signature")
        if not isinstance(secret, str) or not secret:
            raise SignatureError("no webhook secret is configured for this source")
        try:
            webhook = Webhook(secret)
        except Exception:
            raise SignatureError(
                "the configured webhook secret is not a valid whsec_ base64 secret"
            ) from None
        try:
            text = bytes(body).decode("utf-8")
        except UnicodeDecodeError:
            raise SignatureError("body is not UTF-8, so its signature cannot be checked") from None
        try:
            webhook.verify(
                text,
                {"webhook-id": msg_id, "webhook-timestamp": raw_ts, "webhook-signature": signature},
                json_parse=False,
            )
        except Exception as exc:  # WebhookVerificationError, binascii.Error, ValueError, ...
            reason = str(exc) or type(exc).__name__
            if "signature" in reason.lower() and "no matching" in reason.lower():
                raise SignatureError("signature mismatch") from None
            raise SignatureError(f"signature rejected: {reason}") from None

    def parse(self, headers: Mapping[str, str], body: bytes, customer_id: str | None = None) -> Delivery:
        """The sender writes customer_id itself: `customer_id` (the field choice of vendor sources) is unused."""
        h = lower_headers(headers)
        data = obj(load_json(body), "body")
        if "transcripts" in data:
            items = data["transcripts"]
            if not isinstance(items, list):
                raise PayloadError("transcripts", "must be a list of transcripts")
            if not items:
                raise PayloadError("transcripts", "must contain at least one transcript")
            transcripts: list[dict[str, Any]] = [
                dict(obj(t, f"transcripts.{i}")) for i, t in enumerate(items)
            ]
        else:
            transcripts = [dict(data)]
        delivery_id = (h.get("webhook-id") or "").strip() or None
        return Delivery(delivery_id=delivery_id, transcripts=transcripts)
