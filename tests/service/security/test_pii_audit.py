"""PII audit: personal data sent through every ingest path never comes out anywhere.

Emails, phone numbers, payment cards (spaced and dashed), SSNs and IBANs go in through POST /v1/transcripts
(turn text AND free-form metadata), each webhook vendor (wherever its payload carries text), and PUT
/v1/accounts (JSON and CSV: account names and attributes). Then every place they could surface is scanned:
every row of every table (all columns, JSON included), every log record at DEBUG (raw and through the JSON
formatter), every API answer, what the pipeline is handed (runs.flow.load_snapshot), and the HTML report,
personas and customers of a run built from that pipeline input (quotes are customer turns, names are account
names, pond values are account attributes: exactly where discovery takes them from).

Decision on accounts: names and attribute values are redacted on ingest like transcript text (a CRM export
often has a contact email or phone in the name, or a phone/card column). The account key (customer_id) is
NOT altered: it is the join key with transcripts, and clients must not use personal data as ids; vendor
adapters already replace email-shaped ids by a SHA-256 pseudonym. Names of people are not detected (no NER).
"""

from __future__ import annotations

import base64
import json
import logging
import re
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from service.db import Database
from service.logs import JsonFormatter
from service.models import Base
from service.runs.flow import load_snapshot
from tests.service.conftest import auth, make_key
from tests.service.security.conftest import fixture_body, sign
from tests.service.security.handbuilt import insert_run

PII = {
    "email": "jane.doe@example.com",
    "email_upper": "J.Rivera@Example.net",
    "phone_us": "(415) 555-2671",
    "phone_intl": "+44 20 7946 0958",
    "card_spaced": "4111 1111 1111 1111",
    "card_dashed": "5555-5555-5555-4444",
    "card_plain": "4012888888881881",
    "ssn": "078-05-1120",
    "iban_spaced": "DE89 3704 0044 0532 0130 00",
    "iban_compact": "GB82WEST12345698765432",
}
# Emails that the vendor fixtures themselves carry (authors, requesters): never stored either.
FIXTURE_EMAILS = ["priya@example.com", "tomas.ops@example-manufacturing.com", "marta@example.org"]
SENTENCE = (
    f"Mail {PII['email']} or {PII['email_upper']}, call {PII['phone_us']} or {PII['phone_intl']}; "
    f"card {PII['card_spaced']}, backup {PII['card_dashed']}, old {PII['card_plain']}; "
    f"SSN {PII['ssn']}; refund to {PII['iban_spaced']} or {PII['iban_compact']}."
)


def needles() -> list[str]:
    """Every raw value, plus digit-only and space-free spellings of the long numbers (a normalised leak)."""
    out = set(PII.values()) | set(FIXTURE_EMAILS)
    out |= {v.lower() for v in out}
    for value in PII.values():
        digits = re.sub(r"\D", "", value)
        if len(digits) >= 9:
            out.add(digits)
        out.add(value.replace(" ", ""))
    return sorted(out)


def leaks(text: str) -> list[str]:
    lowered = text.lower()
    return [n for n in needles() if n.lower() in lowered]


def assert_clean(where: str, text: str) -> None:
    found = leaks(text)
    assert not found, f"PII in {where}: {found}\n{text[:2000]}"


# ------------------------------------------------------------------------------------------- payloads


def api_batch() -> dict[str, Any]:
    return {
        "transcripts": [
            {
                "external_id": "pii-api-1",
                "customer_id": "acct-pii-1",
                "channel": "chat",
                "turns": [
                    {"speaker": "customer", "text": SENTENCE},
                    {"speaker": "agent", "text": f"I'll call you at {PII['phone_intl']}, {PII['email']}."},
                ],
                "metadata": {
                    "contact": PII["email"],
                    "callback": {"phone": PII["phone_us"], "notes": [PII["card_spaced"], PII["ssn"]]},
                    PII["email"]: True,
                    "tags": ["vip", PII["iban_compact"]],
                    "csat": 0.8,
                },
            }
        ]
    }


