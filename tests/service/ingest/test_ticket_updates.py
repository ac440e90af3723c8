"""A ticket that grows over several webhook deliveries is stored once, whole; a late older snapshot does not
roll it back. One test per vendor (each sends its updates its own way), one for generic senders, one for the
API."""

from __future__ import annotations

import copy
import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import select

from service.db import Database
from service.ingest.models import Transcript
from tests.service.builders import batch, transcript_payload
from tests.service.conftest import FIXTURES, auth
from tests.service.ingest.test_webhooks_api import (  # noqa: F401 (_secrets: the autouse secrets fixture)
    FRESHDESK_SECRET,
    _secrets,
    generic_headers,
    intercom_headers,
    stored,
    zendesk_headers,
)

WEBHOOKS = FIXTURES / "webhooks"
NONE_NEW = {"accepted": 0, "duplicates": 1, "updated": 0}


def post(client: TestClient, source: str, data: dict[str, Any], headers: Any) -> dict[str, int]:
    body = json.dumps(data).encode()
    response = client.post(f"/v1/webhooks/{source}", content=body, headers=headers(body))
    assert response.status_code == 202, response.text
    return response.json()


def only_transcript(client: TestClient, key: str) -> dict[str, Any]:
    items = stored(client, key)
    assert len(items) == 1, [i["external_id"] for i in items]
    return items[0]


def test_zendesk_ticket_resent_whole_three_times_is_stored_once_with_every_comment(
    client: TestClient, keys: dict[str, str]
) -> None:
    full = json.loads((WEBHOOKS / "zendesk" / "ticket_email_with_comments.json").read_bytes())
    comments = full["ticket"]["comments"]  # 5 comments, the third private

    def snapshot(n: int) -> dict[str, Any]:
        data = copy.deepcopy(full)
        data["ticket"]["comments"] = comments[:n]
        data["ticket"]["updated_at"] = comments[n - 1]["created_at"]
        return data

    def signed(invocation: str) -> Any:
        return lambda body: {**zendesk_headers(body), "x-zendesk-webhook-invocation-id": invocation}

    assert post(client, "zendesk", snapshot(2), signed("inv-1"))["accepted"] == 1
    assert post(client, "zendesk", snapshot(4), signed("inv-2"))["updated"] == 1
    assert post(client, "zendesk", snapshot(5), signed("inv-3"))["updated"] == 1
    whole = [c["plain_body"] for c in comments if c["public"]]
    assert [t["text"] for t in only_transcript(client, keys["read"])["turns"]] == whole

    # The first snapshot again (a retry from Zendesk's queue, a new invocation id): it is older.
    assert post(client, "zendesk", snapshot(2), signed("inv-4")) == NONE_NEW
    assert [t["text"] for t in only_transcript(client, keys["read"])["turns"]] == whole


def _intercom_notification(full: dict[str, Any], notification: str, part_ids: list[str]) -> dict[str, Any]:
    data = copy.deepcopy(full)
    data["id"] = notification
    item = data["data"]["item"]
    parts = [p for p in item["conversation_parts"]["conversation_parts"] if p["id"] in part_ids]
    item["conversation_parts"]["conversation_parts"] = parts
    item["updated_at"] = max(p["created_at"] for p in parts)
    return data


def test_intercom_replies_arriving_part_by_part_are_appended_once(
    client: TestClient, keys: dict[str, str]
) -> None:
    full = json.loads((WEBHOOKS / "intercom" / "conversation_user_replied.json").read_bytes())
    first = _intercom_notification(full, "notif-1", ["200001"])
    assert post(client, "intercom", first, intercom_headers)["accepted"] == 1
    second = _intercom_notification(full, "notif-2", ["200002", "200003", "200004"])
    assert post(client, "intercom", second, intercom_headers)["updated"] == 1
    third = _intercom_notification(full, "notif-3", ["200005"])
    assert post(client, "intercom", third, intercom_headers)["updated"] == 1
    turns = only_transcript(client, keys["read"])["turns"]
    # The opening message, then parts 200001, 200003, 200005 (200002 is an assignment, 200004 a note).
    assert [t["speaker"] for t in turns] == ["customer", "bot", "agent", "customer"]
    assert "2 more seats" in turns[-1]["text"]

    late = _intercom_notification(full, "notif-4", ["200001"])  # the first parts, re-sent after the rest
    assert post(client, "intercom", late, intercom_headers) == NONE_NEW
    assert only_transcript(client, keys["read"])["turns"] == turns
    # The very same notification replayed is deduped by its id before any content is compared.
    assert post(client, "intercom", third, intercom_headers) == NONE_NEW


