"""A real run through the API (real embedding model, inline executor): personas, ETags, renames, customers."""

from __future__ import annotations

import csv
import io
from datetime import datetime

from fastapi.testclient import TestClient
from sqlalchemy import select

from service.db import Database
from service.runs.models import Run
from tests.service.conftest import auth
from tests.service.runs.helpers import ingest_company, start_run, wait_for_run


def test_run_personas_rename_and_second_run(client: TestClient, keys: dict[str, str], db: Database) -> None:
    read, admin = keys["read"], keys["admin"]
    assert client.get("/v1/personas", headers=auth(read)).status_code == 404
    company = ingest_company(client, keys["ingest"])
    run_id = start_run(client, admin)
    run = wait_for_run(client, read, run_id)
    assert run["status"] == "succeeded", run["error"]
    assert run["progress"] == 1.0
    summary = run["summary"]
    assert summary["transcripts"] == len(company.transcripts)
    assert 2 <= summary["personas"] <= 4
    assert summary["customers"] == len(company.truth)
    assert summary["unmatched_customers"] == len(company.truth) - len(company.accounts)

    first = client.get("/v1/personas", headers=auth(read))
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "private, no-cache"
    body = first.json()
    assert body["run_id"] == run_id and body["totals"]["customers"] == summary["customers"]
    personas = body["personas"]
    assert sum(p["customers"] for p in personas) == summary["customers"]
    assert sum(p["core_growth"] for p in personas) >= 1
    for p in personas:
        assert p["grade"] in "ABC" and p["label"] and 3 <= len(p["quotes"]) <= 5 and p["jobs"]
    # Sentiment is a mean of VADER scores, in -1..1 by construction; what can break is its being computed.
    assert any(p["sentiment"] != 0 for p in personas), [p["sentiment"] for p in personas]

    unchanged = client.get("/v1/personas", headers={**auth(read), "If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.content == b""

    target = personas[0]["id"]
    assert (
        client.patch(
            f"/v1/personas/{target}", json={"label": "Fast reorderers"}, headers=auth(read)
        ).status_code
        == 403
    )
    renamed = client.patch(f"/v1/personas/{target}", json={"label": "Fast reorderers"}, headers=auth(admin))
    assert renamed.status_code == 200 and renamed.json()["label"] == "Fast reorderers"
    after_rename = client.get("/v1/personas", headers={**auth(read), "If-None-Match": etag})
    assert after_rename.status_code == 200 and after_rename.headers["etag"] != etag

    one = client.get(f"/v1/personas/{target}", headers=auth(read)).json()
    assert one["label"] == "Fast reorderers" and one["label_is_human"] is True
    assert client.get("/v1/personas/p-nope", headers=auth(read)).status_code == 404

    # customers: pagination covers everyone once; filters; the CSV target list
    seen, cursor = [], None
    while True:
        params = {"limit": 17, **({"cursor": cursor} if cursor else {})}
        page = client.get("/v1/customers", params=params, headers=auth(read)).json()
        seen += [c["customer_id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(company.truth) and len(seen) == len(set(seen))
    growth = client.get("/v1/customers", params={"core_growth": "true", "format": "csv"}, headers=auth(read))
    assert growth.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(growth.text)))
    assert rows and all(r["core_growth"] == "True" for r in rows)
    in_target = client.get(
        "/v1/customers", params={"persona_id": target, "limit": 1000}, headers=auth(read)
    ).json()
    assert {c["persona_id"] for c in in_target["items"]} == {target}

    drill = client.get(
        "/v1/transcripts", params={"persona_id": target, "limit": 500}, headers=auth(read)
    ).json()
    members = {c["customer_id"] for c in in_target["items"]}
    assert drill["items"] and {t["customer_id"] for t in drill["items"]} <= members
    # a job's drill-down: its transcripts, its examples among them, its customers counted
    job = personas[0]["jobs"][0]
    in_job = client.get(
        "/v1/transcripts", params={"persona_id": target, "job": 0, "limit": 500}, headers=auth(read)
    ).json()["items"]
    assert len(in_job) == job["transcripts"] and {t["customer_id"] for t in in_job} <= members
    assert len({t["customer_id"] for t in in_job}) == job["customers"]
    assert {e["transcript_id"] for e in job["examples"]} <= {str(t["id"]) for t in in_job}
    assert client.get("/v1/transcripts", params={"job": 0}, headers=auth(read)).status_code == 422

    # a second run on the same data: ids stable, the human name sticks, nothing re-embedded, new ETag
    second_id = start_run(client, admin)
    second = wait_for_run(client, read, second_id)
    assert second["status"] == "succeeded"
    # the API says what the run did and where its time went: nothing embedded, every stage timed
    assert second["summary"]["newly_embedded"] == 0
    stages = {"loading", "embedding", "clustering", "describing", "pricing", "storing"}
    assert set(second["summary"]["timings"]) == stages
    # The stages run one after another inside the run: their times add up to no more than its wall time.
    wall = datetime.fromisoformat(second["finished_at"]) - datetime.fromisoformat(second["started_at"])
    assert 0 < sum(second["summary"]["timings"].values()) <= wall.total_seconds() + 0.01
    again = client.get("/v1/personas", headers={**auth(read), "If-None-Match": after_rename.headers["etag"]})
    assert again.status_code == 200 and again.json()["run_id"] == second_id
    assert {p["id"] for p in again.json()["personas"]} == {p["id"] for p in personas}
    assert {p["id"]: p["label"] for p in again.json()["personas"]}[target] == "Fast reorderers"
    with db.transaction(write=False) as session:
        stored = session.scalars(select(Run).where(Run.id == second_id)).one()
        assert stored.summary["newly_embedded"] == 0
        assert stored.config["min_personas"] == 2 and stored.model_name
    older = client.get("/v1/personas", params={"run_id": run_id}, headers=auth(read)).json()
    assert older["run_id"] == run_id
