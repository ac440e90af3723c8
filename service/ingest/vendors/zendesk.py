"""Zendesk Support webhooks connected to a trigger or automation (JSON body written by the admin).

Signature (developer.zendesk.com/documentation/webhooks/verifying): headers
``x-zendesk-webhook-signature`` = base64(HMAC-SHA256(secret, timestamp + body)) and
``x-zendesk-webhook-signature-timestamp`` (ISO 8601, e.g. ``2021-03-25T05:09:27Z``; unix seconds
are also accepted). The timestamp is signed, so it is checked against ``now`` (5 minutes).
Every request also carries ``x-zendesk-webhook-id`` and ``x-zendesk-webhook-invocation-id``
(".../webhooks/anatomy-of-a-webhook-request"); the invocation id is the delivery id (retries of
one invocation share it).

Body: the ticket with its comments, in the Tickets / Ticket Comments API shapes (the trigger's
JSON body renders them with placeholders and a Liquid ``{% for comment in ticket.comments %}``
loop; see tests/fixtures/webhooks/zendesk/)::

    {"ticket": {"id", "requester_id" | "requester": {"id"}, "organization_id" | "organization": {"id"},
                "via": {"channel"} | "<channel>", "created_at", "status", "priority", "tags",
                "satisfaction_rating": {"score"} | "<score>", "brand_id", "group_id",
                "comments": [{"id", "author_id" | "author": {"id", "role"}, "plain_body" | "body" |
                              "html_body" | "value", "public", "created_at", "via": {"channel"},
                              "data": {"call_duration"}}]}}

Mapping:
- external_id ``zendesk-ticket-<id>``; customer_id = organization id if present, else requester id.
- A public comment by the requester (or by any author whose role is ``end-user``) is a customer
  turn; a public comment from an Answer Bot / AI agent channel is a bot turn; every other public
  comment is an agent turn. Private comments (internal notes) are DROPPED (not said to the
  customer; internal remarks are not kept); their count is in metadata ``private_notes``.
- Comments are ordered by ``created_at`` when every comment has one (Liquid's ``ticket.comments``
  lists the newest first), else kept in the given order.
- channel from ``via.channel``: chat/messaging channels -> chat, voice -> call, email -> email,
  everything else (web form, API, help center, social) -> other.
- duration_seconds = sum of voice comments' ``data.call_duration`` when present, else None.
- metadata: zendesk_ticket_id, zendesk_requester_id, zendesk_organization_id, via_channel, status,
  priority, tags, escalated (tag ``escalated`` or priority ``urgent``), csat (good 1.0 / bad 0.0),
  private_notes. Subjects and satisfaction comments (free text) are not copied into metadata.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from .base import (
    Delivery,
    PayloadError,
    SignatureError,
    cap_turns,
    check_fresh,
    customer_key,
    join,
    load_json,
    lower_headers,
    obj,
    opt_bool,
    opt_id,
    opt_list,
    opt_obj,
    opt_str,
    opt_time,
    req_obj,
    require_header,
    require_secret,
    sort_key_time,
    tag_list,
    to_text,
    turn,
)

SIGNATURE = "x-zendesk-webhook-signature"
TIMESTAMP = "x-zendesk-webhook-signature-timestamp"
INVOCATION = "x-zendesk-webhook-invocation-id"

_CHAT = {
    "chat",
    "native_messaging",
    "messaging",
    "sunshine_conversations",
    "whatsapp",
    "sms",
    "line",
    "wechat",
    "chat_transcript",
    "instagram_dm",
    "facebook_messenger",
}
_CALL = {"voice", "phone", "phone_call_inbound", "phone_call_outbound", "voicemail", "call"}
_EMAIL = {"email", "mail"}
_BOT = {
    "answer_bot",
    "answer_bot_for_agents",
    "answer_bot_for_sdk",
    "answer_bot_for_slack",
    "ai_agent",
    "answer_bot_api",
    "answer_bot_for_web_widget",
}


def _norm_channel(value: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", value.strip().lower()).strip("_")


def map_channel(via_channel: str | None) -> str:
    if not via_channel:
        return "other"
    c = _norm_channel(via_channel)
    if c in _CHAT or "chat" in c or "messag" in c:
        return "chat"
    if c in _CALL or "voice" in c or "phone" in c or "call" in c:
        return "call"
    if c in _EMAIL or "email" in c:
        return "email"
    return "other"


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


def _via_channel(parent: dict[str, Any], path: str) -> str | None:
    via = parent.get("via")
    if isinstance(via, str):
        return via
    if via is None:
        return None
    v = obj(via, join(path, "via"))
    return opt_str(v, "channel", join(path, "via"))


def _nested_id(parent: dict[str, Any], flat: str, nested: str, path: str) -> str | None:
    value = opt_id(parent, flat, path)
    if value is not None:
        return value
    inner = opt_obj(parent, nested, path)
    return None if inner is None else opt_id(inner, "id", join(path, nested))


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

    def parse(self, headers: Mapping[str, str], body: bytes) -> Delivery:
        h = lower_headers(headers)
        data = obj(load_json(body), "body")
        if "ticket" not in data:
            if isinstance(data.get("type"), str) and data["type"].startswith("zen:event-type:"):
                raise PayloadError(
                    "ticket",
                    "Zendesk event-subscription payloads are not supported; "
                    "connect the webhook to a trigger that sends the ticket with its comments",
                )
            raise PayloadError("ticket", "is required")
        t = req_obj(data, "ticket", "")
        p = "ticket"
        ticket_id = opt_id(t, "id", p)
        if ticket_id is None:
            raise PayloadError("ticket.id", "is required")
        requester_id = _nested_id(t, "requester_id", "requester", p)
        if requester_id is None:
            raise PayloadError("ticket.requester_id", "is required")
        organization_id = _nested_id(t, "organization_id", "organization", p)
        via = _via_channel(t, p)
        started_at = opt_time(t, "created_at", p)
        tags = tag_list(t, "tags", p)
        status = opt_str(t, "status", p)
        priority = opt_str(t, "priority", p)

        if "comments" not in t or t["comments"] is None:
            raise PayloadError("ticket.comments", "is required (render ticket.comments in the trigger body)")
        comments = opt_list(t, "comments", p)
        rows: list[tuple[int, dict[str, Any]]] = []
        private_notes = 0
        call_seconds = 0.0
        has_call_duration = False
        all_timed = True
        for i, raw in enumerate(comments):
            cp = f"ticket.comments.{i}"
            c = obj(raw, cp)
            author_id = _nested_id(c, "author_id", "author", cp)
            author = opt_obj(c, "author", cp)
            role = (opt_str(author, "role", join(cp, "author")) or "") if author else ""
            public = opt_bool(c, "public", cp, default=True)
            at = opt_time(c, "created_at", cp)
            all_timed = all_timed and at is not None
            text = self._comment_text(c, cp)
            data_block = opt_obj(c, "data", cp)
            if data_block is not None and data_block.get("call_duration") is not None:
                duration = data_block["call_duration"]
                if isinstance(duration, bool) or not isinstance(duration, int | float) or not duration >= 0:
                    raise PayloadError(f"{cp}.data.call_duration", "must be a non-negative number of seconds")
                call_seconds += float(duration)
                has_call_duration = True
            if not public:
                private_notes += 1
                continue
            if not text:
                continue
            comment_via = _norm_channel(_via_channel(c, cp) or "")
            if (author_id is not None and author_id == requester_id) or role.strip().lower() == "end-user":
                speaker = "customer"
            elif comment_via in _BOT:
                speaker = "bot"
            else:
                speaker = "agent"
            rows.append((i, turn(speaker, text, at)))

        if all_timed and rows:
            rows.sort(key=lambda r: (sort_key_time(r[1].get("at")), r[0]))
        turns = [r[1] for r in rows]

        metadata: dict[str, Any] = {
            "zendesk_ticket_id": ticket_id,
            "zendesk_requester_id": requester_id,
            "customer_id_from": "organization" if organization_id else "requester",
        }
        if organization_id:
            metadata["zendesk_organization_id"] = organization_id
        if via:
            metadata["via_channel"] = _norm_channel(via)
        if status:
            metadata["status"] = status
        if priority:
            metadata["priority"] = priority
        if tags:
            metadata["tags"] = tags
        metadata["escalated"] = "escalated" in tags or (priority or "").lower() == "urgent"
        csat = self._csat(t, p)
        if csat is not None:
            metadata["csat"] = csat
        if private_notes:
            metadata["private_notes"] = private_notes
        turns = cap_turns(turns, metadata)
        if not turns:
            return Delivery(delivery_id=self._delivery_id(h), transcripts=[])
        if started_at is None:
            started_at = turns[0].get("at")
        transcript = {
            "external_id": f"zendesk-ticket-{ticket_id}",
            "customer_id": customer_key(organization_id or requester_id, "zendesk"),
            "channel": map_channel(via),
            "started_at": started_at,
            "duration_seconds": call_seconds if has_call_duration else None,
            "turns": turns,
            "metadata": metadata,
        }
        return Delivery(delivery_id=self._delivery_id(h), transcripts=[transcript])

    @staticmethod
    def _delivery_id(h: dict[str, str]) -> str | None:
        value = (h.get(INVOCATION) or "").strip()
        return value[:200] or None

    @staticmethod
    def _comment_text(c: dict[str, Any], cp: str) -> str:
        for key in ("plain_body", "body", "value", "html_body"):
            value = opt_str(c, key, cp)
            if value is not None and value.strip():
                return to_text(value)
        return ""

    @staticmethod
    def _csat(t: dict[str, Any], p: str) -> float | None:
        rating = t.get("satisfaction_rating")
        if rating is None:
            return None
        if isinstance(rating, dict):
            score = opt_str(rating, "score", join(p, "satisfaction_rating"))
        elif isinstance(rating, str):
            score = rating
        else:
            raise PayloadError("ticket.satisfaction_rating", "must be an object with a score")
        score = (score or "").strip().lower()
        return {"good": 1.0, "bad": 0.0}.get(score)