def _freshdesk_rule_run(
    full: dict[str, Any], comment: str, author: str, status: str, updated_at: str
) -> dict[str, Any]:
    data = copy.deepcopy(full)
    ticket = data["freshdesk_webhook"]
    ticket.update(
        ticket_latest_public_comment=comment,
        ticket_latest_public_comment_author=author,
        ticket_status=status,
        ticket_updated_at=updated_at,
    )
    return data


def test_freshdesk_latest_comments_are_appended_to_the_stored_conversation(
    client: TestClient, keys: dict[str, str]
) -> None:
    full = json.loads((WEBHOOKS / "freshdesk" / "ticket_created_portal.json").read_bytes())
    description = full["freshdesk_webhook"]["ticket_description"]
    created = _freshdesk_rule_run(full, description, "customer", "Open", "2024-05-02T07:45:10Z")
    replied = _freshdesk_rule_run(
        full,
        "We have re-sent the invoice with HS codes to your broker.",
        "agent",
        "Pending",
        "2024-05-02T09:00:00Z",
    )
    thanked = _freshdesk_rule_run(
        full, "Customs released it, thank you!", "customer", "Resolved", "2024-05-03T11:00:00Z"
    )

    def signed(body: bytes) -> dict[str, str]:
        return {"x-personas-secret": FRESHDESK_SECRET, "content-type": "application/json"}

    assert post(client, "freshdesk", created, signed)["accepted"] == 1
    assert post(client, "freshdesk", replied, signed)["updated"] == 1
    assert post(client, "freshdesk", thanked, signed)["updated"] == 1
    turns = only_transcript(client, keys["read"])["turns"]
    assert [t["speaker"] for t in turns] == ["customer", "agent", "customer"]
    assert turns[1]["text"].startswith("We have re-sent") and turns[2]["text"].startswith("Customs released")

    # Freshdesk sends no delivery id: the agent's reply re-sent late adds nothing and keeps the newer status.
    assert post(client, "freshdesk", replied, signed) == NONE_NEW
    assert only_transcript(client, keys["read"])["turns"] == turns


def test_generic_transcript_resent_whole_three_times_keeps_the_newest(
    client: TestClient, keys: dict[str, str]
) -> None:
    said = [
        {"speaker": "customer", "text": "The export button does nothing.", "at": "2026-10-01T09:30:00Z"},
        {"speaker": "agent", "text": "Which browser are you on?", "at": "2026-10-01T09:31:00Z"},
        {"speaker": "customer", "text": "Firefox 130 on Windows.", "at": "2026-10-01T09:33:00Z"},
    ]

    def version(n: int) -> dict[str, Any]:
        return transcript_payload("gen-grow", turns=said[:n])

    def signed(msg_id: str) -> Any:
        return lambda body: generic_headers(body, msg_id)

    assert post(client, "generic", version(1), signed("msg-1"))["accepted"] == 1
    assert post(client, "generic", version(2), signed("msg-2"))["updated"] == 1
    assert post(client, "generic", version(3), signed("msg-3"))["updated"] == 1
    assert post(client, "generic", version(2), signed("msg-4")) == NONE_NEW  # older: its last turn is earlier
    assert [t["text"] for t in only_transcript(client, keys["read"])["turns"]] == [t["text"] for t in said]