def vendor_bodies() -> dict[str, bytes]:
    generic = json.loads(fixture_body("generic"))
    generic["turns"][1]["text"] = SENTENCE
    generic["metadata"]["contact"] = f"{PII['email']} / {PII['phone_intl']}"

    zendesk = json.loads(fixture_body("zendesk"))
    ticket = zendesk["ticket"]
    ticket["subject"] = f"Refund for {PII['email']}"
    ticket["tags"] = ["billing", PII["email"]]
    ticket["satisfaction_rating"]["comment"] = f"call {PII['phone_us']}"
    for comment in ticket["comments"]:
        comment["body"] = comment["plain_body"] = f"{comment['plain_body']} {SENTENCE}"
        comment["html_body"] = f"<p>{SENTENCE}</p>"

    intercom = json.loads(fixture_body("intercom"))
    item = intercom["data"]["item"]
    item["source"]["body"] = f"<p>{SENTENCE}</p>"
    item["source"]["subject"] = PII["email"]
    item["contacts"]["contacts"][0]["external_id"] = PII["email"]  # an email used as the customer id
    item["conversation_rating"]["remark"] = SENTENCE
    for part in item["conversation_parts"]["conversation_parts"]:
        if part.get("body"):
            part["body"] = f"<p>{part['body']} {SENTENCE}</p>"

    freshdesk = json.loads(fixture_body("freshdesk"))
    fd = freshdesk["freshdesk_webhook"]
    fd["ticket_subject"] = f"Card {PII['card_spaced']} blocked"
    fd["ticket_description"] = f"<div>{SENTENCE}</div>"
    fd["ticket_latest_public_comment"] = f"<p>Reached {PII['phone_us']}, {PII['email_upper']}</p>"
    fd["ticket_company_name"] = f"Jane's shop {PII['email']} {PII['phone_intl']}"
    fd["ticket_tags"] = f"billing, {PII['email']}"
    del fd["ticket_company_id"], fd["ticket_requester_id"]  # the customer is keyed by the contact email
    fd["ticket_contact_email"] = PII["email_upper"]
    return {
        name: json.dumps(body).encode()
        for name, body in (
            ("generic", generic),
            ("zendesk", zendesk),
            ("intercom", intercom),
            ("freshdesk", freshdesk),
        )
    }


def accounts_json() -> dict[str, Any]:
    return {
        "accounts": [
            {
                "customer_id": "acct-pii-1",
                "name": f"Jane Doe ({PII['email']}, {PII['phone_us']})",
                "annual_revenue": 12000,
                "attributes": {
                    "segment": "smb",
                    "contact": PII["phone_intl"],
                    "card_on_file": PII["card_dashed"],
                    "payout_iban": PII["iban_spaced"],
                    "tax_id": f"SSN {PII['ssn']}",
                    "card_number": int(PII["card_plain"]),  # a card sent as a JSON number
                },
            }
        ]
    }


def accounts_csv() -> bytes:
    rows = [
        "customer_id,annual_revenue,name,segment,billing_email,phone,card,iban",
        f'acct-1187,50000,"Acme {PII["email_upper"]}",enterprise,{PII["email"]},"{PII["phone_us"]}",'
        f"{PII['card_plain']},{PII['iban_compact']}",
    ]
    return ("\n".join(rows) + "\n").encode()


# ----------------------------------------------------------------------------------------------- scans


def dump_database(database: Database) -> str:
    """Every column of every row of every table, JSON columns serialised, bytes decoded leniently."""
    parts: list[str] = []
    with database.session() as session:
        for table in Base.metadata.sorted_tables:
            for row in session.execute(select(table)).mappings():
                for column, value in row.items():
                    if isinstance(value, bytes):
                        value = value.decode("latin-1")
                    elif isinstance(value, dict | list):
                        value = json.dumps(value, ensure_ascii=False)
                    parts.append(f"{table.name}.{column}={value}")
    return "\n".join(parts)


def ingest_everything(client: TestClient, keys: dict[str, str]) -> list[Any]:
    """Send the PII through every path; returns the responses (their bodies are scanned too)."""
    responses = [client.post("/v1/transcripts", json=api_batch(), headers=auth(keys["ingest"]))]
    for vendor, body in vendor_bodies().items():
        responses.append(client.post(f"/v1/webhooks/{vendor}", content=body, headers=sign(vendor, body)))
    responses.append(client.put("/v1/accounts", json=accounts_json(), headers=auth(keys["ingest"])))
    csv_headers = {**auth(keys["ingest"]), "Content-Type": "text/csv"}
    responses.append(client.put("/v1/accounts", content=accounts_csv(), headers=csv_headers))
    for response in responses:
        assert response.status_code in (200, 202), response.text[:500]
    return responses


