"""PUT /v1/accounts (JSON and CSV) and GET /v1/accounts/{customer_id}."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from service.ingest.redaction import budget
from tests.service.conftest import auth

CSV = (
    "customer_id,name,annual_revenue,industry,employees,region\n"
    "c-1,Acme Repair,12000.50,repair,12,west\n"
    "c-2,Bolt Distribution,98000,distribution,140,\n"
)


def put_csv(client: TestClient, key: str, body: str) -> object:
    return client.put(
        "/v1/accounts", content=body.encode(), headers={**auth(key), "Content-Type": "text/csv"}
    )


def test_csv_upsert_keeps_extra_columns_as_typed_attributes(client: TestClient, keys: dict[str, str]) -> None:
    response = put_csv(client, keys["ingest"], CSV)
    assert response.status_code == 200 and response.json() == {"upserted": 2}
    account = client.get("/v1/accounts/c-1", headers=auth(keys["read"])).json()
    assert account["name"] == "Acme Repair" and account["annual_revenue"] == 12000.5
    assert account["attributes"] == {"industry": "repair", "employees": 12, "region": "west"}
    assert client.get("/v1/accounts/c-2", headers=auth(keys["read"])).json()["attributes"]["region"] is None


def test_json_upsert_updates_existing(client: TestClient, keys: dict[str, str]) -> None:
    body = {"accounts": [{"customer_id": "c-1", "annual_revenue": 10, "attributes": {"size": "small"}}]}
    assert client.put("/v1/accounts", json=body, headers=auth(keys["ingest"])).json() == {"upserted": 1}
    body["accounts"][0]["annual_revenue"] = 25.5
    client.put("/v1/accounts", json=body, headers=auth(keys["ingest"]))
    account = client.get("/v1/accounts/c-1", headers=auth(keys["read"])).json()
    assert account["annual_revenue"] == 25.5 and account["currency"] == "USD"


def test_csv_bad_number_names_the_row_and_stores_nothing(client: TestClient, keys: dict[str, str]) -> None:
    body = "customer_id,annual_revenue\nc-1,100\nc-2,lots\nc-3,-5\n"
    response = put_csv(client, keys["ingest"], body)
    assert response.status_code == 422
    fields = [e["field"] for e in response.json()["errors"]]
    assert fields == ["accounts.1.annual_revenue", "accounts.2.annual_revenue"]
    assert client.get("/v1/accounts/c-1", headers=auth(keys["read"])).status_code == 404


def test_csv_missing_column_and_ragged_rows(client: TestClient, keys: dict[str, str]) -> None:
    response = put_csv(client, keys["ingest"], "customer_id,revenue\nc-1,5\n")
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "header"
    ragged = put_csv(client, keys["ingest"], "customer_id,annual_revenue\nc-1,5,extra\n")
    assert ragged.status_code == 422 and ragged.json()["errors"][0]["field"] == "accounts.0"
    assert put_csv(client, keys["ingest"], "").status_code == 422


def test_json_validation_errors(client: TestClient, keys: dict[str, str]) -> None:
    cases = [
        ({"accounts": [{"customer_id": "c", "annual_revenue": "NaN"}]}, "accounts.0.annual_revenue"),
        ({"accounts": [{"customer_id": "", "annual_revenue": 1}]}, "accounts.0.customer_id"),
        ({"accounts": [{"customer_id": "c", "annual_revenue": 1, "currency": "usd"}]}, "accounts.0.currency"),
        ({"accounts": []}, "accounts"),
    ]
    for body, field in cases:
        response = client.put("/v1/accounts", json=body, headers=auth(keys["ingest"]))
        assert response.status_code == 422, body
        assert field in [e["field"] for e in response.json()["errors"]], response.json()


def test_unsupported_content_type_is_415(client: TestClient, keys: dict[str, str]) -> None:
    response = client.put(
        "/v1/accounts", content=b"<xml/>", headers={**auth(keys["ingest"]), "Content-Type": "application/xml"}
    )
    assert response.status_code == 415


def test_auth_and_scopes(client: TestClient, keys: dict[str, str]) -> None:
    assert put_csv(client, keys["read"], CSV).status_code == 403
    assert client.put("/v1/accounts", json={"accounts": []}).status_code == 401
    put_csv(client, keys["ingest"], CSV)
    assert client.get("/v1/accounts/c-1", headers=auth(keys["ingest"])).status_code == 403
    assert client.get("/v1/accounts/c-1").status_code == 401
    missing = client.get("/v1/accounts/nope", headers=auth(keys["admin"]))
    assert missing.status_code == 404 and missing.headers["content-type"].startswith(
        "application/problem+json"
    )


def test_number_dense_accounts_are_refused_within_the_redaction_budget(
    client: TestClient, keys: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(budget, "MAX_PHONE_CHECK_CHARS", 2_000)
    dense = "1/" * 240  # digits the phone matcher would have to check, in every name and attribute
    accounts = [
        {"customer_id": f"c-{i}", "annual_revenue": 10.0, "name": dense, "attributes": {"notes": dense}}
        for i in range(10)
    ]
    response = client.put("/v1/accounts", json={"accounts": accounts}, headers=auth(keys["ingest"]))
    assert response.status_code == 413, response.text
    assert response.json()["errors"][0]["field"].startswith("accounts.c-")
    assert client.get("/v1/accounts/c-0", headers=auth(keys["read"])).status_code == 404
