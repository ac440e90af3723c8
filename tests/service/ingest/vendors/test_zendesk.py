"""Zendesk: signature, ticket mapping (zendesk_ticket) and malformed payloads."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import pytest

from service.ingest.schemas import MAX_TURNS
from service.ingest.vendors import VENDORS, Delivery, PayloadError, SignatureError
from service.ingest.vendors.pseudonyms import pseudonym
from tests.service.ingest.vendors.builders import (
    NOW,
    ZENDESK_SECRET,
    dumps,
    fixture,
    iso,
    speakers,
    validated,
)

zendesk = VENDORS["zendesk"]


def zendesk_sign(body: bytes, timestamp: str, secret: str = ZENDESK_SECRET) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def zendesk_headers(
    body: bytes, *, ts: float = NOW, secret: str = ZENDESK_SECRET, iso_format: bool = True
) -> dict:
    timestamp = iso(ts) if iso_format else str(int(ts))
    return {
        "x-zendesk-account-id": "123456",
        "x-zendesk-webhook-id": "01F1KRFQ6BG29CNWFR60NK5FNY",
        "x-zendesk-webhook-invocation-id": "8350205582",
        "x-zendesk-webhook-signature": zendesk_sign(body, timestamp, secret),
        "x-zendesk-webhook-signature-timestamp": timestamp,
    }


@pytest.mark.parametrize("iso_format", [True, False])
def test_zendesk_valid_signature_verifies(iso_format: bool) -> None:
    body = fixture("zendesk", "ticket_email_with_comments")
    zendesk.verify(zendesk_headers(body, iso_format=iso_format), body, ZENDESK_SECRET, NOW + 30)


def test_zendesk_headers_are_matched_case_insensitively() -> None:
    body = fixture("zendesk", "ticket_email_with_comments")
    headers = {k.title(): v for k, v in zendesk_headers(body).items()}
    zendesk.verify(headers, body, ZENDESK_SECRET, NOW)


@pytest.mark.parametrize("missing", ["x-zendesk-webhook-signature", "x-zendesk-webhook-signature-timestamp"])
def test_zendesk_missing_header(missing: str) -> None:
    body = fixture("zendesk", "ticket_email_with_comments")
    headers = zendesk_headers(body)
    del headers[missing]
    with pytest.raises(SignatureError, match=f"missing header {missing}"):
        zendesk.verify(headers, body, ZENDESK_SECRET, NOW)


@pytest.mark.parametrize(
    "signature, message",
    [
        ("not base64 !!", "malformed"),
        (base64.b64encode(b"short").decode(), "malformed"),
        ("ÄÖÜ", "malformed"),
        (base64.b64encode(b"\0" * 32).decode(), "mismatch"),
    ],
)
def test_zendesk_malformed_or_wrong_signature(signature: str, message: str) -> None:
    body = fixture("zendesk", "ticket_email_with_comments")
    headers = zendesk_headers(body) | {"x-zendesk-webhook-signature": signature}
    with pytest.raises(SignatureError, match=message):
        zendesk.verify(headers, body, ZENDESK_SECRET, NOW)


def test_zendesk_mismatch_on_wrong_secret_tampered_body_or_changed_timestamp() -> None:
    body = fixture("zendesk", "ticket_email_with_comments")
    with pytest.raises(SignatureError, match="mismatch"):
        zendesk.verify(zendesk_headers(body, secret="other"), body, ZENDESK_SECRET, NOW)
    with pytest.raises(SignatureError, match="mismatch"):
        zendesk.verify(zendesk_headers(body), body + b" ", ZENDESK_SECRET, NOW)
    headers = zendesk_headers(body) | {"x-zendesk-webhook-signature-timestamp": iso(NOW + 1)}
    with pytest.raises(SignatureError, match="mismatch"):
        zendesk.verify(headers, body, ZENDESK_SECRET, NOW)


@pytest.mark.parametrize("offset, reason", [(-301, "stale"), (-86400, "stale"), (301, "future")])
def test_zendesk_timestamp_outside_tolerance(offset: int, reason: str) -> None:
    body = fixture("zendesk", "ticket_email_with_comments")
    with pytest.raises(SignatureError, match=reason):
        zendesk.verify(zendesk_headers(body, ts=NOW + offset), body, ZENDESK_SECRET, NOW)


@pytest.mark.parametrize(
    "value", ["yesterday", "2024-05-29T16:26:40", "2024-13-40T00:00:00Z", "1e9", "x" * 100]
)
def test_zendesk_malformed_timestamp(value: str) -> None:
    body = fixture("zendesk", "ticket_email_with_comments")
    headers = zendesk_headers(body) | {
        "x-zendesk-webhook-signature-timestamp": value,
        "x-zendesk-webhook-signature": zendesk_sign(body, value),
    }
    with pytest.raises(SignatureError, match="timestamp"):
        zendesk.verify(headers, body, ZENDESK_SECRET, NOW)


def test_zendesk_empty_secret_is_refused() -> None:
    body = fixture("zendesk", "ticket_email_with_comments")
    with pytest.raises(SignatureError, match="secret"):
        zendesk.verify(zendesk_headers(body, secret=""), body, "", NOW)


def test_zendesk_ticket_with_comments_maps_turns_and_drops_private_notes() -> None:
    body = fixture("zendesk", "ticket_email_with_comments")
    delivery = zendesk.parse(zendesk_headers(body), body)
    assert delivery.delivery_id == "8350205582"
    (t,) = delivery.transcripts
    validated(delivery)
    assert t["external_id"] == "zendesk-ticket-35436"
    assert t["customer_id"] == "509974"  # the organization, not the requester
    assert t["channel"] == "email"
    assert t["started_at"] == "2024-03-04T09:12:45Z"
    assert t["duration_seconds"] is None
    assert speakers(t) == ["customer", "agent", "customer", "agent"]
    assert t["turns"][0]["text"].startswith("Hi, our card was charged twice")
    assert t["turns"][0]["at"] == "2024-03-04T09:12:45Z"
    assert all("PAY-881" not in turn["text"] for turn in t["turns"])  # the private note is dropped
    m = t["metadata"]
    assert m["zendesk_ticket_id"] == "35436" and m["zendesk_requester_id"] == "20978392"
    assert m["zendesk_organization_id"] == "509974" and m["customer_id_from"] == "organization"
    assert m["tags"] == ["billing", "double_charge", "escalated"]
    assert m["escalated"] is True and m["csat"] == 1.0 and m["private_notes"] == 1
    assert m["status"] == "solved" and m["priority"] == "high"
    assert "Quick fix" not in json.dumps(t)  # satisfaction comment (free text) is not copied


def test_zendesk_liquid_voice_ticket_orders_comments_and_strips_html() -> None:
    body = fixture("zendesk", "ticket_voice_liquid_html")
    (t,) = zendesk.parse({}, body).transcripts
    validated(Delivery(None, [t]))
    assert t["customer_id"] == "361234567812"  # no organization: the requester
    assert t["metadata"]["customer_id_from"] == "requester"
    assert t["channel"] == "call"
    assert t["duration_seconds"] == 412
    # newest-first comments are put in time order; the blank comment is skipped
    assert speakers(t) == ["customer", "bot", "customer", "agent"]
    assert [turn["at"] for turn in t["turns"]] == sorted(turn["at"] for turn in t["turns"])
    assert t["turns"][0]["text"] == (
        "Call from +1 415 555 0134\n\n"
        "Customer says their scheduled exports stopped and the finance team can't reconcile."
    )
    assert t["turns"][3]["text"] == (
        "Follow-up: the export job is fixed in v4.2.1.\n\n"
        "Let us know if the nightly export fails again & we'll re-run it."
    )
    m = t["metadata"]
    assert m["tags"] == ["voice", "vip", "callback"]
    assert m["escalated"] is True  # priority urgent
    assert "csat" not in m  # "unoffered" is no rating


def test_zendesk_keeps_given_order_when_a_comment_has_no_time() -> None:
    ticket = {
        "id": 1,
        "requester_id": 5,
        "comments": [
            {"id": 2, "author_id": 9, "body": "second", "created_at": "2024-01-01T10:00:00Z"},
            {"id": 1, "author_id": 5, "body": "first"},
        ],
    }
    (t,) = zendesk.parse({}, dumps({"ticket": ticket})).transcripts
    assert [x["text"] for x in t["turns"]] == ["second", "first"]
    assert speakers(t) == ["agent", "customer"]
    assert t["started_at"] == "2024-01-01T10:00:00Z"  # no ticket.created_at: the first turn's time


@pytest.mark.parametrize(
    "via, channel",
    [
        ("web", "other"),
        ("Web Form", "other"),
        ("api", "other"),
        ("chat", "chat"),
        ("native_messaging", "chat"),
        ("Voice", "call"),
        ("email", "email"),
        ("Mail", "email"),
        (None, "other"),
    ],
)
def test_zendesk_channel_mapping(via: str | None, channel: str) -> None:
    ticket = {
        "id": 7,
        "requester_id": 5,
        "via": {"channel": via},
        "comments": [{"author_id": 5, "body": "hi"}],
    }
    (t,) = zendesk.parse({}, dumps({"ticket": ticket})).transcripts
    assert t["channel"] == channel


def test_zendesk_ticket_without_text_gives_no_transcript() -> None:
    ticket = {"id": 7, "requester_id": 5, "comments": [{"author_id": 9, "body": "note", "public": False}]}
    delivery = zendesk.parse({"x-zendesk-webhook-invocation-id": "42"}, dumps({"ticket": ticket}))
    assert delivery == Delivery(delivery_id="42", transcripts=[])


def test_zendesk_email_used_as_requester_id_is_pseudonymised() -> None:
    ticket = {
        "id": 7,
        "requester_id": "Ann@Example.com",
        "comments": [{"author_id": "Ann@Example.com", "body": "hi"}],
    }
    (t,) = zendesk.parse({}, dumps({"ticket": ticket})).transcripts
    assert t["customer_id"] == pseudonym("zendesk-email", "ann@example.com")
    assert "example.com" not in t["customer_id"]


def test_zendesk_long_ticket_is_capped_at_max_turns() -> None:
    comments = [{"author_id": 5 if i % 2 else 9, "body": f"c{i}"} for i in range(MAX_TURNS + 5)]
    (t,) = zendesk.parse(
        {}, dumps({"ticket": {"id": 7, "requester_id": 5, "comments": comments}})
    ).transcripts
    assert len(t["turns"]) == MAX_TURNS and t["metadata"]["turns_truncated"] == 5
    validated(Delivery(None, [t]))


@pytest.mark.parametrize(
    "payload, field",
    [
        ({}, "ticket"),
        ({"type": "zen:event-type:ticket.comment_added", "detail": {}}, "ticket"),
        ({"ticket": [1]}, "ticket"),
        ({"ticket": {"requester_id": 5, "comments": []}}, "ticket.id"),
        ({"ticket": {"id": True, "requester_id": 5, "comments": []}}, "ticket.id"),
        ({"ticket": {"id": 1.5, "requester_id": 5, "comments": []}}, "ticket.id"),
        ({"ticket": {"id": -1, "requester_id": 5, "comments": []}}, "ticket.id"),
        ({"ticket": {"id": "x" * 500, "requester_id": 5, "comments": []}}, "ticket.id"),
        ({"ticket": {"id": "a\nb", "requester_id": 5, "comments": []}}, "ticket.id"),
        ({"ticket": {"id": 1, "comments": []}}, "ticket.requester_id"),
        ({"ticket": {"id": 1, "requester": "bob", "comments": []}}, "ticket.requester"),
        ({"ticket": {"id": 1, "requester_id": 5}}, "ticket.comments"),
        ({"ticket": {"id": 1, "requester_id": 5, "comments": "hello"}}, "ticket.comments"),
        ({"ticket": {"id": 1, "requester_id": 5, "comments": [{"body": "a"}, "b"]}}, "ticket.comments.1"),
        ({"ticket": {"id": 1, "requester_id": 5, "comments": [{"body": ["a"]}]}}, "ticket.comments.0.body"),
        (
            {"ticket": {"id": 1, "requester_id": 5, "comments": [{"body": "a", "public": "maybe"}]}},
            "ticket.comments.0.public",
        ),
        (
            {
                "ticket": {
                    "id": 1,
                    "requester_id": 5,
                    "comments": [{"body": "a", "created_at": "last tuesday"}],
                }
            },
            "ticket.comments.0.created_at",
        ),
        (
            {
                "ticket": {
                    "id": 1,
                    "requester_id": 5,
                    "comments": [{"body": "a", "data": {"call_duration": -3}}],
                }
            },
            "ticket.comments.0.data.call_duration",
        ),
        ({"ticket": {"id": 1, "requester_id": 5, "created_at": 1e30, "comments": []}}, "ticket.created_at"),
        ({"ticket": {"id": 1, "requester_id": 5, "tags": 5, "comments": []}}, "ticket.tags"),
        ({"ticket": {"id": 1, "requester_id": 5, "via": 3, "comments": []}}, "ticket.via"),
        (
            {"ticket": {"id": 1, "requester_id": 5, "satisfaction_rating": 5, "comments": []}},
            "ticket.satisfaction_rating",
        ),
    ],
)
def test_zendesk_malformed_payloads(payload: Any, field: str) -> None:
    with pytest.raises(PayloadError) as err:
        zendesk.parse({}, dumps(payload))
    assert err.value.field == field


def test_zendesk_unsupported_event_subscription_says_why() -> None:
    with pytest.raises(PayloadError, match="event-subscription"):
        zendesk.parse({}, dumps({"type": "zen:event-type:ticket.created", "detail": {"id": "1"}}))
