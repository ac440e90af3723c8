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
    assert response.status_code == 200 and response.json() == {
        "upserted": 2,
        "columns": ["customer_id", "name", "annual_revenue", "industry", "employees", "region"],
    }
    account = client.get("/v1/accounts/c-1", headers=auth(keys["read"])).json()
    assert account["name"] == "Acme Repair" and account["annual_revenue"] == 12000.5
    assert account["attributes"] == {"industry": "repair", "employees": 12, "region": "west"}
    assert client.get("/v1/accounts/c-2", headers=auth(keys["read"])).json()["attributes"]["region"] is None


def test_json_upsert_updates_existing(client: TestClient, keys: dict[str, str]) -> None:
    body = {"accounts": [{"customer_id": "c-1", "annual_revenue": 10, "attributes": {"size": "small"}}]}
    assert client.put("/v1/accounts", json=body, headers=auth(keys["ingest"])).json() == {
        "upserted": 1,
        "columns": ["customer_id", "annual_revenue", "attributes"],
    }
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
    response = put_csv(client, keys["ingest"], "customer,annual_revenue\nc-1,5\n")
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "header"
    new_without_revenue = put_csv(client, keys["ingest"], "customer_id,revenue\nc-1,5\n")
    assert new_without_revenue.status_code == 422
    assert new_without_revenue.json()["errors"] == [
        {"field": "accounts.0.annual_revenue", "message": "is required for a new account"}
    ]
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


def _account(client: TestClient, keys: dict[str, str], customer_id: str) -> dict[str, object]:
    answer = client.get(f"/v1/accounts/{customer_id}", headers=auth(keys["read"]))
    assert answer.status_code == 200, answer.text
    return {k: v for k, v in answer.json().items() if k != "updated_at"}


def test_json_upsert_sets_only_the_fields_sent_and_null_clears(
    client: TestClient, keys: dict[str, str]
) -> None:
    full = {
        "customer_id": "c-1",
        "name": "Acme",
        "annual_revenue": 10,
        "currency": "EUR",
        "attributes": {"a": 1},
    }
    assert (
        client.put("/v1/accounts", json={"accounts": [full]}, headers=auth(keys["ingest"])).status_code == 200
    )
    partial = {"accounts": [{"customer_id": "c-1", "annual_revenue": 99.5}]}
    answer = client.put("/v1/accounts", json=partial, headers=auth(keys["ingest"]))
    assert answer.json() == {"upserted": 1, "columns": ["customer_id", "annual_revenue"]}
    expected = {**full, "annual_revenue": 99.5}
    assert _account(client, keys, "c-1") == expected
    cleared = {"accounts": [{"customer_id": "c-1", "name": None, "attributes": None}]}
    assert client.put("/v1/accounts", json=cleared, headers=auth(keys["ingest"])).status_code == 200
    assert _account(client, keys, "c-1") == {**expected, "name": None, "attributes": {}}
    # The same customer twice in one batch: the fields of both are set, the later value wins.
    twice = {
        "accounts": [
            {"customer_id": "c-1", "name": "First", "annual_revenue": 1},
            {"customer_id": "c-1", "name": "Second"},
        ]
    }
    assert client.put("/v1/accounts", json=twice, headers=auth(keys["ingest"])).json()["upserted"] == 1
    assert _account(client, keys, "c-1") == {
        **expected,
        "name": "Second",
        "annual_revenue": 1.0,
        "attributes": {},
    }


def test_json_new_account_needs_revenue_and_revenue_cannot_be_cleared(
    client: TestClient, keys: dict[str, str]
) -> None:
    body = {"accounts": [{"customer_id": "c-old", "annual_revenue": 5}]}
    assert client.put("/v1/accounts", json=body, headers=auth(keys["ingest"])).status_code == 200
    mixed = {"accounts": [{"customer_id": "c-old", "name": "Known"}, {"customer_id": "c-new", "name": "New"}]}
    answer = client.put("/v1/accounts", json=mixed, headers=auth(keys["ingest"]))
    assert answer.status_code == 422
    assert answer.json()["errors"] == [
        {"field": "accounts.1.annual_revenue", "message": "is required for a new account"}
    ]
    assert _account(client, keys, "c-old")["name"] is None  # the batch was refused whole
    cleared = client.put(
        "/v1/accounts",
        json={"accounts": [{"customer_id": "c-old", "annual_revenue": None}]},
        headers=auth(keys["ingest"]),
    )
    assert cleared.status_code == 422 and cleared.json()["errors"][0]["field"] == "accounts.0.annual_revenue"


def test_csv_sets_only_its_columns_and_merges_attribute_columns(
    client: TestClient, keys: dict[str, str]
) -> None:
    assert put_csv(client, keys["ingest"], CSV).status_code == 200
    answer = put_csv(client, keys["ingest"], "customer_id,region,tier\nc-1,east,gold\n")
    assert answer.status_code == 200
    assert answer.json() == {"upserted": 1, "columns": ["customer_id", "region", "tier"]}
    account = _account(client, keys, "c-1")
    assert account["name"] == "Acme Repair" and account["annual_revenue"] == 12000.5
    assert account["attributes"] == {"industry": "repair", "employees": 12, "region": "east", "tier": "gold"}
    renamed = put_csv(client, keys["ingest"], "customer_id,name\nc-1,\n")  # an empty name cell clears it
    assert (
        renamed.json()["columns"] == ["customer_id", "name"] and _account(client, keys, "c-1")["name"] is None
    )


@pytest.mark.parametrize("revenue", [1.7e308, 1e12 + 1, -1, "Infinity", "NaN"])
def test_revenue_is_finite_and_bounded(client: TestClient, keys: dict[str, str], revenue: object) -> None:
    body = {"accounts": [{"customer_id": "c-1", "annual_revenue": revenue}]}
    answer = client.put("/v1/accounts", json=body, headers=auth(keys["ingest"]))
    assert answer.status_code == 422, answer.text
    assert [e["field"] for e in answer.json()["errors"]] == ["accounts.0.annual_revenue"]
    csv_answer = put_csv(client, keys["ingest"], f"customer_id,annual_revenue\nc-1,{revenue}\n")
    assert csv_answer.status_code == 422
    assert [e["field"] for e in csv_answer.json()["errors"]] == ["accounts.0.annual_revenue"]
    at_bound = {"accounts": [{"customer_id": "c-1", "annual_revenue": 1e12}]}
    assert client.put("/v1/accounts", json=at_bound, headers=auth(keys["ingest"])).status_code == 200
