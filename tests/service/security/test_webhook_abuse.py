"""Hostile webhook deliveries: replays, stale or forged signatures, oversize, deeply nested, non-UTF-8 and
non-JSON bodies. Every rejection is the right 4xx as problem+json, and NOTHING is stored: neither a
transcript nor a webhook_deliveries row.

Documented behaviour (what these tests pin down):
- A replay is a delivery whose id was seen before (generic `webhook-id`, Zendesk invocation id, Intercom
  notification id). It is acknowledged with 202 `{"accepted": 0, "duplicates": n}` even when it carries a
  new timestamp and a fresh valid signature, and nothing is stored again. The delivery id is the
  idempotency key: a sender re-using an id for a *different* body gets the same acknowledgement and the new
  body is NOT stored (Standard Webhooks: the id identifies the message, retries must keep it).
- Freshdesk sends no delivery id (and signs nothing: a shared secret in a header), so its replays are
  absorbed by the transcript's idempotency on (source, external_id).
- Only Standard Webhooks (generic) and Zendesk sign a timestamp; Intercom and Freshdesk have no replay
  window to check, so the stale-timestamp cases exist for those two only.
- The generic source verifies with the `standardwebhooks` library, which needs the body as text: a body
  that is not UTF-8 cannot have its signature checked and is a 401; the other vendors sign raw bytes, so
  a correctly signed non-UTF-8 body reaches the JSON decoder and is a 422.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from service.config import Settings
from service.db import Database
from tests.service.security.conftest import (
    NOTHING_STORED,
    VENDORS,
    assert_problem,
    fixture_body,
    now_utc,
    row_counts,
    sign,
)

SIGNED_TIMESTAMP_VENDORS = ("generic", "zendesk")
BODY_SIGNING_VENDORS = ("generic", "zendesk", "intercom")
# Deliveries that carry an id of their own (Freshdesk has none).
DELIVERY_ID_VENDORS = ("generic", "zendesk", "intercom")


def post(client: TestClient, vendor: str, body: bytes | Iterator[bytes], headers: dict[str, str]):  # type: ignore[no-untyped-def]
    return client.post(f"/v1/webhooks/{vendor}", content=body, headers=headers)


def other_delivery(vendor: str) -> bytes:
    """The vendor's fixture changed so that it maps to a different transcript (a new external id)."""
    data = json.loads(fixture_body(vendor))
    if vendor == "generic":
        data["external_id"] = "call-other"
    elif vendor == "zendesk":
        data["ticket"]["id"] = 99999
    elif vendor == "intercom":
        data["data"]["item"]["id"] = "171100099999"
    else:
        data["freshdesk_webhook"]["ticket_id"] = 99999
    return json.dumps(data).encode()


# ------------------------------------------------------------------------------------------------- replays


@pytest.mark.parametrize("vendor", VENDORS)
def test_replay_with_fresh_timestamp_and_signature_is_acknowledged_and_stored_once(
    app_client: TestClient, db: Database, vendor: str
) -> None:
    body = fixture_body(vendor)
    first = post(app_client, vendor, body, sign(vendor, body, at=now_utc() - timedelta(seconds=90)))
    assert first.status_code == 202, first.text
    assert first.json() == {"accepted": 1, "duplicates": 0, "updated": 0}
    stored_once = {"transcripts": 1, "webhook_deliveries": 1 if vendor in DELIVERY_ID_VENDORS else 0}
    assert row_counts(db) == stored_once

    # The same delivery re-sent later: a new signed timestamp, a freshly computed valid signature.
    replay = post(app_client, vendor, body, sign(vendor, body, at=now_utc()))
    assert replay.status_code == 202, replay.text
    assert replay.json() == {"accepted": 0, "duplicates": 1, "updated": 0}
    assert row_counts(db) == stored_once


@pytest.mark.parametrize("vendor", DELIVERY_ID_VENDORS)
def test_reused_delivery_id_with_another_body_is_acknowledged_not_stored(
    app_client: TestClient, db: Database, vendor: str
) -> None:
    body = fixture_body(vendor)
    assert post(app_client, vendor, body, sign(vendor, body)).status_code == 202
    other = other_delivery(vendor)
    if vendor == "intercom":  # Intercom's delivery id is the notification id inside the body
        data = json.loads(other)
        assert data["id"] == json.loads(body)["id"]
    response = post(app_client, vendor, other, sign(vendor, other))
    assert response.status_code == 202 and response.json()["accepted"] == 0, response.text
    assert row_counts(db) == {"transcripts": 1, "webhook_deliveries": 1}


def test_generic_new_delivery_id_for_the_same_transcript_is_a_duplicate_transcript(
    app_client: TestClient, db: Database
) -> None:
    body = fixture_body("generic")
    assert post(app_client, "generic", body, sign("generic", body, delivery_id="a")).status_code == 202
    again = post(app_client, "generic", body, sign("generic", body, delivery_id="b"))
    assert again.status_code == 202 and again.json() == {"accepted": 0, "duplicates": 1, "updated": 0}
    assert row_counts(db) == {"transcripts": 1, "webhook_deliveries": 2}


