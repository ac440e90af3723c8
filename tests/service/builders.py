"""Small builders for test payloads."""

from __future__ import annotations

from typing import Any


def transcript_payload(
    external_id: str = "t-1",
    customer_id: str = "c-1",
    text: str = "My order has not arrived yet.",
    **fields: Any,
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "external_id": external_id,
        "customer_id": customer_id,
        "channel": "chat",
        "started_at": "2026-10-01T09:30:00Z",
        "duration_seconds": 240,
        "turns": [
            {"speaker": "agent", "text": "Hi, how can I help?"},
            {"speaker": "customer", "text": text},
        ],
        "metadata": {"csat": 4},
    }
    payload.update(fields)
    return payload


def batch(*transcripts: dict[str, Any]) -> dict[str, Any]:
    return {"transcripts": list(transcripts)}
