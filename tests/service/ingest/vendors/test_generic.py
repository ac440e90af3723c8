"""Standard Webhooks (generic): signature, freshness and payload mapping."""

from __future__ import annotations

import base64
import time
from datetime import UTC, datetime

import pytest
from standardwebhooks import Webhook

from service.ingest.vendors import VENDORS, PayloadError, SignatureError
from tests.service.ingest.vendors.builders import (
    GENERIC_SECRET,
    fixture,
    fixture_json,
    validated,
)

generic = VENDORS["generic"]


def generic_headers(
    body: bytes, *, secret: str = GENERIC_SECRET, msg_id: str = "msg_2hG7Yl3kq", ts: float | None = None
) -> dict[str, str]:
    ts = time.time() if ts is None else ts
    signature = Webhook(secret).sign(msg_id, datetime.fromtimestamp(int(ts), tz=UTC), body.decode())
    return {"webhook-id": msg_id, "webhook-timestamp": str(int(ts)), "webhook-signature": signature}


def test_generic_valid_signature_verifies() -> None:
    body = fixture("generic", "single_transcript")
    generic.verify(generic_headers(body), body, GENERIC_SECRET, time.time())


def test_generic_accepts_when_any_of_several_signatures_matches() -> None:
    body = fixture("generic", "batch")
    headers = generic_headers(body)
    other = generic_headers(body, secret="whsec_" + base64.b64encode(b"another-secret").decode())
    headers["webhook-signature"] = f"{other['webhook-signature']} {headers['webhook-signature']}"
    generic.verify(headers, body, GENERIC_SECRET, time.time())


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_generic_missing_header(missing: str) -> None:
    body = fixture("generic", "single_transcript")
    headers = generic_headers(body)
    del headers[missing]
    with pytest.raises(SignatureError, match=f"missing header {missing}"):
        generic.verify(headers, body, GENERIC_SECRET, time.time())


def test_generic_blank_header_counts_as_missing() -> None:
    body = fixture("generic", "single_transcript")
    headers = generic_headers(body) | {"webhook-id": "  "}
    with pytest.raises(SignatureError, match="missing header webhook-id"):
        generic.verify(headers, body, GENERIC_SECRET, time.time())


def test_generic_wrong_secret_and_tampered_body_mismatch() -> None:
    body = fixture("generic", "single_transcript")
    headers = generic_headers(body, secret="whsec_" + base64.b64encode(b"not-the-right-secret").decode())
    with pytest.raises(SignatureError, match="mismatch"):
        generic.verify(headers, body, GENERIC_SECRET, time.time())
    headers = generic_headers(body)
    with pytest.raises(SignatureError, match="mismatch"):
        generic.verify(headers, body.replace(b"acct-1187", b"acct-9999"), GENERIC_SECRET, time.time())


def test_generic_signature_covers_the_message_id() -> None:
    body = fixture("generic", "single_transcript")
    headers = generic_headers(body) | {"webhook-id": "msg_other"}
    with pytest.raises(SignatureError, match="mismatch"):
        generic.verify(headers, body, GENERIC_SECRET, time.time())


@pytest.mark.parametrize("offset, reason", [(-301, "stale"), (301, "future")])
def test_generic_timestamp_outside_tolerance(offset: int, reason: str) -> None:
    body = fixture("generic", "single_transcript")
    now = time.time()
    headers = generic_headers(body, ts=now + offset)
    with pytest.raises(SignatureError, match=reason):
        generic.verify(headers, body, GENERIC_SECRET, now)


def test_generic_freshness_follows_the_injected_now() -> None:
    body = fixture("generic", "single_transcript")
    real = time.time()
    headers = generic_headers(body, ts=real)  # fresh for the real clock, stale for `now`
    with pytest.raises(SignatureError, match="stale"):
        generic.verify(headers, body, GENERIC_SECRET, real + 400)
    generic.verify(headers, body, GENERIC_SECRET, real + 200)  # within tolerance of `now`


