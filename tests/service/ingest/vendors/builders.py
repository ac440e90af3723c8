"""Webhook test payloads: recorded fixtures (tests/fixtures/webhooks), per-vendor test secrets, builders."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from service.ingest.schemas import TranscriptIn
from service.ingest.vendors import Delivery

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "webhooks"
NOW = 1_717_000_000.0  # a fixed "now" for the vendors whose clock is fully injectable


def fixture(vendor: str, name: str) -> bytes:
    return (FIXTURES / vendor / f"{name}.json").read_bytes()


def fixture_json(vendor: str, name: str) -> dict[str, Any]:
    return json.loads(fixture(vendor, name))


def dumps(data: Any) -> bytes:
    return json.dumps(data).encode()


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).isoformat().replace("+00:00", "Z")


def validated(delivery: Delivery) -> list[TranscriptIn]:
    """Every transcript a vendor produces must pass the API's own TranscriptIn validation."""
    return [TranscriptIn.model_validate(t) for t in delivery.transcripts]


def speakers(transcript: dict[str, Any]) -> list[str]:
    return [t["speaker"] for t in transcript["turns"]]


GENERIC_SECRET = "whsec_" + base64.b64encode(b"generic-test-secret-32-bytes!!!!").decode()
ZENDESK_SECRET = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rz"
INTERCOM_SECRET = "3f1c5e0b-intercom-client-secret"
FRESHDESK_SECRET = "fd-shared-secret-7c1e"
