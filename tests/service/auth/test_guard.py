"""The API key is checked before anything reads the body, and authentication failures are rate-limited per
client (issue 16, item 6)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from service.config import Settings
from tests.service.conftest import auth

MALFORMED = b'{"transcripts": [' + b"x" * (2 * 1024 * 1024)  # 2 MB of broken JSON, over the test limit


def test_a_bad_key_with_a_large_malformed_body_is_401_not_413_or_422(
    client: TestClient, keys: dict[str, str], settings: Settings
) -> None:
    assert len(MALFORMED) > settings.max_body_bytes
    headers = {"Content-Type": "application/json"}
    for bad in ({}, auth("pk_" + "x" * 43), auth(keys["ingest"] + "x")):
        response = client.post("/v1/transcripts", content=MALFORMED, headers={**headers, **bad})
        assert response.status_code == 401, response.text[:200]
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.headers["www-authenticate"].startswith("Bearer")
    # The same body with a good key is read: too large (413), and a smaller one is malformed (422).
    good = {**headers, **auth(keys["ingest"])}
    assert client.post("/v1/transcripts", content=MALFORMED, headers=good).status_code == 413
    assert client.post("/v1/transcripts", content=MALFORMED[:1000], headers=good).status_code == 422
    # A key with the wrong scope is refused before the body matters too.
    read = {**headers, **auth(keys["read"])}
    refused = client.post("/v1/transcripts", content=MALFORMED, headers=read)
    assert refused.status_code == 403 and "'ingest'" in refused.json()["detail"]


def test_authentication_failures_are_limited_per_client(
    client: TestClient, keys: dict[str, str], settings: Settings
) -> None:
    limit = settings.auth_failures_per_minute
    assert limit == 20  # the default
    for i in range(limit):
        assert client.get("/v1/runs", headers=auth(f"pk_guess{i}")).status_code == 401
    blocked = client.get("/v1/runs", headers=auth("pk_one-more"))
    assert blocked.status_code == 429, blocked.text
    assert blocked.headers["content-type"].startswith("application/problem+json")
    assert 1 <= int(blocked.headers["retry-after"]) <= 60
    # While blocked, the client gets 429 even with a good key; endpoints without a key still answer.
    assert client.get("/v1/runs", headers=auth(keys["read"])).status_code == 429
    assert client.get("/healthz").status_code == 200


def test_another_client_is_not_blocked(client: TestClient, keys: dict[str, str], settings: Settings) -> None:
    for i in range(settings.auth_failures_per_minute):
        client.get("/v1/runs", headers=auth(f"pk_guess{i}"))
    assert client.get("/v1/runs", headers=auth(keys["read"])).status_code == 429
    other = TestClient(client.app, client=("203.0.113.7", 50000))
    assert other.get("/v1/runs", headers=auth(keys["read"])).status_code == 200


def test_successes_do_not_count_as_failures(client: TestClient, keys: dict[str, str]) -> None:
    for _ in range(30):
        assert client.get("/v1/runs", headers=auth(keys["read"])).status_code == 200
    assert client.get("/v1/runs", headers=auth("pk_wrong")).status_code == 401
