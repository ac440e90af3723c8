"""Helpers for run tests: load a small synthetic company through the API and wait for runs."""

from __future__ import annotations

import time
from typing import Any

from fastapi.testclient import TestClient

from pipelines.synthetic import accounts_csv, generate_company
from tests.service.conftest import auth


def ingest_company(client: TestClient, key: str, *, customers: int = 60, seed: int = 3) -> Any:
    company = generate_company(n_customers=customers, seed=seed)
    response = client.put(
        "/v1/accounts",
        content=accounts_csv(company.accounts).encode(),
        headers={**auth(key), "Content-Type": "text/csv"},
    )
    assert response.status_code == 200, response.text
    for start in range(0, len(company.transcripts), 500):
        batch = {"transcripts": company.transcripts[start : start + 500]}
        assert client.post("/v1/transcripts", json=batch, headers=auth(key)).status_code == 202
    return company


def wait_for_run(client: TestClient, key: str, run_id: str, timeout: float = 300) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = client.get(f"/v1/runs/{run_id}", headers=auth(key)).json()
        if run["status"] in ("succeeded", "failed"):
            return run
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} did not finish in {timeout} s")


def start_run(client: TestClient, key: str, **params: Any) -> str:
    response = client.post("/v1/runs", json=params, headers=auth(key))
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "queued"
    return str(response.json()["id"])