@pytest.mark.parametrize("value", ["abc", "1.7e9", "-5", "", "١٧١٧٠٠٠٠٠٠", "17170000000000000"])
def test_generic_non_numeric_timestamp(value: str) -> None:
    body = fixture("generic", "single_transcript")
    headers = generic_headers(body) | {"webhook-timestamp": value}
    with pytest.raises(SignatureError):
        generic.verify(headers, body, GENERIC_SECRET, time.time())


@pytest.mark.parametrize(
    "signature, message",
    [
        ("garbage", "malformed"),
        ("v1", "malformed"),
        ("v1,***not-base64***", "malformed"),
        ("v2,AAAA", "no v1"),
        ("v1,AAAA", "mismatch"),
        ("v1,QUJD", "mismatch"),
        ("v1,A", "signature"),  # base64 with bad padding: the library's binascii error is mapped
    ],
)
def test_generic_malformed_or_wrong_signature(signature: str, message: str) -> None:
    body = fixture("generic", "single_transcript")
    headers = generic_headers(body) | {"webhook-signature": signature}
    with pytest.raises(SignatureError, match=message):
        generic.verify(headers, body, GENERIC_SECRET, time.time())


@pytest.mark.parametrize("secret", ["", "whsec_", "whsec_!!!", "not*base64*at-all", "whsec_A"])
def test_generic_malformed_secret_is_a_signature_error(secret: str) -> None:
    body = fixture("generic", "single_transcript")
    headers = generic_headers(body)
    with pytest.raises(SignatureError):
        generic.verify(headers, body, secret, time.time())


def test_generic_non_utf8_body_cannot_be_verified() -> None:
    body = b'{"external_id": "\xff"}'
    headers = generic_headers(b"x") | {"webhook-signature": "v1,AAAA"}
    with pytest.raises(SignatureError, match="UTF-8"):
        generic.verify(headers, body, GENERIC_SECRET, time.time())


def test_generic_verify_does_not_parse_the_body() -> None:
    """A correctly signed body that is not JSON passes verify and fails parse with a 422."""
    body = b"not json at all"
    generic.verify(generic_headers(body), body, GENERIC_SECRET, time.time())
    with pytest.raises(PayloadError) as err:
        generic.parse(generic_headers(body), body)
    assert err.value.field == "body"


def test_generic_single_transcript_maps_as_is() -> None:
    body = fixture("generic", "single_transcript")
    delivery = generic.parse(generic_headers(body, msg_id="msg_abc"), body)
    assert delivery.delivery_id == "msg_abc"
    assert delivery.transcripts == [fixture_json("generic", "single_transcript")]
    (model,) = validated(delivery)
    assert model.channel == "call" and model.duration_seconds == 545
    assert [t.speaker for t in model.turns] == ["bot", "customer", "agent", "customer"]


def test_generic_batch_maps_each_transcript() -> None:
    body = fixture("generic", "batch")
    delivery = generic.parse({"webhook-id": "msg_batch"}, body)
    assert delivery.delivery_id == "msg_batch"
    assert [t["external_id"] for t in delivery.transcripts] == ["chat-55120", "mail-88013"]
    assert len(validated(delivery)) == 2


def test_generic_without_webhook_id_has_no_delivery_id() -> None:
    assert generic.parse({}, fixture("generic", "batch")).delivery_id is None


@pytest.mark.parametrize(
    "body, field",
    [
        (b"[1, 2]", "body"),
        (b'"a string"', "body"),
        (b"null", "body"),
        (b'{"transcripts": {"external_id": "x"}}', "transcripts"),
        (b'{"transcripts": []}', "transcripts"),
        (b'{"transcripts": [{"external_id": "a"}, 7]}', "transcripts.1"),
        (b'{"external_id": "x", "duration_seconds": NaN}', "body"),
        (b'{"external_id": "x", "duration_seconds": Infinity}', "body"),
        (b"\xff\xfe{}", "body"),
        (b"", "body"),
        (b"   ", "body"),
        (b'{"external_id": ', "body"),
    ],
)
def test_generic_malformed_payloads(body: bytes, field: str) -> None:
    with pytest.raises(PayloadError) as err:
        generic.parse({}, body)
    assert err.value.field == field
