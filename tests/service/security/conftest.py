"""Security-test fixtures: signed webhook deliveries for every vendor, row counts, and an app whose executor
records runs instead of starting the ML pipeline (these tests are about the HTTP surface, not discovery)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from standardwebhooks import Webhook

from service.app import create_app
from service.config import Settings
from service.db import Database
from service.ingest.models import Transcript, WebhookDelivery
from tests.service.conftest import FIXTURES

GENERIC_SECRET = "whsec_" + base64.b64encode(b"security-generic-secret-0123456").decode()
ZENDESK_SECRET = "security-zendesk-signing-secret"
INTERCOM_SECRET = "security-intercom-client-secret"
FRESHDESK_SECRET = "security-freshdesk-shared-secret"
SECRETS = {
    "generic": GENERIC_SECRET,
    "zendesk": ZENDESK_SECRET,
    "intercom": INTERCOM_SECRET,
    "freshdesk": FRESHDESK_SECRET,
}
VENDORS = tuple(SECRETS)
# One real delivery per vendor (each maps to exactly one transcript).
FIXTURE_BODIES = {
    "generic": FIXTURES / "webhooks" / "generic" / "single_transcript.json",
    "zendesk": FIXTURES / "webhooks" / "zendesk" / "ticket_email_with_comments.json",
    "intercom": FIXTURES / "webhooks" / "intercom" / "conversation_user_replied.json",
    "freshdesk": FIXTURES / "webhooks" / "freshdesk" / "ticket_created_portal.json",
}


class RecordingExecutor:
    """Stands in for the run executor: remembers submitted runs, never runs the pipeline."""

    def __init__(self) -> None:
        self.submitted: list[str] = []

    def submit(self, run_id: str) -> None:
        self.submitted.append(run_id)

    def transcripts_stored(self, ids: list[int]) -> None:
        pass

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass


@pytest.fixture
def secured_settings(settings: Settings) -> Settings:
    """The test settings with every webhook source enabled. The authorization matrix sends more 401s from one
    client than the per-client limit allows; that limit has its own tests (tests/service/auth/test_guard.py)."""
    settings.webhook_secrets.update(SECRETS)
    settings.auth_failures_per_minute = 10_000
    return settings


@pytest.fixture
def app_client(secured_settings: Settings, db: Database) -> Iterator[TestClient]:
    """Like `client`, with every webhook source enabled and runs recorded rather than executed."""
    app = create_app(secured_settings, db, executor=RecordingExecutor())
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def fixture_body(vendor: str) -> bytes:
    return FIXTURE_BODIES[vendor].read_bytes()


def now_utc() -> datetime:
    return datetime.now(UTC)


def sign(
    vendor: str,
    body: bytes,
    *,
    at: datetime | None = None,
    delivery_id: str = "delivery-1",
    signed_body: bytes | None = None,
    content_type: str | None = "application/json",
) -> dict[str, str]:
    """Headers of a valid delivery of `body` (or of a signature over `signed_body`, to test tampering)."""
    at = at or now_utc()
    over = body if signed_body is None else signed_body
    if vendor == "generic":
        headers = {
            "webhook-id": delivery_id,
            "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": Webhook(GENERIC_SECRET).sign(delivery_id, at, over.decode("utf-8")),
        }
    elif vendor == "zendesk":
        timestamp = at.strftime("%Y-%m-%dT%H:%M:%SZ")
        digest = hmac.new(ZENDESK_SECRET.encode(), timestamp.encode() + over, hashlib.sha256).digest()
        headers = {
            "x-zendesk-webhook-signature": base64.b64encode(digest).decode(),
            "x-zendesk-webhook-signature-timestamp": timestamp,
            "x-zendesk-webhook-invocation-id": delivery_id,
        }
    elif vendor == "intercom":
        hex_digest = hmac.new(INTERCOM_SECRET.encode(), over, hashlib.sha1).hexdigest()
        headers = {"x-hub-signature": f"sha1={hex_digest}"}
    elif vendor == "freshdesk":
        headers = {"x-personas-secret": FRESHDESK_SECRET}
    else:
        raise ValueError(vendor)
    if content_type is not None:
        headers["content-type"] = content_type
    return headers


def row_counts(database: Database) -> dict[str, int]:
    with database.session() as session:
        return {
            "transcripts": session.scalar(select(func.count()).select_from(Transcript)) or 0,
            "webhook_deliveries": session.scalar(select(func.count()).select_from(WebhookDelivery)) or 0,
        }


NOTHING_STORED = {"transcripts": 0, "webhook_deliveries": 0}


def assert_problem(response: Any, *statuses: int) -> None:
    assert response.status_code in statuses, (response.status_code, response.text[:500])
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body = response.json()
    assert body["status"] == response.status_code and body["title"] and body["detail"]


def json_bytes(payload: Any) -> bytes:
    return json.dumps(payload).encode()
