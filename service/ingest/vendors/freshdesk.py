"""Freshdesk automation-rule webhooks ("Trigger webhook" action of a ticket creation/update rule).

Freshdesk signs nothing (support.freshdesk.com, "Using Webhooks in automation rules"): the rule
sends a shared secret, either as a custom header ``X-Personas-Secret: <secret>`` or with the
action's "Requires authentication" option as HTTP Basic auth (username/password mode: the secret
is the password; API-key mode sends ``<key>:X``: the secret is the username). Both are compared in
constant time. There is no timestamp and no delivery id: no replay window check is possible,
idempotency relies on external_id.

Body (JSON, "Simple" content, which Freshdesk wraps in ``freshdesk_webhook``; in "Advanced" mode
write the same keys with placeholders: ``{{ticket.id}}``, ``{{ticket.description}}``, ...)::

    {"freshdesk_webhook": {"ticket_id", "ticket_subject", "ticket_description" (HTML),
      "ticket_source" ("Email", "Portal", "Phone", "Chat", ... or the API code 1/2/3/7/9/10),
      "ticket_requester_id" | "ticket_contact_id", "ticket_contact_email" (only as a fallback),
      "ticket_company_id", "ticket_company_name", "ticket_created_at", "ticket_status",
      "ticket_priority", "ticket_type", "ticket_tags" ("a, b" or a list),
      "ticket_latest_public_comment", "ticket_latest_public_comment_author" ("agent"|"customer"),
      "ticket_updated_at" (optional: lets a late, older delivery leave the stored status and tags alone)}}

Mapping:
- external_id ``freshdesk-ticket-<id>``.
- customer_id per PERSONAS_FRESHDESK_CUSTOMER_ID (``identity``): ``organization`` (default: the
  company id), ``requester`` (requester/contact id) or ``email_hash`` (a SHA-256 pseudonym of the
  requester email, ``freshdesk-email-sha256-<32 hex>``); when the ticket lacks the chosen field, the
  requester id, then the email hash: stable so the same person's tickets group, and the email itself
  (personal data) is never stored; it is not copied into metadata or turns either.
- turns: the description as the first customer turn (at ``ticket_created_at``); the latest public
  comment as a further turn, spoken by ``ticket_latest_public_comment_author`` (default ``agent``:
  a rule cannot tell who wrote it, and mislabelling an agent reply as the customer's words would
  pollute the persona text more than missing one customer reply) unless it repeats the description.
  The subject is not a turn. Each delivery is appended to the stored conversation (Merge ``append``): a
  turn whose speaker and text are already stored is not added again, so a ticket whose comments arrive
  one rule run at a time is stored whole.
- channel: Chat/WhatsApp/Facebook/Twitter/Mobihelp -> chat, Phone -> call, Email/Outbound Email ->
  email, Portal/Feedback Widget/other -> other.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .fields import join, obj, opt_id, opt_str, tag_list
from .html_text import to_text
from .identity import CustomerFields, choose_customer_id
from .protocol import Delivery, Merge, PayloadError, SignatureError
from .pseudonyms import customer_key
from .signatures import lower_headers, require_secret
from .strict_json import load_json
from .timestamps import opt_time
from .turns import cap_turns, turn

SECRET_HEADER = "x-personas-secret"

_SOURCE_CODES = {
    1: "email",
    2: "portal",
    3: "phone",
    5: "twitter",
    6: "facebook",
    7: "chat",
    8: "mobihelp",
    9: "feedback widget",
    10: "outbound email",
    13: "whatsapp",
}
_CHAT = {"chat", "whatsapp", "facebook", "twitter", "mobihelp", "instagram", "line", "apple business chat"}
_EMAIL = {"email", "outbound email", "e-mail", "mail"}
_CALL = {"phone", "call", "voice"}
_SPEAKERS = {
    "agent": "agent",
    "customer": "customer",
    "requester": "customer",
    "contact": "customer",
    "bot": "bot",
    "system": "system",
}


def map_channel(source: str | None) -> str:
    if not source:
        return "other"
    s = source.strip().lower()
    if s.isdigit():
        s = _SOURCE_CODES.get(int(s), s)
    if s in _CHAT:
        return "chat"
    if s in _EMAIL:
        return "email"
    if s in _CALL:
        return "call"
    return "other"


def _equal(a: str, b: bytes) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b)


class FreshdeskVendor:
    name = "freshdesk"

    def verify(self, headers: Mapping[str, str], body: bytes, secret: str, now: float) -> None:
        h = lower_headers(headers)
        key = require_secret(secret)
        shared = h.get(SECRET_HEADER)
        auth = h.get("authorization")
        if not (shared and shared.strip()) and not (auth and auth.strip()):
            raise SignatureError(f"missing header {SECRET_HEADER} or authorization (basic)")
        candidates: list[str] = []
        if shared and shared.strip():
            candidates.append(shared.strip())
        if auth and auth.strip():
            scheme, _, encoded = auth.strip().partition(" ")
            if scheme.lower() != "basic" or not encoded.strip():
                raise SignatureError("malformed header authorization: expected Basic credentials")
            try:
                decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError, ValueError):
                raise SignatureError("malformed header authorization: credentials are not base64") from None
            user, sep, password = decoded.partition(":")
            if not sep:
                raise SignatureError("malformed header authorization: expected user:password")
            candidates.extend([password, user])
        matched = False
        for candidate in candidates:  # compare all, in constant time each
            matched = _equal(candidate, key) | matched
        if not matched:
            raise SignatureError("shared secret mismatch")

    def parse(self, headers: Mapping[str, str], body: bytes, customer_id: str | None = None) -> Delivery:
        t, p = _ticket_object(obj(load_json(body), "body"))
        ticket_id = opt_id(t, "ticket_id", p)
        if ticket_id is None:
            raise PayloadError(join(p, "ticket_id"), "is required")
        customer = _customer(t, p, customer_id)
        created = opt_time(t, "ticket_created_at", p) or opt_time(t, "ticket_created_on", p)
        source = opt_str(t, "ticket_source", p)
        turns = _turns(t, p, created)
        metadata = _metadata(t, p, ticket_id=ticket_id, customer=customer, source=source)
        turns = cap_turns(turns, metadata)
        if not turns:
            return Delivery(delivery_id=None, transcripts=[])
        transcript = {
            "external_id": f"freshdesk-ticket-{ticket_id}",
            "customer_id": customer.customer_id,
            "channel": map_channel(source),
            "started_at": created,
            "duration_seconds": None,
            "turns": turns,
            "metadata": metadata,
        }
        # The rule sends the description and the latest public comment only: append what is not stored yet.
        merge = Merge(mode="append", updated_at=opt_time(t, "ticket_updated_at", p))
        return Delivery(delivery_id=None, transcripts=[transcript], merges=[merge])


@dataclass(frozen=True)
class _Customer:
    customer_id: str
    origin: str  # which field customer_id comes from: organization, requester or email_hash
    company_id: str | None
    requester_id: str | None


def _ticket_object(data: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The ticket fields and their path: wrapped in ``freshdesk_webhook`` ("Simple" content) or not."""
    if "freshdesk_webhook" in data:
        return obj(data["freshdesk_webhook"], "freshdesk_webhook"), "freshdesk_webhook"
    if "ticket_id" in data:
        return data, ""
    raise PayloadError("freshdesk_webhook", "is required")


