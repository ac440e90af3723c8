"""Authorization matrix: every /v1 endpoint x {no key, bad key, malformed header, revoked key, read, ingest,
admin}. Scopes: read reads, ingest writes data, admin implies both and alone starts runs and renames personas.
Webhooks take no API key at all: a signature, and any bearer key (even admin) is no substitute for it.

Also: revocation takes effect on the very next request, and no endpoint shows transcript text (or anything
derived from it) to a key without `read`, not even in an error body.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from service.auth.models import ApiKey
from service.auth.service import revoke_key
from service.db import Database
from tests.service.builders import transcript_payload
from tests.service.conftest import auth, make_key
from tests.service.security.conftest import sign
from tests.service.security.handbuilt import PERSONA_IDS, RUN_ID, insert_run

SCOPES = ("read", "ingest", "admin")


@dataclass(frozen=True)
class Endpoint:
    method: str
    template: str  # the OpenAPI path
    path: str  # a concrete path that answers 2xx with the right key
    scope: str
    ok: int
    body: Callable[[], dict[str, Any]] = field(default=lambda: {})
    # The answer to the same call once it succeeded, when not `ok` (a customer is erased once).
    again: int | None = None

    @property
    def id(self) -> str:
        return f"{self.method} {self.template}"


def _transcripts() -> dict[str, Any]:
    return {"json": {"transcripts": [transcript_payload(f"authz-{uuid.uuid4().hex}")]}}


def _accounts() -> dict[str, Any]:
    return {"json": {"accounts": [{"customer_id": "cust-1", "name": "Account one", "annual_revenue": 10}]}}


def _moment() -> str:
    return datetime.now(UTC).isoformat()


ENDPOINTS = [
    Endpoint("POST", "/v1/transcripts", "/v1/transcripts", "ingest", 202, _transcripts),
    Endpoint("GET", "/v1/transcripts", "/v1/transcripts", "read", 200),
    Endpoint("PUT", "/v1/accounts", "/v1/accounts", "ingest", 200, _accounts),
    Endpoint("GET", "/v1/accounts/{customer_id}", "/v1/accounts/cust-1", "read", 200),
    # Each call asks for a different window: an identical queued run would answer 409.
    Endpoint("POST", "/v1/runs", "/v1/runs", "admin", 202, lambda: {"json": {"since": _moment()}}),
    # The run is finished, so an admin is let through to a 409 (tests/service/runs/test_run_queue.py: 200).
    Endpoint("POST", "/v1/runs/{run_id}/cancel", f"/v1/runs/{RUN_ID}/cancel", "admin", 409),
    Endpoint("GET", "/v1/audit", "/v1/audit", "admin", 200),
    Endpoint("GET", "/v1/runs", "/v1/runs", "read", 200),
    Endpoint("GET", "/v1/status", "/v1/status", "read", 200),
    Endpoint("GET", "/v1/runs/{run_id}", f"/v1/runs/{RUN_ID}", "read", 200),
    Endpoint("GET", "/v1/runs/{run_id}/report", f"/v1/runs/{RUN_ID}/report", "read", 200),
    Endpoint("GET", "/v1/reports/latest", "/v1/reports/latest", "read", 200),
    Endpoint("GET", "/v1/personas", "/v1/personas", "read", 200),
    Endpoint("GET", "/v1/personas/{persona_id}", f"/v1/personas/{PERSONA_IDS[0]}", "read", 200),
    Endpoint(
        "PATCH",
        "/v1/personas/{persona_id}",
        f"/v1/personas/{PERSONA_IDS[0]}",
        "admin",
        200,
        lambda: {"json": {"label": "Renamed"}},
    ),
    Endpoint("GET", "/v1/customers", "/v1/customers", "read", 200),
    Endpoint("GET", "/v1/runs/{run_id}/changes", f"/v1/runs/{RUN_ID}/changes", "read", 200),
    Endpoint("GET", "/v1/alerts", "/v1/alerts", "read", 200),
    Endpoint("DELETE", "/v1/customers/{customer_id}", "/v1/customers/cust-1", "admin", 200, again=404),
    Endpoint("GET", "/v1/audit", "/v1/audit", "admin", 200),
]
# A succeeded run before RUN_ID, so that RUN_ID's changes answer 200.
EARLIER_RUN_ID = "run0security00000000000000000000"
WEBHOOK = "/v1/webhooks/{source}"
PUBLIC = ["/healthz", "/readyz", "/metrics", "/openapi.json", "/dashboard", "/docs"]


def allowed(granted: str, needed: str) -> bool:
    return granted == "admin" or granted == needed


def call(client: TestClient, endpoint: Endpoint, headers: dict[str, Any]) -> Any:
    return client.request(endpoint.method, endpoint.path, headers=headers, **endpoint.body())


@pytest.fixture
def world(app_client: TestClient, db: Database, keys: dict[str, str]) -> dict[str, str]:
    """Two succeeded runs and an account, so that every allowed call answers 2xx."""
    insert_run(db, run_id=EARLIER_RUN_ID)
    insert_run(db)
    assert app_client.put("/v1/accounts", headers=auth(keys["ingest"]), **_accounts()).status_code == 200
    return keys


def test_the_matrix_covers_every_operation(app_client: TestClient) -> None:
    schema = app_client.get("/openapi.json").json()
    operations = {
        f"{method.upper()} {path}"
        for path, item in schema["paths"].items()
        for method in item
        if path.startswith("/v1")
    }
    assert operations == {e.id for e in ENDPOINTS} | {f"POST {WEBHOOK}"}
    # Every key-protected operation declares the bearer scheme, so clients and fuzzers know.
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if f"{method.upper()} {path}" in {e.id for e in ENDPOINTS}:
                assert operation.get("security") == [{"HTTPBearer": []}], (method, path)


def assert_refused(response: Any, status: int, *, bearer: bool = True) -> None:
    assert response.status_code == status, (response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith("application/problem+json")
    if status == 401 and bearer:
        assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.id)
def test_scope_matrix(
    app_client: TestClient, db: Database, world: dict[str, str], endpoint: Endpoint
) -> None:
    revoked = make_key(db, "admin", "revoked-admin")
    with db.transaction() as session:
        key_id = session.scalar(select(ApiKey.id).where(ApiKey.name == "revoked-admin"))
        assert key_id is not None and revoke_key(session, key_id=key_id)
    unauthenticated: dict[str, dict[str, Any]] = {
        "no key": {},
        "unknown key": auth("pk_" + "x" * 43),
        "revoked admin key": auth(revoked),
        "empty bearer": {"Authorization": "Bearer "},
        "basic scheme with a real key": {"Authorization": f"Basic {world['admin']}"},
        "token scheme with a real key": {"Authorization": f"Token {world['admin']}"},
        "key without scheme": {"Authorization": world["admin"]},
        "key with a suffix": auth(world["admin"] + "x"),
        "key prefix only": auth(world["admin"][:10]),
        "huge key": auth("k" * 8000),
        "non-ascii key": {"Authorization": "Bearer cl\u00e9-\u00e9\u00e8".encode()},
        "key in the query only": {},
    }
    for name, headers in unauthenticated.items():
        if name == "key in the query only":
            sep = "&" if "?" in endpoint.path else "?"
            response = app_client.request(
                endpoint.method, f"{endpoint.path}{sep}api_key={world['admin']}", **endpoint.body()
            )
        else:
            response = call(app_client, endpoint, headers)
        assert response.status_code == 401, (name, response.status_code, response.text[:300])
        assert_refused(response, 401)
    for scope in SCOPES:
        response = call(app_client, endpoint, auth(world[scope]))
        if allowed(scope, endpoint.scope):
            assert response.status_code == endpoint.ok, (scope, response.status_code, response.text[:300])
        else:
            assert_refused(response, 403)
            assert f"'{endpoint.scope}'" in response.json()["detail"]
    # The scheme name is case-insensitive (RFC 7235).
    lower = call(app_client, endpoint, {"Authorization": f"bearer {world['admin']}"})
    assert lower.status_code == (endpoint.again or endpoint.ok)


def test_refused_writes_change_nothing(app_client: TestClient, db: Database, world: dict[str, str]) -> None:
    before_runs = app_client.get("/v1/runs", headers=auth(world["read"])).json()["items"]
    assert_refused(app_client.post("/v1/runs", json={}, headers=auth(world["read"])), 403)
    assert_refused(app_client.post("/v1/runs", json={}, headers=auth(world["ingest"])), 403)
    assert app_client.get("/v1/runs", headers=auth(world["read"])).json()["items"] == before_runs
    assert app_client.app.state.executor.submitted == []  # type: ignore[attr-defined]

    for key in (world["read"], world["ingest"]):
        response = app_client.patch(
            f"/v1/personas/{PERSONA_IDS[0]}", json={"label": "Hijacked"}, headers=auth(key)
        )
        assert_refused(response, 403)
    personas = app_client.get("/v1/personas", headers=auth(world["read"])).json()["personas"]
    assert "Hijacked" not in json.dumps(personas)

    payload = {"transcripts": [transcript_payload("read-key-write")]}
    assert_refused(app_client.post("/v1/transcripts", json=payload, headers=auth(world["read"])), 403)
    accounts = {"accounts": [{"customer_id": "cust-1", "name": "Overwritten", "annual_revenue": 1}]}
    assert_refused(app_client.put("/v1/accounts", json=accounts, headers=auth(world["read"])), 403)
    csv = b"customer_id,annual_revenue,name\ncust-1,1,Overwritten\n"
    response = app_client.put(
        "/v1/accounts", content=csv, headers={**auth(world["read"]), "Content-Type": "text/csv"}
    )
    assert_refused(response, 403)
    account = app_client.get("/v1/accounts/cust-1", headers=auth(world["read"])).json()
    assert account["name"] == "Account one"
    items = app_client.get("/v1/transcripts", headers=auth(world["read"])).json()["items"]
    assert "read-key-write" not in {i["external_id"] for i in items}


def test_api_keys_are_no_substitute_for_a_webhook_signature(
    app_client: TestClient, db: Database, keys: dict[str, str]
) -> None:
    body = json.dumps(transcript_payload("webhook-by-key")).encode()
    for scope in SCOPES:
        headers = {**auth(keys[scope]), "content-type": "application/json"}
        response = app_client.post("/v1/webhooks/generic", content=body, headers=headers)
        assert_refused(response, 401, bearer=False)
    assert app_client.get("/v1/transcripts", headers=auth(keys["read"])).json()["items"] == []


@pytest.mark.parametrize("scope", SCOPES)
def test_revocation_takes_effect_on_the_next_request(
    app_client: TestClient, db: Database, world: dict[str, str], scope: str
) -> None:
    value = make_key(db, scope, f"to-revoke-{scope}")
    probe = next(e for e in ENDPOINTS if e.scope == scope)
    assert call(app_client, probe, auth(value)).status_code == probe.ok
    with db.transaction() as session:
        key_id = session.scalar(select(ApiKey.id).where(ApiKey.name == f"to-revoke-{scope}"))
        assert key_id is not None and revoke_key(session, key_id=key_id)
    for endpoint in ENDPOINTS:
        assert_refused(call(app_client, endpoint, auth(value)), 401)
    # Other keys are untouched.
    assert call(app_client, probe, auth(world["admin"])).status_code == probe.ok


def test_public_endpoints_need_no_key_and_static_files_cannot_be_escaped(app_client: TestClient) -> None:
    for path in PUBLIC:
        # 200 for /readyz too: the suite runs with the packaged model installed and the test database up.
        assert app_client.get(path).status_code == 200, path
    for path in (
        "/dashboard/static/..%2f..%2fapp.py",
        "/dashboard/static/%2e%2e/routes.py",
        "/dashboard/static/dashboard.html",
        "/dashboard/static/__init__.py",
    ):
        response = app_client.get(path)
        assert response.status_code == 404, (path, response.status_code)
        assert "import" not in response.text


# ------------------------------------------------------------------------------------------- no leaks


def every_call(marker_customer: str) -> list[tuple[str, str, dict[str, Any]]]:
    """Every /v1 operation, with the query parameters that select the marker's data, plus bad inputs."""
    calls: list[tuple[str, str, dict[str, Any]]] = [(e.method, e.path, e.body()) for e in ENDPOINTS]
    calls += [
        ("GET", f"/v1/transcripts?customer_id={marker_customer}", {}),
        ("GET", f"/v1/transcripts?persona_id={PERSONA_IDS[0]}&run_id={RUN_ID}", {}),
        ("GET", "/v1/transcripts?limit=500&cursor=!!", {}),
        ("GET", f"/v1/accounts/{marker_customer}", {}),
        ("GET", f"/v1/customers?format=csv&run_id={RUN_ID}", {}),
        ("GET", f"/v1/customers?persona_id={PERSONA_IDS[0]}&core_growth=true", {}),
        ("GET", f"/v1/personas?run_id={RUN_ID}", {}),
        ("GET", f"/v1/personas/{PERSONA_IDS[1]}?run_id={RUN_ID}", {}),
        ("GET", "/v1/runs?limit=100", {}),
        ("GET", "/v1/runs/nope/report", {}),
        ("POST", "/v1/transcripts", {"json": {"transcripts": [transcript_payload("marker-api")]}}),
        ("POST", "/v1/transcripts", {"json": {"transcripts": [{"external_id": "x"}]}}),
        (
            "POST",
            "/v1/transcripts",
            {"content": b"{not json", "headers": {"content-type": "application/json"}},
        ),
        ("PUT", "/v1/accounts", {"json": {"accounts": [{"customer_id": marker_customer}]}}),
        ("PATCH", f"/v1/personas/{PERSONA_IDS[0]}", {"json": {"label": ""}}),
        ("POST", "/v1/runs", {"json": {"min_personas": 9}}),
    ]
    calls += [("GET", path, {}) for path in PUBLIC]
    return calls


