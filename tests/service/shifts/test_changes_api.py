"""GET /v1/runs/{id}/changes and GET /v1/customers?moved_from= on two stored runs with a planted shift."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from service.db import Database
from tests.service.conftest import auth
from tests.service.shifts.planted import AFTER, AVOID, BEFORE, FRESH, GROWTH, LABELS, OLD, STEADY, store_shift


def changes(client: TestClient, key: str, run_id: str) -> Any:
    return client.get(f"/v1/runs/{run_id}/changes", headers=auth(key))


def test_changes_between_runs(client: TestClient, db: Database, keys: dict[str, str]) -> None:
    store_shift(db)
    response = changes(client, keys["read"], AFTER)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["run_id"], body["previous_run_id"]) == (AFTER, BEFORE)
    by_id = {p["id"]: p for p in body["personas"]}
    assert {pid: p["status"] for pid, p in by_id.items()} == {
        GROWTH: "kept",
        STEADY: "kept",
        AVOID: "kept",
        FRESH: "new",
        OLD: "gone",
    }
    avoid = by_id[AVOID]
    assert avoid["label"] == LABELS[AVOID]
    assert (avoid["share_before"], avoid["share_after"]) == (0.1, round(30 / 110, 4))
    assert (avoid["customers_before"], avoid["customers_after"]) == (10, 30)
    assert (by_id[STEADY]["cost_per_customer_before"], by_id[STEADY]["cost_per_customer_after"]) == (
        200.0,
        250.0,
    )
    assert by_id[FRESH]["share_before"] == 0.0 and by_id[FRESH]["cost_per_customer_before"] is None
    assert by_id[OLD]["share_after"] == 0.0 and by_id[OLD]["cost_per_customer_after"] is None
    matrix = {(m["from"], m["to"]): m["customers"] for m in body["migrations"]}
    assert matrix == {
        (GROWTH, GROWTH): 40,
        (STEADY, STEADY): 30,
        (GROWTH, AVOID): 10,
        (AVOID, AVOID): 10,
        (OLD, AVOID): 10,
    }
    core = body["core_growth"]
    assert (core["customers_before"], core["moved_out"], core["moved_to_grade_c"]) == (50, 10, 10)
    assert core["customer_ids"] == [f"c{n:03d}" for n in range(40, 50)]


def test_customers_moved_from_a_persona(client: TestClient, db: Database, keys: dict[str, str]) -> None:
    store_shift(db)
    response = client.get(f"/v1/customers?moved_from={GROWTH}", headers=auth(keys["read"]))
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [i["customer_id"] for i in items] == [f"c{n:03d}" for n in range(40, 50)]
    assert {i["persona_id"] for i in items} == {AVOID}
    stayed = client.get(f"/v1/customers?moved_from={STEADY}&run_id={AFTER}", headers=auth(keys["read"]))
    assert stayed.json()["items"] == []
    csv = client.get(f"/v1/customers?moved_from={OLD}&format=csv", headers=auth(keys["read"]))
    assert csv.status_code == 200 and len(csv.text.strip().splitlines()) == 1 + 10


def test_no_run_or_no_previous_run_is_a_problem(
    client: TestClient, db: Database, keys: dict[str, str]
) -> None:
    missing = changes(client, keys["read"], "no-such-run")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    store_shift(db)
    first = changes(client, keys["read"], BEFORE)
    assert first.status_code == 409
    assert "no previous run" in first.json()["detail"]
    moved = client.get(f"/v1/customers?moved_from={GROWTH}&run_id={BEFORE}", headers=auth(keys["read"]))
    assert moved.status_code == 409
    assert changes(client, keys["ingest"], AFTER).status_code == 403
