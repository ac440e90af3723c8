"""The same transcripts, ingested in two different orders through two paths (HTTP API, `personas ingest
transcripts FILE`), give identical personas: ids, labels, members, grades, quotes and every figure."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from pipelines.synthetic import accounts_csv, generate_company
from service.cli import app
from service.config import get_settings
from service.db import Database
from tests.service.conftest import auth, empty_database, make_key
from tests.service.runs.helpers import start_run, wait_for_run

CUSTOMERS = 60


def _empty(database: Database) -> dict[str, str]:
    """A database as a new user would start it, with fresh keys."""
    empty_database(database)
    return {scope: make_key(database, scope) for scope in ("ingest", "read", "admin")}


def _outcome(client: TestClient, keys: dict[str, str]) -> dict[str, Any]:
    """Run once and read back what a user sees: personas and customers, without run-local ids."""
    run = wait_for_run(client, keys["read"], start_run(client, keys["admin"]))
    assert run["status"] == "succeeded", run["error"]
    personas = client.get("/v1/personas", headers=auth(keys["read"])).json()["personas"]
    customers = client.get("/v1/customers?limit=1000", headers=auth(keys["read"])).json()["items"]
    for persona in personas:
        # Transcript ids are database row ids, which depend on ingest order; the quoted words must not.
        for part in ("quotes", "jobs", "motivations", "consequences"):
            persona[part] = json.loads(json.dumps(persona[part]).replace('"transcript_id"', '"_"'))
            _drop_key(persona[part], "_")
    summary = {k: v for k, v in run["summary"].items() if k not in ("timings", "newly_embedded")}
    return {"summary": summary, "personas": personas, "customers": sorted(customers, key=str)}


def _drop_key(value: Any, key: str) -> None:
    """Remove `key` from every dict inside value, in place."""
    if isinstance(value, dict):
        value.pop(key, None)
        for inner in value.values():
            _drop_key(inner, key)
    elif isinstance(value, list):
        for inner in value:
            _drop_key(inner, key)


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, database_url: str) -> Any:
    monkeypatch.setenv("PERSONAS_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_two_orders_and_two_ingest_paths_give_identical_personas(
    client: TestClient, db: Database, cli_env: Any, tmp_path: Path
) -> None:
    company = generate_company(n_customers=CUSTOMERS, seed=5)
    transcripts = list(company.transcripts)
    accounts = accounts_csv(company.accounts).encode()

    keys = _empty(db)
    shuffled = random.Random(1).sample(transcripts, len(transcripts))
    for start in range(0, len(shuffled), 100):
        batch = {"transcripts": shuffled[start : start + 100]}
        assert client.post("/v1/transcripts", json=batch, headers=auth(keys["ingest"])).status_code == 202
    headers = {**auth(keys["ingest"]), "Content-Type": "text/csv"}
    assert client.put("/v1/accounts", content=accounts, headers=headers).status_code == 200
    through_api = _outcome(client, keys)

    keys = _empty(db)
    path = tmp_path / "transcripts.jsonl"
    path.write_text("".join(json.dumps(t) + "\n" for t in reversed(transcripts)), encoding="utf-8")
    result = CliRunner().invoke(app, ["ingest", "transcripts", str(path), "--batch-size", "37"])
    assert result.exit_code == 0, result.output
    assert (
        client.put("/v1/accounts", content=accounts, headers=headers | auth(keys["ingest"])).status_code
        == 200
    )
    through_cli = _outcome(client, keys)

    assert through_api["summary"]["personas"] >= 2
    assert through_cli == through_api
