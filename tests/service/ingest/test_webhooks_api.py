"""POST /v1/webhooks/{source}: signatures, mapping to stored transcripts, replays and concurrency."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import httpx
import pytest
from fastapi.testclient import TestClient
from standardwebhooks import Webhook

from service.config import Settings
from tests.service.builders import transcript_payload
from tests.service.conftest import FIXTURES, auth

GENERIC_SECRET = "whsec_" + base64.b64encode(b"generic-test-secret-0123456789ab").decode()
ZENDESK_SECRET = "zendesk-signing-secret"
INTERCOM_SECRET = "intercom-client-secret"
FRESHDESK_SECRET = "freshdesk-shared-secret"


@pytest.fixture(autouse=True)
def _secrets(settings: Settings) -> None:
    settings.webhook_secrets.update(
        generic=GENERIC_SECRET, zendesk=ZENDESK_SECRET, intercom=INTERCOM_SECRET, freshdesk=FRESHDESK_SECRET
    )


def generic_headers(body: bytes, msg_id: str = "msg_1", at: datetime | None = None) -> dict[str, str]:
    at = at or datetime.now(UTC)
    signature = Webhook(GENERIC_SECRET).sign(msg_id, at, body.decode())
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
        "content-type": "application/json",
    }


def zendesk_headers(body: bytes, timestamp: str | None = None) -> dict[str, str]:
    timestamp = timestamp or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    digest = hmac.new(ZENDESK_SECRET.encode(), timestamp.encode() + body, hashlib.sha256).digest()
    return {
        "x-zendesk-webhook-signature": base64.b64encode(digest).decode(),
        "x-zendesk-webhook-signature-timestamp": timestamp,
        "content-type": "application/json",
    }


def intercom_headers(body: bytes) -> dict[str, str]:
    digest = hmac.new(INTERCOM_SECRET.encode(), body, hashlib.sha1).hexdigest()
    return {"x-hub-signature": f"sha1={digest}", "content-type": "application/json"}


def stored(client: TestClient, key: str) -> list[dict]:
    return client.get("/v1/transcripts", params={"limit": 500}, headers=auth(key)).json()["items"]


def test_generic_delivery_is_stored_and_replay_acknowledged_once(
    client: TestClient, keys: dict[str, str]
) -> None:
    body = json.dumps(transcript_payload("wh-1", text="Call me on +44 20 7946 0958 please")).encode()
    first = client.post("/v1/webhooks/generic", content=body, headers=generic_headers(body))
    assert first.status_code == 202 and first.json() == {"accepted": 1, "duplicates": 0, "updated": 0}
    replay = client.post("/v1/webhooks/generic", content=body, headers=generic_headers(body))
    assert replay.status_code == 202 and replay.json()["accepted"] == 0
    items = stored(client, keys["read"])
    assert [i["external_id"] for i in items] == ["wh-1"]
    assert items[0]["source"] == "generic"
    assert "7946" not in items[0]["turns"][1]["text"]


def test_generic_batch_fixture(client: TestClient, keys: dict[str, str]) -> None:
    body = (FIXTURES / "webhooks" / "generic" / "batch.json").read_bytes()
    response = client.post("/v1/webhooks/generic", content=body, headers=generic_headers(body, "msg_batch"))
    assert response.status_code == 202
    assert response.json()["accepted"] == len(json.loads(body)["transcripts"])


@pytest.mark.parametrize("source", ["nope", "generic"])
def test_unknown_or_unconfigured_source_is_404(client: TestClient, settings: Settings, source: str) -> None:
    del settings.webhook_secrets["generic"]
    response = client.post(
        f"/v1/webhooks/{source}", content=b"{}", headers={"content-type": "application/json"}
    )
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


def _generic_failures(body: bytes) -> list[dict[str, str]]:
    good = generic_headers(body)
    stale = generic_headers(body, at=datetime.fromtimestamp(time.time() - 3600, UTC))
    other = generic_headers(b'{"other": true}')
    return [
        {},
        {k: v for k, v in good.items() if k != "webhook-signature"},
        {**good, "webhook-signature": "v1,@@@not-base64@@@"},
        {**good, "webhook-signature": "garbage"},
        {**good, "webhook-timestamp": "soon"},
        stale,
        {**good, "webhook-signature": other["webhook-signature"]},
    ]


@pytest.mark.parametrize("case", range(7))
def test_generic_signature_failures_are_401_and_store_nothing(
    client: TestClient, keys: dict[str, str], case: int
) -> None:
    body = json.dumps(transcript_payload("bad")).encode()
    headers = _generic_failures(body)[case]
    response = client.post("/v1/webhooks/generic", content=body, headers=headers)
    assert response.status_code == 401, response.text
    assert response.json()["detail"].startswith("Webhook signature rejected")
    assert stored(client, keys["read"]) == []


def test_zendesk_ticket_maps_to_transcript(client: TestClient, keys: dict[str, str]) -> None:
    body = (FIXTURES / "webhooks" / "zendesk" / "ticket_email_with_comments.json").read_bytes()
    response = client.post("/v1/webhooks/zendesk", content=body, headers=zendesk_headers(body))
    assert response.status_code == 202 and response.json()["accepted"] == 1
    item = stored(client, keys["read"])[0]
    assert item["external_id"].startswith("zendesk-ticket-") and item["source"] == "zendesk"
    assert {t["speaker"] for t in item["turns"]} >= {"customer", "agent"}
    wrong = zendesk_headers(body, timestamp="2020-01-01T00:00:00Z")
    assert client.post("/v1/webhooks/zendesk", content=body, headers=wrong).status_code == 401
    tampered = client.post("/v1/webhooks/zendesk", content=body + b" ", headers=zendesk_headers(body))
    assert tampered.status_code == 401


def test_intercom_conversation_maps_and_notification_id_dedupes(
    client: TestClient, keys: dict[str, str]
) -> None:
    body = (FIXTURES / "webhooks" / "intercom" / "conversation_user_replied.json").read_bytes()
    assert (
        client.post("/v1/webhooks/intercom", content=body, headers=intercom_headers(body)).status_code == 202
    )
    again = client.post("/v1/webhooks/intercom", content=body, headers=intercom_headers(body))
    assert again.status_code == 202 and again.json()["accepted"] == 0
    items = stored(client, keys["read"])
    assert len(items) == 1 and items[0]["external_id"].startswith("intercom-conv-")
    bad = {"x-hub-signature": "sha1=" + "0" * 40, "content-type": "application/json"}
    assert client.post("/v1/webhooks/intercom", content=body, headers=bad).status_code == 401


def test_freshdesk_shared_secret(client: TestClient, keys: dict[str, str]) -> None:
    body = (FIXTURES / "webhooks" / "freshdesk" / "ticket_created_portal.json").read_bytes()
    ok = {"x-personas-secret": FRESHDESK_SECRET, "content-type": "application/json"}
    assert client.post("/v1/webhooks/freshdesk", content=body, headers=ok).status_code == 202
    wrong = {"x-personas-secret": "guess", "content-type": "application/json"}
    assert client.post("/v1/webhooks/freshdesk", content=body, headers=wrong).status_code == 401
    assert len(stored(client, keys["read"])) == 1


def signed_bytes_headers(body: bytes, msg_id: str) -> dict[str, str]:
    """Standard Webhooks headers for any bytes (the library signs text only): v1 = HMAC-SHA256 of
    "id.timestamp.body" under the base64 key after `whsec_`."""
    timestamp = str(int(time.time()))
    key = base64.b64decode(GENERIC_SECRET.removeprefix("whsec_"))
    digest = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": timestamp,
        "webhook-signature": "v1," + base64.b64encode(digest).decode(),
        "content-type": "application/json",
    }


def test_signed_but_malformed_payloads_are_422(client: TestClient, keys: dict[str, str]) -> None:
    for n, body in enumerate((b"not json", b"[1, 2]", json.dumps({"external_id": "x"}).encode())):
        assert (
            signed_bytes_headers(body, "m")["webhook-signature"]
            == generic_headers(body, "m")["webhook-signature"]
        )
        response = client.post("/v1/webhooks/generic", content=body, headers=generic_headers(body, f"m{n}"))
        assert response.status_code == 422, (body, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
    # A body that is not UTF-8 cannot be checked against a Standard Webhooks signature (the scheme signs
    # text), so even a correct HMAC over its bytes is refused as unverifiable: 401, saying why.
    binary = b"\xff\xfe{}"
    response = client.post(
        "/v1/webhooks/generic", content=binary, headers=signed_bytes_headers(binary, "m-bin")
    )
    assert response.status_code == 401 and "not UTF-8" in response.json()["detail"], response.text
    missing = json.dumps({"customer_id": "c", "turns": [{"speaker": "customer", "text": "hi"}]}).encode()
    response = client.post(
        "/v1/webhooks/generic", content=missing, headers=generic_headers(missing, "m-missing")
    )
    assert response.status_code == 422
    assert any(e["field"].endswith("external_id") for e in response.json()["errors"])
    assert stored(client, keys["read"]) == []


def test_same_delivery_twenty_times_concurrently_stores_one(live_server: str, keys: dict[str, str]) -> None:
    body = json.dumps(transcript_payload("concurrent-1")).encode()
    headers = generic_headers(body, msg_id="msg_concurrent")

    def deliver(_: int) -> int:
        with httpx.Client(base_url=live_server, timeout=30) as http:
            return http.post("/v1/webhooks/generic", content=body, headers=headers).status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(deliver, range(20)))
    assert statuses == [202] * 20
    with httpx.Client(base_url=live_server) as http:
        items = http.get("/v1/transcripts", headers=auth(keys["read"])).json()["items"]
    assert [i["external_id"] for i in items] == ["concurrent-1"]
