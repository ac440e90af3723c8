"""The erasure bar: after DELETE /v1/customers/{id}, no API answer, report, log line or database table holds
the customer's id or words, including the results of runs made before the erasure (a real run, and an older
run stored by the builders whose quotes and examples are that customer's).

Every customer's first turn starts with a token of letters made from its id ("Ref qzbcx: ..."), so a quote
of the customer carries it; the scan looks for the id and the token in everything."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from pipelines.synthetic import accounts_csv, generate_company
from service.config import Settings
from service.db import Database
from service.ingest.models import Transcript
from service.personas.schemas import CustomerRow, Example, Job, Phrase
from service.reports.schemas import CustomerMap, MapPoint, ReportData
from service.runs.flow import load_snapshot
from tests.service.builders import store_succeeded_run
from tests.service.conftest import auth
from tests.service.ingest.test_webhooks_api import GENERIC_SECRET, generic_headers
from tests.service.runs.helpers import start_run, wait_for_run
from tests.service.security.handbuilt import persona_payload
from tests.service.security.test_pii_audit import dump_database

OLD_RUN = "run0erasure0000000000000000older"


def token(customer_id: str) -> str:
    return "qz" + "".join(chr(ord("a") + int(d)) for d in customer_id if d.isdigit()) + "x"


def _marked(transcript: dict[str, Any]) -> dict[str, Any]:
    turns = [dict(t) for t in transcript["turns"]]
    first = next(i for i, t in enumerate(turns) if t["speaker"] == "customer")
    turns[first]["text"] = f"Ref {token(transcript['customer_id'])}: {turns[first]['text']}"
    return {**transcript, "turns": turns}


def _ingest(client: TestClient, key: str) -> list[str]:
    """A synthetic company: accounts as CSV, each customer's transcripts as one signed webhook delivery."""
    company = generate_company(n_customers=40, seed=5)
    csv_body = accounts_csv(company.accounts).encode()
    headers = {**auth(key), "Content-Type": "text/csv"}
    assert client.put("/v1/accounts", content=csv_body, headers=headers).status_code == 200
    by_customer: dict[str, list[dict[str, Any]]] = {}
    for transcript in company.transcripts:
        by_customer.setdefault(transcript["customer_id"], []).append(_marked(transcript))
    for customer_id, transcripts in sorted(by_customer.items()):
        body = json.dumps({"transcripts": transcripts}).encode()
        answer = client.post(
            "/v1/webhooks/generic", content=body, headers=generic_headers(body, f"msg-{customer_id}")
        )
        assert answer.status_code == 202, answer.text
    return [a["customer_id"] for a in company.accounts]


def _quoted_customer(client: TestClient, key: str, with_account: list[str]) -> str:
    """A customer with an account whose words the real run quotes (the erasure must edit the run)."""
    text = client.get("/v1/personas", headers=auth(key)).text
    quoted = [c for c in with_account if token(c) in text]
    assert quoted, "the run quotes no customer with an account"
    return quoted[0]


def _store_older_run(database: Database, customer_id: str) -> None:
    """A run from before, stored by the builders: a quote, a job example and a phrase example of the customer."""
    with database.transaction(write=False) as session:
        first = session.scalars(select(Transcript).where(Transcript.customer_id == customer_id)).first()
        assert first is not None
        own = next(t["text"] for t in first.turns if t["speaker"] == "customer")
        transcript_id = str(first.id)
    mine, other = (
        Example(transcript_id=transcript_id, quote=own),
        Example(transcript_id="999999", quote="Not mine."),
    )
    persona = persona_payload("p-old", "Older persona", grade="A", quotes=[own, "Someone else entirely."])
    persona = persona.model_copy(
        update={
            "jobs": [
                Job(label="Order", keywords=["order"], transcripts=4, share=1.0, examples=[mine, other])
            ],
            "motivations": [Phrase(text="own words", count=3, examples=[mine])],
        }
    )
    rows = [
        CustomerRow(customer_id=c, name=None, persona_id="p-old", confidence=0.9, grade="A", core_growth=True,
                    annual_revenue=1000.0, cost_to_serve=10.0, margin=990.0, contacts=2)
        for c in (customer_id, "someone-else")
    ]  # fmt: skip
    points = [
        MapPoint(customer_id=c, persona_id="p-old", x=0.0, y=1.0) for c in (customer_id, "someone-else")
    ]
    data = ReportData(map=CustomerMap(method="test", points=points), unmatched_customer_ids=[customer_id])
    finished = datetime.now(UTC) - timedelta(days=1)
    store_succeeded_run(
        database, run_id=OLD_RUN, personas=[persona], customers=rows, report_data=data, finished_at=finished
    )


