"""Intercom webhook notifications (developers.intercom.com/docs/webhooks, "Webhook models").

Signature: ``x-hub-signature: sha1=<hex HMAC-SHA1(client_secret, raw body)>``. Intercom signs no
timestamp, so there is no freshness check; replays are absorbed by idempotency on the
notification id (``delivery_id``) and on the conversation's external_id.

Body: ``{"type": "notification_event", "id": "notif_...", "topic": "conversation.user.replied",
"app_id", "created_at", "data": {"type": "notification_event_data", "item": <Conversation>}}``.
Topic ``ping`` (sent when the endpoint is saved) and items that are not conversations (contact,
company, ticket topics) are acknowledged with no transcripts.

A ``conversation.user.replied`` (or ``admin.replied``) notification may carry only the newest parts: parts
are appended to the stored conversation when their part id is not stored yet (Merge ``append``), so a
conversation that grows over several notifications is stored whole, and a late, older notification adds
nothing it already has.

Conversation mapping (Conversation / Conversation Part models):
- external_id ``intercom-conv-<id>``; started_at = conversation ``created_at`` (unix seconds).
- customer_id per PERSONAS_INTERCOM_CUSTOMER_ID (``identity``): ``requester_external_id`` (default:
  the first contact's ``external_id``, your own user id, the likeliest key of the CRM export),
  ``requester`` (its Intercom ``id``; when ``contacts`` is absent, the ``source.author`` id if that
  author is a user/lead/contact) or ``email_hash`` (hash of the customer source author's ``email``);
  when the chosen field is missing, the Intercom id, then the email hash. An email used as an id is
  replaced by a pseudonym.
- turns: ``source`` (the opening message) first, then ``conversation_parts.conversation_parts``
  ordered by ``created_at``. Bodies are HTML (plain text from API 2.15 webhooks): converted to text;
  parts with an empty body (assignments, open/close/snooze events) and redacted parts are skipped;
  ``note`` parts (internal notes) are DROPPED and counted in metadata ``notes``.
- speaker from ``author.type``: user/lead/contact -> customer, admin/team -> agent, bot/operator ->
  bot, anything else -> system.
- channel from ``source.type``: conversation/chat/messenger/social/sms/whatsapp -> chat,
  email -> email, phone_call/phone_switch -> call, else other.
- metadata: intercom_conversation_id, intercom_app_id, topic, state, priority, tags (names),
  csat (conversation_rating 1..5 mapped to 0..1) and csat_rating, contact ids.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from typing import Any

from .fields import join, obj, opt_bool, opt_id, opt_list, opt_obj, opt_str, req_id, req_obj, tag_list
from .html_text import to_text
from .identity import CustomerFields, choose_customer_id
from .protocol import Delivery, Merge, PayloadError, SignatureError
from .signatures import lower_headers, require_header, require_secret
from .strict_json import load_json
from .timestamps import opt_time, sort_key_time
from .turns import cap_turns, split_turn_keys, turn

SIGNATURE = "x-hub-signature"

_CUSTOMER = {"user", "lead", "contact"}
_AGENT = {"admin", "team"}
_BOT = {"bot", "operator"}
_DROPPED_PARTS = {"note", "note_and_reopen"}
_CHAT = {
    "conversation",
    "chat",
    "messenger",
    "facebook",
    "instagram",
    "twitter",
    "whatsapp",
    "sms",
    "push",
    "in_app",
    "inapp",
}
_CALL = {"phone_call", "phone_switch", "call", "voice"}


def map_channel(source_type: str | None) -> str:
    if not source_type:
        return "other"
    s = source_type.strip().lower()
    if s in _CHAT:
        return "chat"
    if s == "email":
        return "email"
    if s in _CALL:
        return "call"
    return "other"


def speaker_for(author_type: str | None) -> str:
    a = (author_type or "").strip().lower()
    if a in _CUSTOMER:
        return "customer"
    if a in _AGENT:
        return "agent"
    if a in _BOT:
        return "bot"
    return "system"


class IntercomVendor:
    name = "intercom"

    def verify(self, headers: Mapping[str, str], body: bytes, secret: str, now: float) -> None:
        h = lower_headers(headers)
        header = require_header(h, SIGNATURE)
        match = re.fullmatch(r"sha1=([0-9a-fA-F]{40})", header)
        if match is None:
            raise SignatureError(f"malformed header {SIGNATURE}: expected sha1=<40 hex digits>")
        key = require_secret(secret)
        expected = hmac.new(key, bytes(body), hashlib.sha1).hexdigest()
        if not hmac.compare_digest(expected.encode("ascii"), match.group(1).lower().encode("ascii")):
            raise SignatureError("signature mismatch")

    def parse(self, headers: Mapping[str, str], body: bytes, customer_id: str | None = None) -> Delivery:
        data = obj(load_json(body), "body")
        kind = opt_str(data, "type", "")
        if kind != "notification_event":
            raise PayloadError("type", "must be 'notification_event'")
        delivery_id = req_id(data, "id", "")
        topic = opt_str(data, "topic", "") or ""
        if topic == "ping":
            return Delivery(delivery_id=delivery_id, transcripts=[])
        envelope = req_obj(data, "data", "")
        item = req_obj(envelope, "item", "data")
        if opt_str(item, "type", "data.item") != "conversation":
            return Delivery(delivery_id=delivery_id, transcripts=[])
        transcript = self._conversation(item, "data.item", topic, opt_id(data, "app_id", ""), customer_id)
        if transcript is None:
            return Delivery(delivery_id=delivery_id)
        merge = conversation_merge(item, "data.item", transcript)
        return Delivery(delivery_id=delivery_id, transcripts=[transcript], merges=[merge])

    def _conversation(
        self, c: dict[str, Any], p: str, topic: str, app_id: str | None, rule: str | None
    ) -> dict[str, Any] | None:
        conv_id = req_id(c, "id", p)
        started_at = opt_time(c, "created_at", p)
        source = opt_obj(c, "source", p) or {}
        sp = join(p, "source")
        source_author = opt_obj(source, "author", sp) or {}
        (customer, origin), contact_ids = _customer(c, p, source_author, rule)
        turns: list[dict[str, Any]] = []
        source_turn = _source_turn(source, source_author, sp, started_at)
        if source_turn is not None:
            turns.append(source_turn)
        part_turns, notes = _part_turns(c, p)
        turns.extend(part_turns)
        metadata = _metadata(c, p, conv_id=conv_id, app_id=app_id, topic=topic)
        metadata["customer_id_from"] = origin
        if contact_ids:
            metadata["intercom_contact_ids"] = contact_ids[:20]
        if notes:
            metadata["notes"] = notes
        turns = cap_turns(turns, metadata)
        if not turns:
            return None
        return {
            "external_id": f"intercom-conv-{conv_id}",
            "customer_id": customer,
            "channel": map_channel(opt_str(source, "type", sp)),
            "started_at": started_at or turns[0].get("at"),
            "duration_seconds": None,
            "turns": turns,
            "metadata": metadata,
        }


def conversation_transcript(
    c: dict[str, Any], p: str, customer_id_rule: str | None = None
) -> dict[str, Any] | None:
    """A Conversation model (as the REST API or an export gives it) mapped like a webhook's item."""
    return IntercomVendor()._conversation(c, p, "", opt_id(c, "app_id", p), customer_id_rule)