def test_no_raw_pii_anywhere(
    app_client: TestClient, db: Database, keys: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    assert leaks(SENTENCE), "the needles must match the input"
    answers = [r.text for r in ingest_everything(app_client, keys)]

    # Redaction happened (placeholders are there), so a clean scan is not an empty one.
    stored = dump_database(db)
    for placeholder in ("[EMAIL]", "[PHONE]", "[CARD]", "[SSN]", "[IBAN]"):
        assert placeholder in stored, placeholder
    assert stored.count("pii-api-1") == 1 and "zendesk-ticket-" in stored and "freshdesk-ticket-" in stored

    # What discovery is handed, and a run built from exactly that (quotes, names, pond values, ids).
    snapshot = load_snapshot(db, {})
    pipeline_input = json.dumps(
        [[t.customer_id, t.turns] for t in snapshot.transcripts]
        + [[a.customer_id, a.name, a.attributes] for a in snapshot.accounts],
        default=str,
    )
    assert_clean("the pipeline input (runs.flow.load_snapshot)", pipeline_input)
    quotes = [
        turn["text"]
        for t in snapshot.transcripts
        for turn in t.turns
        if turn["speaker"] == "customer" and "[" in turn["text"]
    ]
    assert len(quotes) >= 4
    named = {a.customer_id: a.name for a in snapshot.accounts}
    customers = [
        (cid, named.get(cid)) for cid in sorted({t.customer_id for t in snapshot.transcripts} | set(named))
    ]
    pond = [(k, str(v)) for a in snapshot.accounts for k, v in a.attributes.items() if v is not None]
    unmatched = sorted({t.customer_id for t in snapshot.transcripts} - set(named))
    insert_run(db, quotes=quotes[:5], customers=customers, pond_in=pond[:10], unmatched=unmatched)

    read = auth(keys["read"])
    pages = ["/v1/transcripts?limit=500", "/v1/personas", "/v1/customers", "/v1/customers?format=csv"]
    pages += ["/v1/reports/latest", "/v1/runs"] + [f"/v1/accounts/{cid}" for cid in named]
    for path in pages:
        response = app_client.get(path, headers=read)
        assert response.status_code == 200, (path, response.text[:300])
        answers.append(response.text)
        assert_clean(f"GET {path}", response.text)
    report = app_client.get("/v1/reports/latest", headers=read).text
    assert quotes[0].split("[")[0][:20] in report or "[EMAIL]" in report  # the quotes are really in it

    for i, text in enumerate(answers):
        assert_clean(f"API answer {i}", text)
    assert_clean("the database", dump_database(db))
    formatter = JsonFormatter()
    log_text = "\n".join(f"{r.getMessage()}\n{formatter.format(r)}" for r in caplog.records)
    assert caplog.records, "DEBUG logging captured nothing: the log scan would be vacuous"
    assert_clean("the logs", log_text)


def test_account_names_and_attributes_are_redacted_but_keep_their_meaning(
    app_client: TestClient, db: Database, keys: dict[str, str]
) -> None:
    assert (
        app_client.put("/v1/accounts", json=accounts_json(), headers=auth(keys["ingest"])).status_code == 200
    )
    account = app_client.get("/v1/accounts/acct-pii-1", headers=auth(keys["read"])).json()
    assert account["name"] == "Jane Doe ([EMAIL], [PHONE])"
    attributes = account["attributes"]
    assert attributes["segment"] == "smb"
    assert attributes["contact"] == "[PHONE]"
    assert attributes["card_on_file"] == "[CARD]"
    assert attributes["payout_iban"] == "[IBAN]"
    assert attributes["tax_id"] == "SSN [SSN]"
    assert attributes["card_number"] == "[CARD]"
    csv_headers = {**auth(keys["ingest"]), "Content-Type": "text/csv"}
    assert app_client.put("/v1/accounts", content=accounts_csv(), headers=csv_headers).status_code == 200
    csv_account = app_client.get("/v1/accounts/acct-1187", headers=auth(keys["read"])).json()
    assert csv_account["name"] == "Acme [EMAIL]"
    assert csv_account["attributes"] == {
        "segment": "enterprise",
        "billing_email": "[EMAIL]",
        "phone": "[PHONE]",
        "card": "[CARD]",
        "iban": "[IBAN]",
    }


def test_ordinary_account_values_are_left_alone(
    app_client: TestClient, db: Database, keys: dict[str, str]
) -> None:
    """Redaction must not eat firmographics: sizes, years, postcodes, revenue bands, counts stay as sent."""
    attributes = {
        "employees": "1-49",
        "founded": 1998,
        "zip": "10115",
        "band": "Q1 (2,100-9,800)",
        "seats": 250,
        "ratio": 0.75,
        "region": "EMEA",
        "sku": "SKU 12-3456-7",
        "active": True,
        "missing": None,
    }
    payload = {
        "accounts": [
            {"customer_id": "plain", "name": "3M Company 2024", "annual_revenue": 1, "attributes": attributes}
        ]
    }
    assert app_client.put("/v1/accounts", json=payload, headers=auth(keys["ingest"])).status_code == 200
    account = app_client.get("/v1/accounts/plain", headers=auth(keys["read"])).json()
    assert account["name"] == "3M Company 2024"
    assert account["attributes"] == attributes


def test_transcript_metadata_is_redacted_and_structure_kept(
    app_client: TestClient, db: Database, keys: dict[str, str]
) -> None:
    assert (
        app_client.post("/v1/transcripts", json=api_batch(), headers=auth(keys["ingest"])).status_code == 202
    )
    with db.session() as session:
        from service.ingest.models import Transcript

        row = session.scalars(select(Transcript)).one()
        metadata, redactions = row.metadata_, row.redactions
    assert metadata == {
        "contact": "[EMAIL]",
        "callback": {"phone": "[PHONE]", "notes": ["[CARD]", "[SSN]"]},
        "[EMAIL]": True,
        "tags": ["vip", "[IBAN]"],
        "csat": 0.8,
    }
    assert redactions["EMAIL"] >= 4 and redactions["CARD"] >= 3


def test_the_webhook_secret_and_api_keys_never_reach_logs_or_rows(
    app_client: TestClient, db: Database, keys: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    ingest_everything(app_client, keys)
    body = fixture_body("generic")
    forged = sign("generic", body)
    forged["webhook-signature"] = "v1," + base64.b64encode(b"x" * 32).decode()
    app_client.post("/v1/webhooks/generic", content=body, headers=forged)
    app_client.get("/v1/personas", headers=auth(keys["read"] + "x"))
    from tests.service.security.conftest import SECRETS

    secrets = list(SECRETS.values()) + list(keys.values())
    text = dump_database(db) + "\n".join(JsonFormatter().format(r) for r in caplog.records)
    assert not [s for s in secrets if s in text]


def test_the_access_log_carries_no_key_query_secret_customer_id_or_text(
    live_server: str, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """Requests to a real uvicorn server (the TestClient writes no access log), then every log line."""
    caplog.set_level(logging.DEBUG)
    key, customer, words = make_key(db, "admin"), "cust-ACCESS-4711", "zebra quartz persimmon lantern"
    item = {
        "external_id": "ext-ACCESS-0815",
        "customer_id": customer,
        "channel": "chat",
        "turns": [{"speaker": "customer", "text": words}],
    }
    headers = auth(key)
    with httpx.Client(base_url=live_server, timeout=30) as http:
        assert http.post("/v1/transcripts", json={"transcripts": [item]}, headers=headers).status_code == 202
        account = {"accounts": [{"customer_id": customer, "annual_revenue": 10}]}
        assert http.put("/v1/accounts", json=account, headers=headers).status_code == 200
        assert http.get(f"/v1/accounts/{customer}", headers=headers).status_code == 200
        http.get(f"/v1/transcripts?customer_id={customer}&api_key={key}")  # a key in the query string: 401
        http.get(f"/v1/transcripts?customer_id={customer}&limit=5", headers=headers)
        http.get(f"/v1/runs/{customer}", headers=headers)
        http.delete(f"/v1/customers/{customer}", headers={"Authorization": f"Bearer {key}x"})
    # The server's records only: httpx and httpcore log this test's own requests (the client side).
    server = [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]
    access = [r for r in server if r.name == "uvicorn.access"]
    assert len(access) >= 7, "the access log captured nothing: the scan would be vacuous"
    lines = [JsonFormatter().format(r) for r in server] + [r.getMessage() for r in server]
    text = "\n".join(lines)
    for secret in (key, key[:20], customer, "ACCESS", "0815", words, "zebra"):
        assert secret not in text, (secret, [line for line in lines if secret in line][:3])
    messages = {r.getMessage().split('"')[1] for r in access}
    assert (
        "GET /v1/accounts/:id HTTP/1.1" in messages and "GET /v1/transcripts?[redacted] HTTP/1.1" in messages
    )