def _customer(t: dict[str, Any], p: str, rule: str | None) -> _Customer:
    """customer_id by the rule: the company, the requester or a pseudonym of the requester's email."""
    company_id = opt_id(t, "ticket_company_id", p)
    requester_id = opt_id(t, "ticket_requester_id", p) or opt_id(t, "ticket_contact_id", p)
    email = opt_str(t, "ticket_contact_email", p) or opt_str(t, "ticket_requester_email", p)
    fields = CustomerFields(organization=company_id, requester=requester_id, email=email)
    chosen = choose_customer_id("freshdesk", fields, rule)
    if chosen is None:
        raise PayloadError(
            join(p, "ticket_requester_id"), "a company id, requester id or contact email is required"
        )
    return _Customer(chosen[0], chosen[1], company_id, requester_id)


def _turns(t: dict[str, Any], p: str, created: str | None) -> list[dict[str, Any]]:
    """The description as the customer's turn, then the latest public comment unless it repeats it."""
    description = to_text(opt_str(t, "ticket_description_text", p) or opt_str(t, "ticket_description", p))
    latest = to_text(opt_str(t, "ticket_latest_public_comment", p))
    author_raw = (opt_str(t, "ticket_latest_public_comment_author", p) or "agent").strip().lower()
    if author_raw not in _SPEAKERS:
        field = join(p, "ticket_latest_public_comment_author")
        raise PayloadError(field, "must be 'agent' or 'customer'")
    turns: list[dict[str, Any]] = []
    if description:
        turns.append(turn("customer", description, created))
    if latest and latest != description:
        turns.append(turn(_SPEAKERS[author_raw], latest, None))
    return turns


def _metadata(
    t: dict[str, Any], p: str, *, ticket_id: str, customer: _Customer, source: str | None
) -> dict[str, Any]:
    metadata: dict[str, Any] = {"freshdesk_ticket_id": ticket_id, "customer_id_from": customer.origin}
    if customer.company_id:
        metadata["freshdesk_company_id"] = customer.company_id
    if customer.requester_id:
        metadata["freshdesk_requester_id"] = customer_key(customer.requester_id, "freshdesk")
    company_name = opt_str(t, "ticket_company_name", p)
    if company_name and company_name.strip():
        metadata["company_name"] = company_name.strip()[:200]
    if source:
        metadata["source"] = source.strip()[:50]
    for key, name in (
        ("ticket_status", "status"),
        ("ticket_priority", "priority"),
        ("ticket_type", "type"),
    ):
        value = opt_str(t, key, p)
        if value and value.strip():
            metadata[name] = value.strip()[:50]
    tags = tag_list(t, "ticket_tags", p, sep=r"[,;]")
    if tags:
        metadata["tags"] = tags
    metadata["escalated"] = "escalated" in tags or str(metadata.get("priority", "")).lower() == "urgent"
    return metadata