def conversation_merge(c: dict[str, Any], p: str, transcript: dict[str, Any]) -> Merge:
    """A notification may carry only the newest parts: append those not stored yet, keyed by part id."""
    return Merge(
        mode="append", turn_keys=split_turn_keys(transcript), updated_at=opt_time(c, "updated_at", p)
    )


def _customer(
    c: dict[str, Any], p: str, source_author: dict[str, Any], rule: str | None
) -> tuple[tuple[str, str], list[str]]:
    """(customer_id, the field it came from) by the rule, and every contact id of the conversation."""
    contact_ids: list[str] = []
    first: dict[str, Any] | None = None
    contacts_block = opt_obj(c, "contacts", p)
    if contacts_block is not None:
        cp = join(p, "contacts")
        for i, raw in enumerate(opt_list(contacts_block, "contacts", cp)):
            ip = f"{cp}.contacts.{i}"
            contact = obj(raw, ip)
            contact_ids.append(req_id(contact, "id", ip))
            if first is None:
                first = {"id": contact_ids[-1], "external_id": opt_id(contact, "external_id", ip)}
    ap = join(p, "source.author")
    author_is_customer = (opt_str(source_author, "type", ap) or "").lower() in _CUSTOMER
    fields = CustomerFields(
        requester=first["id"] if first else (opt_id(source_author, "id", ap) if author_is_customer else None),
        requester_external_id=first["external_id"] if first else None,
        email=opt_str(source_author, "email", ap) if author_is_customer else None,
    )
    chosen = choose_customer_id("intercom", fields, rule)
    if chosen is None:
        raise PayloadError(f"{p}.contacts", "no contact identifies the customer")
    return chosen, contact_ids