# ------------------------------------------------------------------------------------ forged and stale


STALE = [timedelta(seconds=-400), timedelta(hours=-1), timedelta(days=-30), timedelta(seconds=400)]


@pytest.mark.parametrize("vendor", SIGNED_TIMESTAMP_VENDORS)
@pytest.mark.parametrize("offset", STALE, ids=["-400s", "-1h", "-30d", "+400s"])
def test_stale_or_future_timestamp_is_401_and_stores_nothing(
    app_client: TestClient, db: Database, vendor: str, offset: timedelta
) -> None:
    body = fixture_body(vendor)
    response = post(app_client, vendor, body, sign(vendor, body, at=now_utc() + offset))
    assert_problem(response, 401)
    assert "timestamp" in response.json()["detail"]
    assert row_counts(db) == NOTHING_STORED


@pytest.mark.parametrize(
    "timestamp", ["1700000000", "2020-01-01T00:00:00+00:00", "2030-01-01T00:00:00", "soon", "9" * 80]
)
def test_zendesk_bad_timestamps_are_401(app_client: TestClient, db: Database, timestamp: str) -> None:
    body = fixture_body("zendesk")
    headers = sign("zendesk", body)
    headers["x-zendesk-webhook-signature-timestamp"] = timestamp  # the signature no longer matches either
    assert_problem(post(app_client, "zendesk", body, headers), 401)
    assert row_counts(db) == NOTHING_STORED


@pytest.mark.parametrize("vendor", BODY_SIGNING_VENDORS)
def test_signature_over_another_body_is_401_and_stores_nothing(
    app_client: TestClient, db: Database, vendor: str
) -> None:
    body, other = fixture_body(vendor), other_delivery(vendor)
    for sent, signed in ((other, body), (body + b" ", body), (body[:-2], body)):
        response = post(app_client, vendor, sent, sign(vendor, sent, signed_body=signed))
        assert_problem(response, 401)
    assert row_counts(db) == NOTHING_STORED


@pytest.mark.parametrize("vendor", VENDORS)
def test_another_vendors_or_no_credentials_are_401(app_client: TestClient, db: Database, vendor: str) -> None:
    body = fixture_body(vendor)
    for foreign in (v for v in VENDORS if v != vendor):
        headers = sign(foreign, body)
        assert_problem(post(app_client, vendor, body, headers), 401)
    assert_problem(post(app_client, vendor, body, {"content-type": "application/json"}), 401)
    # Freshdesk's only proof is the shared secret (no body signature): a wrong one is refused too.
    wrong = {
        "x-personas-secret": "guess",
        "authorization": "Basic Z3Vlc3M6Z3Vlc3M=",
        "content-type": "application/json",
    }
    assert_problem(post(app_client, vendor, body, wrong), 401)
    assert row_counts(db) == NOTHING_STORED


@pytest.mark.parametrize("source", ["../generic", "GENERIC", "generic%00", "zendesk.json", "x" * 33, "admin"])
def test_unknown_sources_are_4xx(app_client: TestClient, db: Database, source: str) -> None:
    body = fixture_body("generic")
    response = app_client.post(f"/v1/webhooks/{source}", content=body, headers=sign("generic", body))
    assert response.status_code in (404, 405, 422), response.text
    assert row_counts(db) == NOTHING_STORED


# ------------------------------------------------------------------------------------------ hostile bodies


