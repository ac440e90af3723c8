"""DELETE /v1/customers/{id} and `personas erase`: what is removed, what stays valid, who may, what is audited."""

from __future__ import annotations

import hashlib

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from service.cli import app as cli_app
from service.db import Database
from service.erasure.scrub import scrub_persona, traces_of
from service.ingest.models import Transcript
from service.personas.models import RunPersona
from service.personas.schemas import Example, Job, Phrase, StoredPersona
from tests.service.builders import batch, transcript_payload
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
    from tests.service.builders import store_succeeded_run

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
