"""Every read answer for one fixed stored run matches the recorded answer (tests/fixtures/contract/).

The recorded answers were taken from the code before the middle-layer redesign; a change to them is a change of
the HTTP contract and must be deliberate: re-record with `PERSONAS_RECORD_CONTRACT=1 pytest <this file>` and
review the diff of tests/fixtures/contract/ like any other change.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from service.db import Database
from service.runs import flow
from service.runs.models import Run
from service.runs.service import create_run
from tests.service.conftest import auth
from tests.service.contract_run import (
    FINISHED,
    FIXED_TIME,
    RUN_ID,
    STAGE_SECONDS,
    contract_accounts,
    contract_result,
    contract_transcripts,
)

RECORDED = Path(__file__).resolve().parents[1] / "fixtures" / "contract"
RECORD = os.environ.get("PERSONAS_RECORD_CONTRACT") == "1"
PLOTLY_LIBRARY = re.compile(r'(<script id="plotly-library">).*?(</script>)', re.DOTALL)


def store_contract_run(database: Database) -> None:
    """Store the fixed result as the run flow does, then pin the clock-dependent fields."""
    transcripts = contract_transcripts()
    with database.transaction() as session:
        run = create_run(session, params={"min_personas": 2, "max_personas": 4})
        session.execute(update(Run).where(Run.id == run.id).values(id=RUN_ID))
    snapshot = flow.Snapshot([int(t.external_id) for t in transcripts], transcripts, contract_accounts(), 999)
    flow.store_result(
        database, RUN_ID, snapshot, contract_result(), newly_embedded=0, timings=dict(STAGE_SECONDS)
    )
    with database.transaction() as session:
        run = session.get(Run, RUN_ID)
        assert run is not None
        run.created_at, run.started_at, run.finished_at = FIXED_TIME, FIXED_TIME, FINISHED
        run.summary = {**run.summary, "timings": {**run.summary["timings"], "storing": 0.0625}}


def _compare(name: str, answer: Any) -> None:
    path = RECORDED / name
    if RECORD:
        path.parent.mkdir(parents=True, exist_ok=True)
        text = answer if isinstance(answer, str) else json.dumps(answer, indent=1, sort_keys=True) + "\n"
        path.write_bytes(text.encode("utf-8"))
        return
    recorded = path.read_bytes().decode("utf-8")  # bytes: CSV lines end in \r\n
    if isinstance(answer, str):
        assert answer == recorded, f"{name} differs from the recorded answer"
    else:
        assert answer == json.loads(recorded), f"{name} differs from the recorded answer"


def _json(client: TestClient, key: str, path: str) -> Any:
    response = client.get(path, headers=auth(key))
    assert response.status_code == 200, response.text
    return response.json()


def _html(client: TestClient, key: str, path: str) -> str:
    response = client.get(path, headers=auth(key))
    assert response.status_code == 200, response.text
    return PLOTLY_LIBRARY.sub(r"\1[plotly bundle]\2", response.text)


def test_every_read_answer_matches_the_recorded_contract(
    client: TestClient, db: Database, keys: dict[str, str]
) -> None:
    store_contract_run(db)
    key = keys["read"]
    personas = _json(client, key, "/v1/personas")
    _compare("personas.json", personas)
    _compare("personas_by_run.json", _json(client, key, f"/v1/personas?run_id={RUN_ID}"))
    for persona in personas["personas"]:
        _compare(f"persona_{persona['id']}.json", _json(client, key, f"/v1/personas/{persona['id']}"))
    _compare("run.json", _json(client, key, f"/v1/runs/{RUN_ID}"))
    _compare("runs.json", _json(client, key, "/v1/runs"))
    _compare("customers.json", _json(client, key, "/v1/customers?limit=1000"))
    first_page = _json(client, key, "/v1/customers?limit=5&grade=A")
    _compare("customers_grade_a_page1.json", first_page)
    _compare(
        "customers_grade_a_page2.json",
        _json(client, key, f"/v1/customers?limit=5&grade=A&cursor={first_page['next_cursor']}"),
    )
    csv_answer = client.get("/v1/customers?format=csv&core_growth=true", headers=auth(key))
    assert csv_answer.status_code == 200
    _compare("customers_core_growth.csv", csv_answer.text)
    _compare("report.html", _html(client, key, "/v1/reports/latest"))


def test_answers_after_a_rename_match_the_recorded_contract(
    client: TestClient, db: Database, keys: dict[str, str]
) -> None:
    store_contract_run(db)
    persona_id = _json(client, keys["read"], "/v1/personas")["personas"][0]["id"]
    renamed = client.patch(
        f"/v1/personas/{persona_id}", json={"label": "Repair shops reordering"}, headers=auth(keys["admin"])
    )
    assert renamed.status_code == 200, renamed.text
    _compare("rename_answer.json", renamed.json())
    _compare("personas_after_rename.json", _json(client, keys["read"], "/v1/personas"))
    _compare("report_after_rename.html", _html(client, keys["read"], f"/v1/runs/{RUN_ID}/report"))


@pytest.mark.skipif(not RECORD, reason="records the contract only when PERSONAS_RECORD_CONTRACT=1")
def test_recording_mode_is_on() -> None:
    """A reminder in the output that this run rewrote the recorded answers."""
    assert RECORD