def test_no_transcript_text_reaches_a_key_without_read(
    app_client: TestClient, db: Database, keys: dict[str, str]
) -> None:
    marker = f"zyxmarker{uuid.uuid4().hex[:12]}"
    customer = "cust-marker"
    # The marker enters as transcript text through the API and a webhook, and (as a run would put it) into
    # persona quotes, keywords and labels of the latest run.
    text = f"My {marker} order has not arrived"
    payload = {"transcripts": [transcript_payload("marker-1", customer_id=customer, text=text)]}
    assert app_client.post("/v1/transcripts", json=payload, headers=auth(keys["ingest"])).status_code == 202
    hook = json.dumps(transcript_payload("marker-2", customer_id=customer, text=text)).encode()
    assert (
        app_client.post("/v1/webhooks/generic", content=hook, headers=sign("generic", hook)).status_code
        == 202
    )
    insert_run(db, quotes=[text], customers=[(customer, "Marker account"), ("cust-2", None)])

    # Sanity: a read key does see it, so the assertions below are not vacuous.
    assert marker in app_client.get("/v1/transcripts", headers=auth(keys["read"])).text
    assert marker in app_client.get("/v1/personas", headers=auth(keys["read"])).text
    assert marker in app_client.get("/v1/reports/latest", headers=auth(keys["read"])).text

    for headers in (auth(keys["ingest"]), {}, auth("pk_unknown")):
        for method, path, kwargs in every_call(customer):
            kwargs = dict(kwargs)
            kwargs["headers"] = {**kwargs.get("headers", {}), **headers}
            response = app_client.request(method, path, **kwargs)
            assert marker not in response.text, (method, path, response.status_code)
            assert marker not in json.dumps(dict(response.headers)), (method, path)
            assert response.status_code != 500, (method, path, response.text[:300])