def _chunks(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        n = min(size, total - sent)
        yield b" " * n
        sent += n


@pytest.mark.parametrize("vendor", VENDORS)
def test_oversize_body_is_413_fast_with_or_without_content_length(
    app_client: TestClient, db: Database, secured_settings: Settings, vendor: str
) -> None:
    limit = secured_settings.max_body_bytes
    # A real delivery padded with JSON whitespace past the limit, correctly signed.
    body = fixture_body(vendor) + b" " * (limit + 1 - len(fixture_body(vendor)))
    headers = sign(vendor, body)
    started = time.perf_counter()
    response = post(app_client, vendor, body, headers)
    declared = time.perf_counter() - started
    assert_problem(response, 413)
    # No Content-Length (chunked): the limit is enforced while reading, not from the header.
    started = time.perf_counter()
    response = post(app_client, vendor, _chunks(limit * 3), sign(vendor, b"{}"))
    streamed = time.perf_counter() - started
    assert_problem(response, 413)
    assert declared < 2 and streamed < 2, (declared, streamed)
    assert row_counts(db) == NOTHING_STORED


def nested(depth: int) -> bytes:
    return b'{"ticket": ' + b"[" * depth + b"]" * depth + b"}"


@pytest.mark.parametrize("vendor", VENDORS)
@pytest.mark.parametrize("depth", [33, 1_000, 100_000])
def test_deeply_nested_json_signed_correctly_is_422(
    app_client: TestClient, db: Database, vendor: str, depth: int
) -> None:
    body = nested(depth)
    started = time.perf_counter()
    response = post(app_client, vendor, body, sign(vendor, body))
    assert_problem(response, 422)
    assert "nested" in response.json()["detail"]
    assert time.perf_counter() - started < 2
    assert row_counts(db) == NOTHING_STORED


@pytest.mark.parametrize("depth", [33, 500])
def test_deeply_nested_metadata_through_the_generic_batch_is_422(
    app_client: TestClient, db: Database, depth: int
) -> None:
    data = json.loads(fixture_body("generic"))
    text = json.dumps({"transcripts": [data]})
    body = text.replace(
        '"metadata": {', '"metadata": {"deep": ' + "[" * depth + "]" * depth + ", ", 1
    ).encode()
    assert_problem(post(app_client, "generic", body, sign("generic", body)), 422)
    assert row_counts(db) == NOTHING_STORED


INVALID_UTF8 = [
    b'{"ticket": "\xff\xfe"}',
    b"\xc3\x28",
    b'{"a": "\xed\xa0\x80"}',
    b'{"a": "\x80"}',
    b"\xef\xbb\xbf\xff",
]


@pytest.mark.parametrize("vendor", VENDORS)
@pytest.mark.parametrize("index", range(len(INVALID_UTF8)))
def test_invalid_utf8_is_4xx_and_stores_nothing(
    app_client: TestClient, db: Database, vendor: str, index: int
) -> None:
    body = INVALID_UTF8[index]
    if vendor == "generic":
        # The library signs text; sign the valid prefix and send the invalid bytes: rejected as unverifiable.
        headers = sign(vendor, b"{}")
        response = post(app_client, vendor, body, headers)
        assert_problem(response, 401)
    else:
        response = post(app_client, vendor, body, sign(vendor, body))
        assert_problem(response, 422)
        assert response.json()["errors"][0]["field"] == "body"
    assert row_counts(db) == NOTHING_STORED


WRONG_CONTENT_TYPES = [
    "text/plain",
    "text/plain; charset=utf-8",
    "multipart/form-data; boundary=xyz",
    "application/x-www-form-urlencoded",
    "application/xml",
    "application/jsonx",
    None,
]


@pytest.mark.parametrize("vendor", VENDORS)
@pytest.mark.parametrize("content_type", WRONG_CONTENT_TYPES, ids=lambda c: str(c))
def test_wrong_content_type_is_415_and_stores_nothing(
    app_client: TestClient, db: Database, vendor: str, content_type: str | None
) -> None:
    body = fixture_body(vendor)  # a valid, correctly signed delivery: only the media type is wrong
    headers = sign(vendor, body, content_type=content_type)
    response = post(app_client, vendor, body, headers)
    assert_problem(response, 415)
    assert row_counts(db) == NOTHING_STORED


@pytest.mark.parametrize(
    "content_type", ["application/json; charset=utf-8", "APPLICATION/JSON", "application/cloudevents+json"]
)
def test_json_media_types_with_parameters_are_accepted(
    app_client: TestClient, db: Database, content_type: str
) -> None:
    body = fixture_body("generic")
    response = post(app_client, "generic", body, sign("generic", body, content_type=content_type))
    assert response.status_code == 202, response.text


def test_multipart_upload_with_a_signed_json_part_is_415(app_client: TestClient, db: Database) -> None:
    body = fixture_body("generic")
    headers = sign("generic", body, content_type=None)
    response = app_client.post("/v1/webhooks/generic", files={"file": ("t.json", body)}, headers=headers)
    assert_problem(response, 401, 415)  # the multipart envelope is not the signed body: 401 comes first
    assert row_counts(db) == NOTHING_STORED


@pytest.mark.parametrize("vendor", DELIVERY_ID_VENDORS)
def test_rejected_delivery_does_not_burn_its_id(app_client: TestClient, db: Database, vendor: str) -> None:
    """A 422 (bad payload) records no delivery id: the sender's corrected retry with that id is stored."""
    good = fixture_body(vendor)
    bad = json.dumps({"transcripts": "nope"} if vendor == "generic" else {"unexpected": True}).encode()
    if vendor == "intercom":
        bad = json.dumps({"id": json.loads(good)["id"], "topic": "conversation.user.replied"}).encode()
    assert_problem(post(app_client, vendor, bad, sign(vendor, bad, delivery_id="retry-1")), 422)
    assert row_counts(db) == NOTHING_STORED
    response = post(app_client, vendor, good, sign(vendor, good, delivery_id="retry-1"))
    assert response.status_code == 202 and response.json()["accepted"] == 1, response.text


def test_generic_overlong_delivery_id_is_rejected_without_a_500(app_client: TestClient, db: Database) -> None:
    body = fixture_body("generic")
    response = post(app_client, "generic", body, sign("generic", body, delivery_id="m" * 1000))
    assert_problem(response, 422)
    assert row_counts(db) == NOTHING_STORED
