"""Property-based fuzzing of EVERY operation in the OpenAPI schema, once with an admin key and once with no key
at all (the operations declare the HTTPBearer scheme, so unauthenticated probes must be documented answers).

Checks: no 5xx, every status code documented, every response's content type documented and its body valid
against the documented schema. Answers that are not JSON are documented too: the HTML reports (text/html),
the customers CSV (text/csv), 304 on /v1/personas, problem+json for every 4XX. A succeeded run (hand-built)
exists, so the run-less endpoints (personas, customers, reports, runs) answer 200 as well as 404/409.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from service.config import Settings
from service.db import Database
from tests.service.conftest import auth
from tests.service.security.handbuilt import RUN_ID, insert_run

pytestmark = pytest.mark.slow

CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance]
MAX_EXAMPLES = 25
# The same examples on every run and machine: the outcome never depends on a seed.
FUZZ = settings(
    max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True
)


@pytest.fixture
def seeded_client(app_client: TestClient, db: Database, keys: dict[str, str]) -> Iterator[TestClient]:
    insert_run(db)
    accounts = {"accounts": [{"customer_id": "cust-1", "name": "Account one", "annual_revenue": 10}]}
    assert app_client.put("/v1/accounts", json=accounts, headers=auth(keys["ingest"])).status_code == 200
    yield app_client


@pytest.fixture
def full_schema(seeded_client: TestClient):  # type: ignore[no-untyped-def]
    return schemathesis.openapi.from_asgi("/openapi.json", seeded_client.app)


api = schemathesis.pytest.from_fixture("full_schema")


@api.parametrize()
@FUZZ
def test_every_operation_with_an_admin_key(case, keys: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    case.call_and_validate(headers=auth(keys["admin"]), checks=CHECKS)


@api.parametrize()
@FUZZ
def test_every_operation_without_a_key(case) -> None:  # type: ignore[no-untyped-def]
    # Whatever Authorization schemathesis makes up for the bearer scheme (or none) is not a key we issued.
    response = case.call_and_validate(checks=CHECKS)
    if case.operation.definition.raw.get("security"):
        assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])


def test_documented_non_json_answers_conform(
    seeded_client: TestClient, keys: dict[str, str], secured_settings: Settings
) -> None:
    """The answers random generation rarely reaches, validated against the schema explicitly: 304 (a
    matching ETag), the customers CSV, both HTML reports, and /readyz both ready and not ready."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", seeded_client.app)
    headers = auth(keys["read"])
    etag = seeded_client.get("/v1/personas", headers=headers).headers["etag"]
    cases = [
        (schema["/v1/personas"]["GET"].Case(headers={**headers, "If-None-Match": etag}), 304, None),
        (schema["/v1/personas"]["GET"].Case(headers=headers), 200, "application/json"),
        (schema["/v1/customers"]["GET"].Case(query={"format": "csv"}, headers=headers), 200, "text/csv"),
        (schema["/v1/reports/latest"]["GET"].Case(headers=headers), 200, "text/html"),
        (
            schema["/v1/runs/{run_id}/report"]["GET"].Case(
                path_parameters={"run_id": RUN_ID}, headers=headers
            ),
            200,
            "text/html",
        ),
        (
            schema["/v1/runs/{run_id}/report"]["GET"].Case(
                path_parameters={"run_id": "nope"}, headers=headers
            ),
            404,
            None,
        ),
        (schema["/readyz"]["GET"].Case(), None, "application/json"),
    ]
    for case, status, media in cases:
        response = case.call_and_validate(checks=CHECKS)
        if status is not None:
            assert response.status_code == status, (case.path, response.status_code)
        if media is not None:
            assert response.headers["content-type"][0].startswith(media)
    secured_settings.embedding_model = "/nonexistent/model"  # not ready: the model is missing
    # A 503 is the point of a failing readiness probe: every check but not_a_server_error.
    response = schema["/readyz"]["GET"].Case().call_and_validate(checks=CHECKS[1:])
    assert response.status_code == 503 and response.headers["content-type"][0].startswith("application/json")