def _source_turn(
    source: dict[str, Any], source_author: dict[str, Any], sp: str, started_at: str | None
) -> dict[str, Any] | None:
    """The opening message as the first turn, unless it is empty or redacted."""
    source_text = to_text(opt_str(source, "body", sp))
    if not source_text or opt_bool(source, "redacted", sp, default=False):
        return None
    author_type = opt_str(source_author, "type", join(sp, "author"))
    return turn(speaker_for(author_type), source_text, started_at, key="source")


def _part_turns(c: dict[str, Any], p: str) -> tuple[list[dict[str, Any]], int]:
    """Conversation parts with text as turns in time order, and how many internal notes were dropped."""
    parts_block = opt_obj(c, "conversation_parts", p)
    rows: list[tuple[float, int, dict[str, Any]]] = []
    notes = 0
    if parts_block is not None:
        pp = join(p, "conversation_parts")
        for i, raw in enumerate(opt_list(parts_block, "conversation_parts", pp)):
            ip = f"{pp}.conversation_parts.{i}"
            part = obj(raw, ip)
            part_type = (opt_str(part, "part_type", ip) or "").lower()
            text = to_text(opt_str(part, "body", ip))
            at = opt_time(part, "created_at", ip)
            if part_type in _DROPPED_PARTS:
                notes += 1
                continue
            if not text or opt_bool(part, "redacted", ip, default=False):
                continue
            author = opt_obj(part, "author", ip) or {}
            speaker = speaker_for(opt_str(author, "type", join(ip, "author")))
            part_id = opt_id(part, "id", ip)
            rows.append((sort_key_time(at), i, turn(speaker, text, at, key=part_id and f"part-{part_id}")))
    rows.sort(key=lambda r: (r[0], r[1]))
    return [r[2] for r in rows], notes


def _tags(c: dict[str, Any], p: str) -> list[str]:
    tags_block = c.get("tags")
    if isinstance(tags_block, dict):
        return tag_list(tags_block, "tags", join(p, "tags"))
    if tags_block is None:
        return []
    return tag_list(c, "tags", p)


def _metadata(c: dict[str, Any], p: str, *, conv_id: str, app_id: str | None, topic: str) -> dict[str, Any]:
    metadata: dict[str, Any] = {"intercom_conversation_id": conv_id}
    if app_id:
        metadata["intercom_app_id"] = app_id
    if topic:
        metadata["topic"] = topic[:100]
    for key in ("state", "priority"):
        value = opt_str(c, key, p)
        if value:
            metadata[key] = value[:50]
    tags = _tags(c, p)
    if tags:
        metadata["tags"] = tags
    rating = opt_obj(c, "conversation_rating", p)
    if rating is not None:
        value = rating.get("rating")
        if value is not None:
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
                raise PayloadError(f"{p}.conversation_rating.rating", "must be an integer from 1 to 5")
            metadata["csat_rating"] = value
            metadata["csat"] = (value - 1) / 4
    return metadata
