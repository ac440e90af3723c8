"""No answer ever contains NaN or Infinity: inputs are bounded (tests/service/accounts) and, as a last line, every
JSON answer is encoded with allow_nan=False; a non-finite number that got through is sent as null and logged."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.config import Settings
from service.db import Database
from service.json_response import dumps_finite
from service.personas.cache import encode
from tests.service.conftest import auth


def strict_loads(body: bytes) -> Any:
    """json.loads that refuses NaN and Infinity, as browsers' JSON.parse does."""

    def refuse(constant: str) -> None:
        raise ValueError(f"invalid JSON constant {constant}")

    return json.loads(body, parse_constant=refuse)


def test_non_finite_numbers_become_null_and_are_logged_by_place(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger="personas.json")
    payload = {"revenue": {"total": float("inf")}, "shares": [0.5, float("nan")], "name": "ok"}
    assert strict_loads(dumps_finite(payload)) == {
        "revenue": {"total": None},
        "shares": [0.5, None],
        "name": "ok",
    }
    (record,) = caplog.records
    assert record.__dict__["fields"] == ["revenue.total", "shares[1]"]
    assert strict_loads(encode(payload)[0])["shares"] == [0.5, None]  # the cached personas answer too


def test_finite_answers_are_unchanged() -> None:
    payload = {"x": 1.5, "y": [1, 2], "z": "Zoë"}
    assert dumps_finite(payload) == json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def test_an_app_route_never_sends_infinity(settings: Settings, db: Database, keys: dict[str, str]) -> None:
    app = create_app(settings, db)

    @app.get("/test/non-finite")
    def non_finite() -> dict[str, float]:
        return {"revenue": float("inf"), "share": 0.25}

    with TestClient(app, raise_server_exceptions=False) as client:
        answer = client.get("/test/non-finite", headers=auth(keys["read"]))
        assert answer.status_code == 200
        assert strict_loads(answer.content) == {"revenue": None, "share": 0.25}
        accounts = {"accounts": [{"customer_id": f"c-{i}", "annual_revenue": 1.7e308} for i in range(2)]}
        refused = client.put("/v1/accounts", json=accounts, headers=auth(keys["ingest"]))
        assert refused.status_code == 422 and strict_loads(refused.content)["errors"][0]["field"].endswith(
            "annual_revenue"
        )
