"""Help-desk bulk exports mapped to transcripts by the same adapters as their webhooks (pure: dicts in).

One record is one conversation; each mapper returns (transcript shaped like TranscriptIn, or None when the
record has no customer-visible text; its Merge), or raises PayloadError naming the field.

- Zendesk, Incremental Ticket Export (``GET /api/v2/incremental/tickets/cursor.json``): pages
  ``{"tickets": [Ticket], "after_cursor", "after_url", "end_of_stream"}``. Comments either inline per
  ticket (``"comments": [Ticket Comment]``, from ``/api/v2/tickets/{id}/comments``) or side-loaded by the
  Incremental Ticket Event Export with ``include=comment_events`` (pages ``{"ticket_events": [{"ticket_id",
  "created_at", "child_events": [{"event_type": "Comment", "id", "author_id", "body", "public", ...}]}]}``).
  Mapped by ``zendesk_ticket.ticket_transcript``; the whole ticket replaces what is stored unless older.
- Intercom, conversations (``GET /conversations/{id}``, Conversation model with ``conversation_parts``;
  or pages ``{"type": "conversation.list", "conversations": [...]}``): mapped like a webhook's item, parts
  appended by part id.
- Freshdesk, tickets with conversations (``GET /api/v2/tickets/{id}?include=conversations``): ``id``,
  ``description``/``description_text``, ``requester_id``, ``company_id``, ``source`` (code), ``status`` and
  ``priority`` (codes), ``type``, ``tags``, ``created_at``, ``updated_at``, ``conversations`` [{``id``,
  ``body_text``/``body``, ``incoming``, ``private``, ``created_at``}]: the ticket goes through the webhook
  adapter (description as the first turn), then each public conversation is a turn (``incoming`` ->
  customer, else agent); private notes are dropped. The whole ticket replaces what is stored unless older.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from .fields import join, obj, opt_bool, opt_id, opt_list, opt_str
from .freshdesk import FreshdeskVendor
from .html_text import to_text
from .intercom import conversation_merge, conversation_transcript
from .protocol import Merge, PayloadError
from .timestamps import opt_time
from .turns import cap_turns, turn
from .zendesk_ticket import ticket_transcript, ticket_updated_at

Mapped = tuple[dict[str, Any] | None, Merge]
_FRESHDESK_STATUS = {2: "Open", 3: "Pending", 4: "Resolved", 5: "Closed"}
_FRESHDESK_PRIORITY = {1: "Low", 2: "Medium", 3: "High", 4: "Urgent"}


def page_items(page: Any, key: str) -> list[Any]:
    """The records of one export page (``{key: [...]}``), a bare list of records, or one record."""
    if isinstance(page, list):
        return page
    data = obj(page, "")
    if key in data:
        return opt_list(data, key, "")
    return [data]


def zendesk_comment_events(pages: Iterable[Any]) -> dict[str, list[dict[str, Any]]]:
    """Side-loaded comment events by ticket id, shaped as Ticket Comments (held in memory: a join)."""
    comments: dict[str, list[dict[str, Any]]] = {}
    for page in pages:
        for i, raw in enumerate(opt_list(obj(page, ""), "ticket_events", "")):
            event = obj(raw, f"ticket_events.{i}")
            ticket_id = opt_id(event, "ticket_id", f"ticket_events.{i}")
            for child in opt_list(event, "child_events", f"ticket_events.{i}"):
                if not isinstance(child, dict) or (child.get("event_type") or child.get("type")) != "Comment":
                    continue
                comment = {"created_at": event.get("created_at"), **child}
                comments.setdefault(ticket_id or "", []).append(comment)
    return comments


def map_zendesk_ticket(
    ticket: Any, comments: dict[str, list[dict[str, Any]]], rule: str | None = None
) -> Mapped:
    t = dict(obj(ticket, "ticket"))
    ticket_id = opt_id(t, "id", "ticket")
    if ticket_id is None:
        raise PayloadError("ticket.id", "is required")
    if t.get("comments") is None:
        if ticket_id not in comments:
            raise PayloadError(
                "ticket.comments", "no comments: export them inline or side-load comment_events"
            )
        t["comments"] = comments[ticket_id]
    data = {"ticket": t}
    return ticket_transcript(data, rule), Merge(mode="replace", updated_at=ticket_updated_at(data))


def map_intercom_conversation(conversation: Any, rule: str | None = None) -> Mapped:
    c = obj(conversation, "conversation")
    transcript = conversation_transcript(c, "conversation", rule)
    if transcript is None:
        return None, Merge()
    return transcript, conversation_merge(c, "conversation", transcript)


def _freshdesk_code(t: dict[str, Any], key: str, names: dict[int, str]) -> Any:
    value = t.get(key)
    return names.get(value, value) if isinstance(value, int) and not isinstance(value, bool) else value


def _freshdesk_fields(t: dict[str, Any]) -> dict[str, Any]:
    """The ticket in the webhook adapter's field names."""
    tags = t.get("tags")
    return {
        "ticket_id": t.get("id"),
        "ticket_description": t.get("description"),
        "ticket_description_text": t.get("description_text"),
        "ticket_source": t.get("source"),
        "ticket_requester_id": t.get("requester_id"),
        "ticket_company_id": t.get("company_id"),
        "ticket_created_at": t.get("created_at"),
        "ticket_status": _freshdesk_code(t, "status", _FRESHDESK_STATUS),
        "ticket_priority": _freshdesk_code(t, "priority", _FRESHDESK_PRIORITY),
        "ticket_type": t.get("type"),
        "ticket_tags": tags if isinstance(tags, list | str) else None,
    }


def _conversation_turns(t: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for i, raw in enumerate(opt_list(t, "conversations", "ticket")):
        cp = f"ticket.conversations.{i}"
        c = obj(raw, cp)
        if opt_bool(c, "private", cp, default=False):
            continue
        text = to_text(opt_str(c, "body_text", cp) or opt_str(c, "body", cp))
        if text:
            speaker = "customer" if opt_bool(c, "incoming", cp, default=False) else "agent"
            yield turn(speaker, text, opt_time(c, "created_at", cp))


def map_freshdesk_ticket(ticket: Any, rule: str | None = None) -> Mapped:
    t = obj(ticket, "ticket")
    fields = {k: v for k, v in _freshdesk_fields(t).items() if v is not None}
    try:
        delivery = FreshdeskVendor().parse({}, json.dumps(fields).encode(), rule)
    except PayloadError as exc:  # name the export's field, not the webhook's
        raise PayloadError(join("ticket", exc.field.removeprefix("ticket_")), exc.message) from None
    more = list(_conversation_turns(t))
    if not delivery.transcripts and not more:
        return None, Merge()
    if not delivery.transcripts:
        raise PayloadError("ticket.description", "is required when the ticket has conversations")
    transcript = delivery.transcripts[0]
    transcript["turns"] = cap_turns(transcript["turns"] + more, transcript["metadata"])
    return transcript, Merge(mode="replace", updated_at=opt_time(t, "updated_at", "ticket"))
