"""Probes, metrics, the OpenAPI document and error shape for unknown routes."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.service.builders import batch, transcript_payload
from tests.service.conftest import auth


def test_health_ready_and_metrics(client: TestClient, keys: dict[str, str]) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["database"] == "ok"
    client.post("/v1/transcripts", json=batch(transcript_payload()), headers=auth(keys["ingest"]))
    metrics = client.get("/metrics").text
    assert "http_requests_total" in metrics and "/v1/transcripts" in metrics


def test_unknown_route_and_method_are_problem_json(client: TestClient) -> None:
    missing = client.get("/v1/nothing-here")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith(
        "application/problem+json"
    )
    wrong_method = client.delete("/v1/transcripts")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["status"] == 405


def test_openapi_declares_bearer_security(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert "HTTPBearer" in schema["components"]["securitySchemes"]
    put = schema["paths"]["/v1/accounts"]["put"]["requestBody"]["content"]
    assert set(put) == {"application/json", "text/csv"}


def test_readyz_reports_unreachable_database(settings, db) -> None:  # type: ignore[no-untyped-def]
    from service.app import create_app
    from service.db import Database

    broken = Database.from_url("postgresql+psycopg://nobody@127.0.0.1:1/none")
    with TestClient(create_app(settings, broken)) as test_client:
        response = test_client.get("/readyz")
        assert response.status_code == 503
        # a request that needs the database answers 503 problem+json, not 500
        listed = test_client.get("/v1/transcripts", headers=auth("pk_whatever"))
        assert listed.status_code == 503
        assert listed.headers["content-type"].startswith("application/problem+json")
