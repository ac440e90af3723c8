"""Zendesk ticket payloads (a trigger's JSON body) mapped to one transcript.

Body: the ticket with its comments, in the Tickets / Ticket Comments API shapes (the trigger's
JSON body renders them with placeholders and a Liquid ``{% for comment in ticket.comments %}``
loop; see tests/fixtures/webhooks/zendesk/)::

    {"ticket": {"id", "requester_id" | "requester": {"id", "external_id", "email"},
                "organization_id" | "organization": {"id"},
                "via": {"channel"} | "<channel>", "created_at", "status", "priority", "tags",
                "satisfaction_rating": {"score"} | "<score>", "brand_id", "group_id",
                "comments": [{"id", "author_id" | "author": {"id", "role"}, "plain_body" | "body" |
                              "html_body" | "value", "public", "created_at", "via": {"channel"},
                              "data": {"call_duration"}}]}}

Mapping:
- external_id ``zendesk-ticket-<id>``; customer_id per PERSONAS_ZENDESK_CUSTOMER_ID (``identity``):
  ``organization`` (default: organization id), ``requester`` (requester id), ``requester_external_id``
  (the requester's external id) or ``email_hash`` (hash of the requester's email); when the ticket lacks
  the chosen field, the requester id. The email itself is never stored.
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

from dataclasses import dataclass
from typing import Any

from .fields import join, obj, opt_bool, opt_id, opt_list, opt_obj, opt_str, req_obj, tag_list
from .html_text import to_text
from .identity import CustomerFields, choose_customer_id
from .protocol import PayloadError
from .timestamps import opt_time, sort_key_time
from .turns import cap_turns, turn
from .zendesk_channels import BOT_CHANNELS, map_channel, norm_channel


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


@dataclass(frozen=True)
class _Ticket:
    """The ticket fields a transcript is built from, read in the order their errors are reported."""

    id: str
    requester_id: str
    organization_id: str | None
    requester_external_id: str | None
    requester_email: str | None
    via: str | None
    started_at: str | None
    tags: list[str]
    status: str | None
    priority: str | None


@dataclass(frozen=True)
class _Comment:
    public: bool
    at: str | None
    call_seconds: float | None
    turn: dict[str, Any] | None  # None for a private or empty comment


@dataclass(frozen=True)
class _Comments:
    turns: list[dict[str, Any]]
    private_notes: int
    call_seconds: float | None  # None when no comment carries a call duration


def _ticket_object(data: dict[str, Any]) -> dict[str, Any]:
    if "ticket" not in data:
        if isinstance(data.get("type"), str) and data["type"].startswith("zen:event-type:"):
            raise PayloadError(
                "ticket",
                "Zendesk event-subscription payloads are not supported; "
                "connect the webhook to a trigger that sends the ticket with its comments",
            )
        raise PayloadError("ticket", "is required")
    return req_obj(data, "ticket", "")


def _read_ticket(t: dict[str, Any]) -> _Ticket:
    p = "ticket"
    ticket_id = opt_id(t, "id", p)
    if ticket_id is None:
        raise PayloadError("ticket.id", "is required")
    requester_id = _nested_id(t, "requester_id", "requester", p)
    if requester_id is None:
        raise PayloadError("ticket.requester_id", "is required")
    requester = opt_obj(t, "requester", p) or {}
    rp = join(p, "requester")
    return _Ticket(
        id=ticket_id,
        requester_id=requester_id,
        organization_id=_nested_id(t, "organization_id", "organization", p),
        requester_external_id=opt_id(requester, "external_id", rp) or opt_id(t, "requester_external_id", p),
        requester_email=opt_str(requester, "email", rp) or opt_str(t, "requester_email", p),
        via=_via_channel(t, p),
        started_at=opt_time(t, "created_at", p),
        tags=tag_list(t, "tags", p),
        status=opt_str(t, "status", p),
        priority=opt_str(t, "priority", p),
    )


def _comment_text(c: dict[str, Any], cp: str) -> str:
    for key in ("plain_body", "body", "value", "html_body"):
        value = opt_str(c, key, cp)
        if value is not None and value.strip():
            return to_text(value)
    return ""


def _call_seconds(c: dict[str, Any], cp: str) -> float | None:
    data_block = opt_obj(c, "data", cp)
    if data_block is None or data_block.get("call_duration") is None:
        return None
    duration = data_block["call_duration"]
    if isinstance(duration, bool) or not isinstance(duration, int | float) or not duration >= 0:
        raise PayloadError(f"{cp}.data.call_duration", "must be a non-negative number of seconds")
    return float(duration)


def _read_comment(raw: Any, cp: str, requester_id: str) -> _Comment:
    c = obj(raw, cp)
    author_id = _nested_id(c, "author_id", "author", cp)
    author = opt_obj(c, "author", cp)
    role = (opt_str(author, "role", join(cp, "author")) or "") if author else ""
    public = opt_bool(c, "public", cp, default=True)
    at = opt_time(c, "created_at", cp)
    text = _comment_text(c, cp)
    call_seconds = _call_seconds(c, cp)
    if not public or not text:
        return _Comment(public=public, at=at, call_seconds=call_seconds, turn=None)
    comment_via = norm_channel(_via_channel(c, cp) or "")
    if (author_id is not None and author_id == requester_id) or role.strip().lower() == "end-user":
        speaker = "customer"
    elif comment_via in BOT_CHANNELS:
        speaker = "bot"
    else:
        speaker = "agent"
    return _Comment(public=public, at=at, call_seconds=call_seconds, turn=turn(speaker, text, at))


def _read_comments(t: dict[str, Any], requester_id: str) -> _Comments:
    """Public comments as turns, in time order when every comment has a time (Liquid lists newest first)."""
    if "comments" not in t or t["comments"] is None:
        raise PayloadError("ticket.comments", "is required (render ticket.comments in the trigger body)")
    rows: list[tuple[int, dict[str, Any]]] = []
    private_notes, call_seconds, has_call_duration, all_timed = 0, 0.0, False, True
    for i, raw in enumerate(opt_list(t, "comments", "ticket")):
        comment = _read_comment(raw, f"ticket.comments.{i}", requester_id)
        all_timed = all_timed and comment.at is not None
        if comment.call_seconds is not None:
            call_seconds += comment.call_seconds
            has_call_duration = True
        if not comment.public:
            private_notes += 1
        elif comment.turn is not None:
            rows.append((i, comment.turn))
    if all_timed and rows:
        rows.sort(key=lambda r: (sort_key_time(r[1].get("at")), r[0]))
    return _Comments(
        turns=[r[1] for r in rows],
        private_notes=private_notes,
        call_seconds=call_seconds if has_call_duration else None,
    )


def _csat(t: dict[str, Any]) -> float | None:
    rating = t.get("satisfaction_rating")
    if rating is None:
        return None
    if isinstance(rating, dict):
        score = opt_str(rating, "score", "ticket.satisfaction_rating")
    elif isinstance(rating, str):
        score = rating
    else:
        raise PayloadError("ticket.satisfaction_rating", "must be an object with a score")
    score = (score or "").strip().lower()
    return {"good": 1.0, "bad": 0.0}.get(score)


def _metadata(t: dict[str, Any], ticket: _Ticket, private_notes: int, origin: str) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "zendesk_ticket_id": ticket.id,
        "zendesk_requester_id": ticket.requester_id,
        "customer_id_from": origin,
    }
    if ticket.organization_id:
        metadata["zendesk_organization_id"] = ticket.organization_id
    if ticket.via:
        metadata["via_channel"] = norm_channel(ticket.via)
    if ticket.status:
        metadata["status"] = ticket.status
    if ticket.priority:
        metadata["priority"] = ticket.priority
    if ticket.tags:
        metadata["tags"] = ticket.tags
    metadata["escalated"] = "escalated" in ticket.tags or (ticket.priority or "").lower() == "urgent"
    csat = _csat(t)
    if csat is not None:
        metadata["csat"] = csat
    if private_notes:
        metadata["private_notes"] = private_notes
    return metadata


def _customer(ticket: _Ticket, rule: str | None) -> tuple[str, str]:
    fields = CustomerFields(
        organization=ticket.organization_id,
        requester=ticket.requester_id,
        requester_external_id=ticket.requester_external_id,
        email=ticket.requester_email,
    )
    chosen = choose_customer_id("zendesk", fields, rule)
    assert chosen is not None  # the requester id is required, and it is a fallback of every rule
    return chosen


def ticket_updated_at(data: dict[str, Any]) -> str | None:
    """The ticket's ``updated_at`` (ISO 8601) when the body carries it: which of two snapshots is newer."""
    return opt_time(_ticket_object(data), "updated_at", "ticket")


def ticket_transcript(data: dict[str, Any], customer_id_rule: str | None = None) -> dict[str, Any] | None:
    """The ticket's transcript, shaped like TranscriptIn; None when no public comment has text."""
    t = _ticket_object(data)
    ticket = _read_ticket(t)
    comments = _read_comments(t, ticket.requester_id)
    customer_id, origin = _customer(ticket, customer_id_rule)
    metadata = _metadata(t, ticket, comments.private_notes, origin)
    turns = cap_turns(comments.turns, metadata)
    if not turns:
        return None
    return {
        "external_id": f"zendesk-ticket-{ticket.id}",
        "customer_id": customer_id,
        "channel": map_channel(ticket.via),
        "started_at": ticket.started_at or turns[0].get("at"),
        "duration_seconds": comments.call_seconds,
        "turns": turns,
        "metadata": metadata,
    }