def _answers(client: TestClient, key: str, run_ids: list[str]) -> list[str]:
    """Every read answer that could show a customer: personas, customers (JSON, CSV), transcripts, runs, reports."""
    paths = ["/v1/personas", "/v1/customers?limit=1000", "/v1/customers?format=csv", "/v1/runs?limit=100",
             "/v1/reports/latest", "/v1/audit?limit=500"]  # fmt: skip
    for run_id in run_ids:
        paths += [f"/v1/personas?run_id={run_id}", f"/v1/customers?run_id={run_id}&limit=1000",
                  f"/v1/customers?run_id={run_id}&format=csv", f"/v1/runs/{run_id}", f"/v1/runs/{run_id}/report"]  # fmt: skip
    texts = []
    for path in paths:
        answer = client.get(path, headers=auth(key))
        assert answer.status_code == 200, (path, answer.text)
        texts.append(answer.text)
    cursor: str | None = ""
    while cursor is not None:
        page = client.get(f"/v1/transcripts?limit=500&cursor={cursor}" if cursor else "/v1/transcripts?limit=500",
                          headers=auth(key))  # fmt: skip
        assert page.status_code == 200, page.text
        texts.append(page.text)
        cursor = page.json()["next_cursor"]
    return texts


def app_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """What the app and the libraries it runs on logged; the test's own HTTP client (httpx) logs the URLs it
    calls, ids included, and is not part of the app."""
    return [r for r in caplog.records if not r.name.startswith("httpx")]


@pytest.fixture
def webhook_settings(settings: Settings) -> Settings:
    settings.webhook_secrets.update(generic=GENERIC_SECRET)
    return settings


def test_after_erasure_nothing_holds_the_customer(
    webhook_settings: Settings,
    client: TestClient,
    keys: dict[str, str],
    db: Database,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with_account = _ingest(client, keys["ingest"])
    run = wait_for_run(client, keys["read"], start_run(client, keys["admin"]))
    assert run["status"] == "succeeded", run["error"]
    target = _quoted_customer(client, keys["read"], with_account)
    _store_older_run(db, target)
    marks = (target, token(target))
    before = _answers(client, keys["admin"], [run["id"], OLD_RUN])
    assert all(any(mark in text for text in before) for mark in marks)  # the scan can see them
    assert target in dump_database(db) and token(target) in dump_database(db)

    caplog.set_level(logging.DEBUG)
    erased = client.delete(f"/v1/customers/{target}", headers=auth(keys["admin"]))
    assert erased.status_code == 200, erased.text
    counts = erased.json()
    assert counts["transcripts"] >= 1 and counts["accounts"] == 1 and counts["webhook_deliveries"] == 1
    assert counts["assignments"] == 2 and counts["quotes"] >= 4 and counts["report_entries"] >= 2
    assert counts["runs_changed"] == 2 and counts["embeddings"] == counts["transcripts"]

    after = _answers(client, keys["admin"], [run["id"], OLD_RUN])
    assert any(r.name == "personas.erasure" for r in app_records(caplog))  # the capture sees the app's logs
    for mark in marks:
        assert not [t[:200] for t in after if mark in t], mark
        assert not [
            r.getMessage() for r in app_records(caplog) if mark in f"{r.getMessage()} {r.__dict__}"
        ], mark
        assert not [line[:200] for line in dump_database(db).splitlines() if mark in line], mark
    personas = client.get("/v1/personas", headers=auth(keys["read"])).json()["personas"]
    assert all(p["quotes"] and p["jobs"] for p in personas)  # the others' words stay
    assert load_snapshot(db, {}).transcripts and all(
        t.customer_id != target for t in load_snapshot(db, {}).transcripts
    )
    assert client.delete(f"/v1/customers/{target}", headers=auth(keys["admin"])).status_code == 404
