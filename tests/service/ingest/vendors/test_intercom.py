"""Intercom: signature, conversation mapping and malformed payloads."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import pytest

from service.ingest.vendors import VENDORS, Delivery, PayloadError, SignatureError
from service.ingest.vendors.pseudonyms import pseudonym
from tests.service.ingest.vendors.builders import (
    INTERCOM_SECRET,
    NOW,
    dumps,
    fixture,
    fixture_json,
    iso,
    speakers,
    validated,
)

intercom = VENDORS["intercom"]


def intercom_headers(body: bytes, secret: str = INTERCOM_SECRET) -> dict[str, str]:
    return {"x-hub-signature": "sha1=" + hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()}


def test_intercom_valid_signature_verifies() -> None:
    body = fixture("intercom", "conversation_user_replied")
    intercom.verify(intercom_headers(body), body, INTERCOM_SECRET, NOW)


def test_intercom_accepts_upper_case_hex() -> None:
    body = fixture("intercom", "ping")
    headers = {"x-hub-signature": intercom_headers(body)["x-hub-signature"].upper().replace("SHA1=", "sha1=")}
    intercom.verify(headers, body, INTERCOM_SECRET, NOW)


def test_intercom_missing_header() -> None:
    body = fixture("intercom", "ping")
    with pytest.raises(SignatureError, match="missing header x-hub-signature"):
        intercom.verify({}, body, INTERCOM_SECRET, NOW)


@pytest.mark.parametrize(
    "value",
    [
        "deadbeef",
        "sha1=xyz",
        "sha256=" + "a" * 64,
        "sha1=" + "a" * 39,
        "sha1=" + "a" * 41,
        "sha1 =" + "a" * 40,
    ],
)
def test_intercom_malformed_header(value: str) -> None:
    body = fixture("intercom", "ping")
    with pytest.raises(SignatureError, match="malformed"):
        intercom.verify({"x-hub-signature": value}, body, INTERCOM_SECRET, NOW)


def test_intercom_mismatch_on_wrong_secret_or_tampered_body() -> None:
    body = fixture("intercom", "conversation_user_replied")
    with pytest.raises(SignatureError, match="mismatch"):
        intercom.verify(intercom_headers(body, "wrong"), body, INTERCOM_SECRET, NOW)
    with pytest.raises(SignatureError, match="mismatch"):
        intercom.verify(
            intercom_headers(body), body.replace(b"acct-4821", b"acct-4822"), INTERCOM_SECRET, NOW
        )


def test_intercom_empty_secret_is_refused() -> None:
    body = fixture("intercom", "ping")
    with pytest.raises(SignatureError, match="secret"):
        intercom.verify(intercom_headers(body, ""), body, "", NOW)


def test_intercom_conversation_maps_source_and_parts() -> None:
    delivery = intercom.parse({}, fixture("intercom", "conversation_user_replied"))
    assert delivery.delivery_id == "notif_3c7e9a52-8b41-4f0e-9d27-1a2b3c4d5e6f"
    (t,) = delivery.transcripts
    validated(delivery)
    assert t["external_id"] == "intercom-conv-171100000123"
    assert t["customer_id"] == "acct-4821"  # the contact's external_id
    assert t["channel"] == "chat"
    assert t["started_at"] == iso(1709888400)
    # source (user), Fin (bot), admin reply; the empty assignment and the note are not turns
    assert speakers(t) == ["customer", "bot", "agent", "customer"]
    assert t["turns"][0]["text"] == "Hi! Our team can't invite new members — the invite button is greyed out."
    assert t["turns"][2]["text"] == (
        "Hi Priya, you're on the Starter plan, which has a limit of 5 seats.\n\n"
        "Upgrading to Team removes the limit."
    )
    assert [x["at"] for x in t["turns"]] == [
        iso(1709888400),
        iso(1709888405),
        iso(1709889000),
        iso(1709892600),
    ]
    assert all("Upsell" not in x["text"] for x in t["turns"])
    m = t["metadata"]
    assert m["tags"] == ["seats", "plan-limits"]
    assert m["csat_rating"] == 4 and m["csat"] == 0.75
    assert m["notes"] == 1 and m["topic"] == "conversation.user.replied" and m["state"] == "open"
    assert m["intercom_conversation_id"] == "171100000123" and m["intercom_app_id"] == "x7qk2l9a"
    assert "priya@example.com" not in json.dumps(t)


def test_intercom_email_conversation_orders_parts_and_skips_redacted_and_empty() -> None:
    (t,) = intercom.parse({}, fixture("intercom", "conversation_email_lead_unordered")).transcripts
    validated(Delivery(None, [t]))
    assert t["customer_id"] == "66aa00bb11cc22dd33ee44ff"  # no external_id: the contact id
    assert t["channel"] == "email"
    assert speakers(t) == ["customer", "agent", "customer", "agent"]
    assert t["turns"][0]["text"] == (
        "Hello,\n\nDo your invoices show VAT for EU customers & can we add our VAT ID?\n\nThanks,\nMarta"
    )
    assert (
        t["turns"][1]["text"] == "Yes – add it under Billing > Tax details and it appears on every invoice."
    )
    assert t["turns"][3]["text"] == "Glad that helped. Closing this for now."  # a close part with a message
    assert "redacted" not in json.dumps(t["turns"])
    assert "color:red" not in t["turns"][0]["text"]
    assert "csat" not in t["metadata"] and "tags" not in t["metadata"]


def test_intercom_ping_and_non_conversation_items_are_acknowledged_without_transcripts() -> None:
    assert intercom.parse({}, fixture("intercom", "ping")) == Delivery("notif_ping_5d6e7f80", [])
    contact = {
        "type": "notification_event",
        "id": "notif_c1",
        "topic": "contact.user.created",
        "data": {"item": {"type": "contact", "id": "abc", "email": "a@b.c"}},
    }
    assert intercom.parse({}, dumps(contact)) == Delivery("notif_c1", [])


def test_intercom_conversation_without_contacts_uses_a_customer_source_author() -> None:
    data = fixture_json("intercom", "conversation_user_replied")
    del data["data"]["item"]["contacts"]
    (t,) = intercom.parse({}, dumps(data)).transcripts
    assert t["customer_id"] == "65eb1f2a9c1d2e0012ab34cd"


def test_intercom_email_as_contact_external_id_is_pseudonymised() -> None:
    data = fixture_json("intercom", "conversation_user_replied")
    data["data"]["item"]["contacts"]["contacts"][0]["external_id"] = "priya@example.com"
    (t,) = intercom.parse({}, dumps(data)).transcripts
    assert t["customer_id"] == pseudonym("intercom-email", "priya@example.com")


def _conv(**item: Any) -> bytes:
    base = {"type": "conversation", "id": "1", "contacts": {"contacts": [{"id": "c1"}]}}
    return dumps(
        {
            "type": "notification_event",
            "id": "notif_x",
            "topic": "conversation.user.created",
            "data": {"item": base | item},
        }
    )


@pytest.mark.parametrize(
    "body, field",
    [
        (dumps({"id": "notif_x", "data": {}}), "type"),
        (dumps({"type": "event", "id": "notif_x"}), "type"),
        (dumps({"type": "notification_event", "data": {"item": {}}}), "id"),
        (dumps({"type": "notification_event", "id": {"a": 1}}), "id"),
        (dumps({"type": "notification_event", "id": "n", "topic": "conversation.user.created"}), "data"),
        (dumps({"type": "notification_event", "id": "n", "data": {"item": []}}), "data.item"),
        (dumps({"type": "notification_event", "id": "n", "data": {}}), "data.item"),
        (_conv(id=None), "data.item.id"),
        (
            _conv(contacts=None, source={"author": {"type": "admin", "id": "7"}, "body": "hi"}),
            "data.item.contacts",
        ),
        (_conv(contacts={"contacts": [{"type": "contact"}]}), "data.item.contacts.contacts.0.id"),
        (_conv(contacts={"contacts": "c1"}), "data.item.contacts.contacts"),
        (
            _conv(conversation_parts={"conversation_parts": {"a": 1}}),
            "data.item.conversation_parts.conversation_parts",
        ),
        (
            _conv(conversation_parts={"conversation_parts": [{"body": "x", "created_at": "soon"}]}),
            "data.item.conversation_parts.conversation_parts.0.created_at",
        ),
        (
            _conv(conversation_parts={"conversation_parts": [{"body": 12.5}]}),
            "data.item.conversation_parts.conversation_parts.0.body",
        ),
        (_conv(source="hello"), "data.item.source"),
        (
            _conv(source={"body": "hi", "author": {"type": "user"}}, conversation_rating={"rating": 9}),
            "data.item.conversation_rating.rating",
        ),
        (_conv(created_at=-5), "data.item.created_at"),
    ],
)
def test_intercom_malformed_payloads(body: bytes, field: str) -> None:
    with pytest.raises(PayloadError) as err:
        intercom.parse({}, body)
    assert err.value.field == field


def test_intercom_conversation_without_text_gives_no_transcript() -> None:
    assert intercom.parse({}, _conv(source={"body": "", "author": {"type": "user"}})) == Delivery(
        "notif_x", []
    )
