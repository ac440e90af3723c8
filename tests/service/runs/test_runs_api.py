"""POST/GET /v1/runs without the ML path: auth, validation, failure reasons, stale-run recovery."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient

from service.app import create_app
from service.config import Settings
from service.db import Database
from service.runs.models import Run
from tests.service.conftest import auth
from tests.service.runs.helpers import start_run, wait_for_run


def test_runs_need_admin_and_valid_params(client: TestClient, keys: dict[str, str]) -> None:
    assert client.post("/v1/runs", json={}).status_code == 401
    assert client.post("/v1/runs", json={}, headers=auth(keys["ingest"])).status_code == 403
    assert client.post("/v1/runs", json={}, headers=auth(keys["read"])).status_code == 403
    bad = client.post("/v1/runs", json={"min_personas": 4, "max_personas": 2}, headers=auth(keys["admin"]))
    assert bad.status_code == 422
    window = client.post(
        "/v1/runs",
        json={"since": "2026-02-01T00:00:00Z", "until": "2026-01-01T00:00:00Z"},
        headers=auth(keys["admin"]),
    )
    assert window.status_code == 422
    assert client.get("/v1/runs/nope", headers=auth(keys["read"])).status_code == 404


def test_run_without_transcripts_fails_with_a_reason(client: TestClient, keys: dict[str, str]) -> None:
    run_id = start_run(client, keys["admin"])
    run = wait_for_run(client, keys["read"], run_id)
    assert run["status"] == "failed"
    assert "no transcripts" in run["error"]
    listed = client.get("/v1/runs", headers=auth(keys["read"])).json()
    assert [r["id"] for r in listed["items"]] == [run_id]
    assert (
        client.get("/v1/personas", params={"run_id": run_id}, headers=auth(keys["read"])).status_code == 409
    )


def test_interrupted_runs_are_failed_at_start_up(
    settings: Settings, db: Database, keys: dict[str, str]
) -> None:
    with db.transaction() as session:
        session.add(
            Run(
                id="a" * 32,
                status="running",
                stage="embedding",
                progress=0.3,
                params={},
                created_at=datetime.now(UTC),
                started_at=datetime.now(UTC),
            )
        )
    with TestClient(create_app(settings, db)) as client:
        run = client.get(f"/v1/runs/{'a' * 32}", headers=auth(keys["read"])).json()
    assert run["status"] == "failed" and run["error"].startswith("interrupted")


def test_run_listing_pages_newest_first_and_ties_break_by_id(
    client: TestClient, db: Database, keys: dict[str, str]
) -> None:
    """Five runs, two sharing a created_at to the microsecond: pages of two walk each run exactly once."""
    same = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    stamps = [datetime(2026, 11, 30, 8, n, tzinfo=UTC) for n in range(3)] + [same, same]
    with db.transaction() as session:
        for n, stamp in enumerate(stamps):
            session.add(Run(id=f"run{n:029d}", status="failed", progress=1.0, params={}, created_at=stamp))
    seen: list[str] = []
    cursor: str | None = None
    while True:
        params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        page = client.get("/v1/runs", headers=auth(keys["read"]), params=params).json()
        seen += [run["id"] for run in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"run{n:029d}" for n in (4, 3, 2, 1, 0)]
    bad = client.get("/v1/runs", headers=auth(keys["read"]), params={"cursor": "bm90LWEtdGltZXxy"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "cursor"
