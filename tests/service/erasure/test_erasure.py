"""DELETE /v1/customers/{id} and `personas erase`: what is removed, what stays valid, who may, what is audited."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from pipelines.types import TranscriptInput
from service.cli import app as cli_app
from service.db import Database
from service.erasure.scrub import scrub_persona, traces_of
from service.erasure.service import ERASURE_SLACK, reapply_erasures
from service.ingest.models import Transcript
from service.personas.models import RunPersona
from service.personas.schemas import CustomerRow, Example, Job, Phrase, StoredPersona
from service.reports.schemas import CustomerMap, MapPoint, ReportData
from service.runs.models import Run
from tests.service.builders import batch, store_succeeded_run, transcript_payload
from tests.service.conftest import auth
from tests.service.security.handbuilt import persona_payload

SAID = "The blue widget rattles whenever I open the lid."


def _turns(text: str) -> list[dict[str, str]]:
    return [
        {"speaker": "agent", "text": "Hello, how can I help?"},
        {"speaker": "customer", "text": f"  {text}  "},
    ]


def test_scrubbed_persona_keeps_others_words_and_validates() -> None:
    traces = traces_of("c-1", [(7, _turns(SAID))])
    mine, theirs = (
        Example(transcript_id="7", quote=SAID),
        Example(transcript_id="8", quote="Where is my refund?"),
    )
    long_cut = SAID[:20] + "…"  # a quote cut at a word by pipelines.quotes.trim_quote
    persona = persona_payload("p-1", "Widgets", grade="B", quotes=[SAID, long_cut, "Where is my refund?"])
    persona = persona.model_copy(
        update={
            "jobs": [
                Job(label="Fix", keywords=["widget"], transcripts=3, share=1.0, examples=[mine, theirs])
            ],
            "motivations": [
                Phrase(text="the lid", count=4, examples=[mine]),
                Phrase(text="widget rattles whenever", count=1, examples=[theirs]),
                Phrase(text="my refund", count=2, examples=[theirs]),
                Phrase(text="no examples kept", count=2),
            ],
            "consequences": [Phrase(text="cannot close it", count=3, examples=[mine, theirs])],
        }
    )
    payload, removed = scrub_persona(
        StoredPersona(persona=persona).model_dump(mode="json", by_alias=True), traces
    )
    scrubbed = StoredPersona.model_validate(payload).persona
    assert removed == 8
    assert scrubbed.quotes == ["Where is my refund?"]
    assert scrubbed.jobs[0].examples == [theirs] and scrubbed.jobs[0].transcripts == 3  # counts stay
    assert [p.text for p in scrubbed.motivations] == ["my refund", "no examples kept"]
    assert scrubbed.consequences[0].examples == [theirs]
    assert SAID not in str(payload) and long_cut not in str(payload)


def test_erase_removes_rows_audits_a_hash_and_answers_counts(
    client: TestClient, keys: dict[str, str], db: Database
) -> None:
    payloads = [transcript_payload(f"t-{i}", "c-gone", SAID) for i in range(2)] + [
        transcript_payload("t-9", "c-kept")
    ]
    assert (
        client.post("/v1/transcripts", json=batch(*payloads), headers=auth(keys["ingest"])).status_code == 202
    )
    accounts = {"accounts": [{"customer_id": c, "annual_revenue": 10} for c in ("c-gone", "c-kept")]}
    assert client.put("/v1/accounts", json=accounts, headers=auth(keys["ingest"])).status_code == 200

    assert client.delete("/v1/customers/c-gone", headers=auth(keys["ingest"])).status_code == 403
    answer = client.delete("/v1/customers/c-gone", headers=auth(keys["admin"]))
    assert answer.status_code == 200, answer.text
    digest = hashlib.sha256(b"c-gone").hexdigest()
    assert answer.json() == {
        "customer_id_sha256": digest, "transcripts": 2, "embeddings": 0, "accounts": 1, "webhook_deliveries": 0,
        "assignments": 0, "job_transcripts": 0, "quotes": 0, "report_entries": 0, "runs_changed": 0,
    }  # fmt: skip
    with db.transaction(write=False) as session:
        assert session.scalars(select(Transcript.customer_id)).all() == ["c-kept"]
    assert client.get("/v1/accounts/c-gone", headers=auth(keys["read"])).status_code == 404
    assert client.get("/v1/accounts/c-kept", headers=auth(keys["read"])).status_code == 200
    events = client.get("/v1/audit?action=customer.erased", headers=auth(keys["admin"])).json()["items"]
    assert len(events) == 1 and events[0]["target"] is None and events[0]["key_id"] is not None
    assert events[0]["details"] == answer.json()
    assert "c-gone" not in str(events) and SAID not in str(events)


def test_unknown_customer_is_404_and_not_audited(client: TestClient, keys: dict[str, str]) -> None:
    answer = client.delete("/v1/customers/nobody", headers=auth(keys["admin"]))
    assert answer.status_code == 404 and answer.headers["content-type"] == "application/problem+json"
    assert client.get("/v1/audit?action=customer.erased", headers=auth(keys["admin"])).json()["items"] == []
    assert client.delete("/v1/customers/" + "x" * 201, headers=auth(keys["admin"])).status_code == 422


def test_erasure_refreshes_the_cached_personas_answer(
    client: TestClient, keys: dict[str, str], db: Database
) -> None:
    """GET /v1/personas is served from an encoded cache keyed on what can change it: an erasure must."""
    payload = transcript_payload("t-1", "c-gone", SAID)
    assert (
        client.post("/v1/transcripts", json=batch(payload), headers=auth(keys["ingest"])).status_code == 202
    )
    store_succeeded_run(db, run_id="r" * 32, personas=[persona_payload("p-1", "P", grade="B", quotes=[SAID, "Hi."])],
                        customers=[])  # fmt: skip
    first = client.get("/v1/personas", headers=auth(keys["read"]))
    assert SAID in first.text
    assert client.delete("/v1/customers/c-gone", headers=auth(keys["admin"])).status_code == 200
    second = client.get(
        "/v1/personas", headers={**auth(keys["read"]), "If-None-Match": first.headers["etag"]}
    )
    assert (
        second.status_code == 200
        and SAID not in second.text
        and second.json()["personas"][0]["quotes"] == ["Hi."]
    )
    with db.transaction(write=False) as session:
        assert session.scalar(select(func.count()).select_from(RunPersona)) == 1


def test_cli_erase_is_the_same_erasure(
    cli_env: None, client: TestClient, keys: dict[str, str], db: Database
) -> None:
    payload = transcript_payload("t-1", "c-cli", SAID)
    assert (
        client.post("/v1/transcripts", json=batch(payload), headers=auth(keys["ingest"])).status_code == 202
    )
    runner = CliRunner()
    result = runner.invoke(cli_app, ["erase", "c-cli"])
    assert result.exit_code == 0, result.output
    assert "transcripts\t1" in result.output and "c-cli" not in result.output
    events = client.get("/v1/audit?action=customer.erased", headers=auth(keys["admin"])).json()["items"]
    assert events[0]["actor"] == "cli" and events[0]["details"]["transcripts"] == 1
    again = runner.invoke(cli_app, ["erase", "c-cli"])
    assert again.exit_code == 1 and "No data is stored" in again.output


def test_a_run_in_flight_during_an_erasure_stores_the_customer_scrubbed(
    client: TestClient, keys: dict[str, str], db: Database
) -> None:
    """The run read its snapshot (here: the transcripts as they were) before the erasure committed; what it
    stores after is scrubbed in the same transaction (flow.store_result calls reapply_erasures)."""
    payloads = [transcript_payload("t-late", "c-late", SAID), transcript_payload("t-kept", "c-kept")]
    assert (
        client.post("/v1/transcripts", json=batch(*payloads), headers=auth(keys["ingest"])).status_code == 202
    )
    with db.transaction(write=False) as session:
        rows = session.scalars(select(Transcript).order_by(Transcript.id)).all()
        snapshot = [
            TranscriptInput(str(t.id), t.customer_id, t.channel, t.started_at, None, t.turns) for t in rows
        ]
    started = datetime.now(UTC) - timedelta(seconds=5)
    assert client.delete("/v1/customers/c-late", headers=auth(keys["admin"])).status_code == 200
    persona = persona_payload("p-1", "P", grade="B", quotes=[SAID, "Hi."])
    customers = [
        CustomerRow(customer_id=c, name=None, persona_id="p-1", confidence=1.0, grade="B", core_growth=False,
                    annual_revenue=None, cost_to_serve=1.0, margin=None, contacts=1)
        for c in ("c-late", "c-kept")
    ]  # fmt: skip
    points = [MapPoint(customer_id=c, persona_id="p-1", x=0.0, y=0.0) for c in ("c-late", "c-kept")]
    report = ReportData(map=CustomerMap(points=points))
    store_succeeded_run(db, run_id="r" * 32, personas=[persona], customers=customers, report_data=report,
                        finished_at=started + timedelta(minutes=1))  # fmt: skip
    with db.transaction() as session:
        assert reapply_erasures(session, run_id="r" * 32, transcripts=snapshot) == 1
    read = auth(keys["read"])
    assert client.get("/v1/personas", headers=read).json()["personas"][0]["quotes"] == ["Hi."]
    assert [c["customer_id"] for c in client.get("/v1/customers", headers=read).json()["items"]] == ["c-kept"]
    with db.transaction(write=False) as session:
        stored = session.get_one(Run, "r" * 32).report_data
    assert [p["customer_id"] for p in stored["map"]["points"]] == ["c-kept"]
    with db.transaction() as session:  # an erasure well before the run started is not the run's concern
        session.get_one(Run, "r" * 32).started_at = datetime.now(UTC) + ERASURE_SLACK + timedelta(minutes=5)
    with db.transaction() as session:
        assert reapply_erasures(session, run_id="r" * 32, transcripts=snapshot) == 0