def test_api_changed_text_updates_and_same_text_is_a_duplicate(
    client: TestClient, db: Database, keys: dict[str, str]
) -> None:
    def send(text: str) -> dict[str, int]:
        body = batch(transcript_payload("api-1", text=text))
        response = client.post("/v1/transcripts", json=body, headers=auth(keys["ingest"]))
        assert response.status_code == 202, response.text
        return response.json()

    assert send("My order has not arrived.") == {"accepted": 1, "duplicates": 0, "updated": 0}
    assert send("My order has not arrived.") == {"accepted": 0, "duplicates": 1, "updated": 0}
    assert send("My  order has not\narrived.") == {
        "accepted": 0,
        "duplicates": 1,
        "updated": 0,
    }  # spacing only
    assert send("My order arrived broken, email me at ann@example.com") == {
        "accepted": 0,
        "duplicates": 0,
        "updated": 1,
    }
    item = only_transcript(client, keys["read"])
    assert item["turns"][1]["text"] == "My order arrived broken, email me at [EMAIL]"  # redacted again
    with db.transaction(write=False) as session:
        row = session.scalars(select(Transcript)).one()
        assert row.revision == 2 and row.content_hash is not None


def test_api_earlier_snapshot_without_times_does_not_roll_back(
    client: TestClient, keys: dict[str, str]
) -> None:
    """No turn has a time: a delivery whose turns are the stored turns' beginning is an earlier snapshot."""
    said = [
        {"speaker": "customer", "text": "Refund please."},
        {"speaker": "agent", "text": "Done."},
        {"speaker": "customer", "text": "Thanks!"},
    ]

    def send(turns: list[dict[str, str]]) -> dict[str, int]:
        body = batch(transcript_payload("api-2", turns=turns))
        return client.post("/v1/transcripts", json=body, headers=auth(keys["ingest"])).json()

    assert send(said[:2])["accepted"] == 1
    assert send(said)["updated"] == 1
    assert send(said[:2]) == NONE_NEW
    assert [t["text"] for t in only_transcript(client, keys["read"])["turns"]] == [t["text"] for t in said]
    corrected = [said[0], {"speaker": "agent", "text": "Done, refunded to the card."}]
    assert send(corrected)["updated"] == 1  # not the stored turns' beginning: a real change, even if shorter


def test_intercom_parts_delivered_at_the_same_time_are_all_kept(
    live_server: str, keys: dict[str, str]
) -> None:
    """Ten notifications for one conversation, each with a new part, all at once: none of the parts is lost
    (each delivery extends the stored conversation as the previous one left it)."""
    full = json.loads((WEBHOOKS / "intercom" / "conversation_user_replied.json").read_bytes())
    template = full["data"]["item"]["conversation_parts"]["conversation_parts"][0]
    bodies = []
    for n in range(10):
        data = copy.deepcopy(full)
        data["id"] = f"notif-burst-{n}"
        part = {
            **template,
            "id": f"9000{n}",
            "body": f"<p>Reply number {n}</p>",
            "created_at": 1709889000 + n,
        }
        data["data"]["item"]["conversation_parts"]["conversation_parts"] = [part]
        bodies.append(json.dumps(data).encode())

    def deliver(body: bytes) -> int:
        with httpx.Client(base_url=live_server, timeout=60) as http:
            return http.post(
                "/v1/webhooks/intercom", content=body, headers=intercom_headers(body)
            ).status_code

    with ThreadPoolExecutor(max_workers=10) as pool:
        assert list(pool.map(deliver, bodies)) == [202] * 10
    with httpx.Client(base_url=live_server) as http:
        items = http.get("/v1/transcripts", headers=auth(keys["read"])).json()["items"]
    assert len(items) == 1
    assert [t["text"] for t in items[0]["turns"][1:]] == [f"Reply number {n}" for n in range(10)]


def test_two_versions_in_one_batch_store_the_later_one(client: TestClient, keys: dict[str, str]) -> None:
    body = batch(
        transcript_payload("twice", text="First words."), transcript_payload("twice", text="Second words.")
    )
    response = client.post("/v1/transcripts", json=body, headers=auth(keys["ingest"]))
    assert response.json() == {"accepted": 1, "duplicates": 0, "updated": 1}
    assert only_transcript(client, keys["read"])["turns"][1]["text"] == "Second words."
