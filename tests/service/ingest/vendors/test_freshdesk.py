"""Freshdesk: shared secret, ticket mapping and malformed payloads."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import pytest

from service.ingest.vendors import VENDORS, Delivery, PayloadError, SignatureError
from tests.service.ingest.vendors.builders import (
    FRESHDESK_SECRET,
    NOW,
    dumps,
    fixture,
    speakers,
    validated,
)

freshdesk = VENDORS["freshdesk"]


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.mark.parametrize(
    "headers",
    [
        {"x-personas-secret": FRESHDESK_SECRET},
        {"authorization": basic("freshdesk", FRESHDESK_SECRET)},
        {"authorization": basic(FRESHDESK_SECRET, "X")},  # Freshdesk's API-key mode: key as user, "X"
        {"x-personas-secret": "wrong", "authorization": basic("u", FRESHDESK_SECRET)},
    ],
)
def test_freshdesk_shared_secret_verifies(headers: dict[str, str]) -> None:
    body = fixture("freshdesk", "ticket_created_portal")
    freshdesk.verify(headers, body, FRESHDESK_SECRET, NOW)


def test_freshdesk_missing_credentials() -> None:
    with pytest.raises(SignatureError, match="missing header"):
        freshdesk.verify({"content-type": "application/json"}, b"{}", FRESHDESK_SECRET, NOW)


@pytest.mark.parametrize(
    "headers, message",
    [
        ({"x-personas-secret": "fd-shared-secret-7c1f"}, "mismatch"),
        ({"x-personas-secret": FRESHDESK_SECRET + "x"}, "mismatch"),
        ({"authorization": basic("freshdesk", "nope")}, "mismatch"),
        ({"authorization": "Bearer " + FRESHDESK_SECRET}, "malformed"),
        ({"authorization": "Basic"}, "malformed"),
        ({"authorization": "Basic %%%not-base64%%%"}, "malformed"),
        ({"authorization": "Basic " + base64.b64encode(b"no-colon").decode()}, "malformed"),
        ({"authorization": "Basic " + base64.b64encode(b"\xff\xfe:x").decode()}, "malformed"),
        ({"x-personas-secret": "ünïcode"}, "mismatch"),
    ],
)
def test_freshdesk_wrong_or_malformed_credentials(headers: dict[str, str], message: str) -> None:
    with pytest.raises(SignatureError, match=message):
        freshdesk.verify(headers, b"{}", FRESHDESK_SECRET, NOW)


def test_freshdesk_empty_configured_secret_never_matches() -> None:
    with pytest.raises(SignatureError, match="secret"):
        freshdesk.verify({"x-personas-secret": ""}, b"{}", "", NOW)
    with pytest.raises(SignatureError, match="secret"):
        freshdesk.verify({"authorization": basic("", "")}, b"{}", "", NOW)


def test_freshdesk_created_ticket_maps_description_as_customer_turn() -> None:
    delivery = freshdesk.parse({}, fixture("freshdesk", "ticket_created_portal"))
    assert delivery.delivery_id is None
    (t,) = delivery.transcripts
    validated(delivery)
    assert t["external_id"] == "freshdesk-ticket-10452"
    assert t["customer_id"] == "77000987"  # company id first
    assert t["channel"] == "other"  # Portal
    assert t["started_at"] == "2024-05-02T07:45:10Z"
    # the latest public comment repeats the description on creation: one turn, not two
    assert speakers(t) == ["customer"]
    assert t["turns"][0]["text"] == (
        "Hello team,\n\nOur order #PO-7781 has been held in customs for 6 days. "
        "The broker says the commercial "
        "invoice is missing the HS codes.\n\nCan you resend it today? Our line is down without those parts."
        "\n\nRegards,\nTomás – Plant Ops"
    )
    m = t["metadata"]
    assert m["tags"] == ["logistics", "customs", "refund request"]
    assert m["escalated"] is True and m["customer_id_from"] == "organization"
    assert m["freshdesk_requester_id"] == "77000123456" and m["company_name"] == "Example Manufacturing GmbH"
    assert "tomas.ops@" not in json.dumps(t)  # the requester email is never copied


def test_freshdesk_email_only_ticket_uses_a_stable_pseudonym() -> None:
    (t,) = freshdesk.parse({}, fixture("freshdesk", "ticket_updated_email_only")).transcripts
    validated(Delivery(None, [t]))
    expected = "freshdesk-email-sha256-" + hashlib.sha256(b"j.rivera@example.net").hexdigest()[:32]
    assert t["customer_id"] == expected
    assert "rivera" not in json.dumps(t).lower()
    assert t["channel"] == "chat"
    assert t["started_at"] == "2024-05-20T16:03:00Z"
    assert speakers(t) == ["customer", "customer"]  # latest comment authored by the customer
    assert t["turns"][0]["text"].startswith("Since yesterday the 2FA codes by SMS don't arrive.")
    assert t["turns"][1] == {
        "speaker": "customer",
        "text": "Still nothing after your reset. This is blocking payroll for 40 people.",
    }
    assert t["metadata"]["customer_id_from"] == "email_hash" and "company_name" not in t["metadata"]


def test_freshdesk_latest_comment_defaults_to_agent_and_accepts_unwrapped_body() -> None:
    payload = {
        "ticket_id": 5,
        "ticket_requester_id": 99,
        "ticket_source": "3",
        "ticket_description": "My invoice is wrong.",
        "ticket_latest_public_comment": "Fixed, see attached.",
    }
    (t,) = freshdesk.parse({}, dumps(payload)).transcripts
    assert speakers(t) == ["customer", "agent"]
    assert t["customer_id"] == "99" and t["channel"] == "call"  # API source code 3 = Phone


@pytest.mark.parametrize(
    "source, channel",
    [
        ("Email", "email"),
        ("Outbound Email", "email"),
        ("Phone", "call"),
        ("Chat", "chat"),
        ("WhatsApp", "chat"),
        ("Portal", "other"),
        ("Feedback Widget", "other"),
        ("1", "email"),
        ("7", "chat"),
        (None, "other"),
    ],
)
def test_freshdesk_channel_mapping(source: str | None, channel: str) -> None:
    payload = {
        "freshdesk_webhook": {
            "ticket_id": 5,
            "ticket_requester_id": 9,
            "ticket_source": source,
            "ticket_description": "hi",
        }
    }
    (t,) = freshdesk.parse({}, dumps(payload)).transcripts
    assert t["channel"] == channel


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"ticket": {"id": 1}}, "freshdesk_webhook"),
        ({"freshdesk_webhook": "ticket 1"}, "freshdesk_webhook"),
        ({"freshdesk_webhook": {"ticket_subject": "x"}}, "freshdesk_webhook.ticket_id"),
        ({"freshdesk_webhook": {"ticket_id": ""}}, "freshdesk_webhook.ticket_id"),
        (
            {"freshdesk_webhook": {"ticket_id": 1, "ticket_description": "x"}},
            "freshdesk_webhook.ticket_requester_id",
        ),
        (
            {"freshdesk_webhook": {"ticket_id": 1, "ticket_contact_email": "not-an-email"}},
            "freshdesk_webhook.ticket_requester_id",
        ),
        (
            {"freshdesk_webhook": {"ticket_id": 1, "ticket_requester_id": [1]}},
            "freshdesk_webhook.ticket_requester_id",
        ),
        (
            {
                "freshdesk_webhook": {
                    "ticket_id": 1,
                    "ticket_requester_id": 2,
                    "ticket_description": {"html": "x"},
                }
            },
            "freshdesk_webhook.ticket_description",
        ),
        (
            {"freshdesk_webhook": {"ticket_id": 1, "ticket_requester_id": 2, "ticket_created_at": "Tuesday"}},
            "freshdesk_webhook.ticket_created_at",
        ),
        (
            {
                "freshdesk_webhook": {
                    "ticket_id": 1,
                    "ticket_requester_id": 2,
                    "ticket_latest_public_comment_author": "martian",
                }
            },
            "freshdesk_webhook.ticket_latest_public_comment_author",
        ),
        ({"ticket_id": None}, "ticket_id"),
    ],
)
def test_freshdesk_malformed_payloads(payload: Any, field: str) -> None:
    with pytest.raises(PayloadError) as err:
        freshdesk.parse({}, dumps(payload))
    assert err.value.field == field


def test_freshdesk_ticket_without_text_gives_no_transcript() -> None:
    payload = {
        "freshdesk_webhook": {"ticket_id": 1, "ticket_requester_id": 2, "ticket_description": "<p> </p>"}
    }
    assert freshdesk.parse({}, dumps(payload)) == Delivery(None, [])
