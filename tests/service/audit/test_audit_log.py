"""The audit log records administrative actions (who, when, what) and never a secret."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from service.auth.service import authenticate
from service.cli import app as cli_app
from service.db import Database
from tests.service.conftest import auth, make_key
from tests.service.security.handbuilt import PERSONA_IDS, insert_run


def _events(client: TestClient, admin: str, **params: str) -> list[dict]:  # type: ignore[type-arg]
    response = client.get("/v1/audit", headers=auth(admin), params=params)
    assert response.status_code == 200, response.text
    return response.json()["items"]  # type: ignore[no-any-return]


def test_admin_actions_are_recorded_newest_first_with_the_acting_key(
    client: TestClient, db: Database
) -> None:
    admin = make_key(db, "admin", name="ops-admin")
    with db.session() as session:
        admin_id = authenticate(session, admin).id  # type: ignore[union-attr]
    insert_run(db)

    renamed = client.patch(
        f"/v1/personas/{PERSONA_IDS[0]}", headers=auth(admin), json={"label": "Fast sellers"}
    )
    assert renamed.status_code == 200
    started = client.post("/v1/runs", headers=auth(admin), json={})
    assert started.status_code == 202

    events = _events(client, admin)
    actions = [event["action"] for event in events]
    assert actions == ["run.started", "persona.renamed", "key.created"]
    run_event, rename_event, key_event = events
    assert run_event["target"] == started.json()["id"] and run_event["key_id"] == admin_id
    assert rename_event["target"] == PERSONA_IDS[0] and rename_event["details"] == {"label": "Fast sellers"}
    assert key_event["target"] == str(admin_id) and key_event["details"] == {
        "name": "ops-admin",
        "scope": "admin",
    }
    assert admin not in json.dumps(events)
    assert [e["action"] for e in _events(client, admin, action="persona.renamed")] == ["persona.renamed"]


def test_only_admins_read_the_log_and_bad_filters_are_422(client: TestClient, db: Database) -> None:
    reader, admin = make_key(db, "read"), make_key(db, "admin")
    assert client.get("/v1/audit", headers=auth(reader)).status_code == 403
    assert client.get("/v1/audit").status_code == 401
    bad = client.get("/v1/audit", headers=auth(admin), params={"action": "drop.tables"})
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    assert client.get("/v1/audit", headers=auth(admin), params={"cursor": "%%%"}).status_code == 422


def test_paging_walks_every_event_once(client: TestClient, db: Database) -> None:
    admin = make_key(db, "admin")
    for n in range(4):
        make_key(db, "read", name=f"reader-{n}")
    seen: list[int] = []
    cursor: str | None = None
    while True:
        params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        page = client.get("/v1/audit", headers=auth(admin), params=params).json()
        seen += [event["id"] for event in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 5 and seen == sorted(seen, reverse=True)


def test_cli_key_revocation_is_recorded_as_the_cli(client: TestClient, db: Database, cli_env: None) -> None:
    admin = make_key(db, "admin")
    victim = make_key(db, "read", name="leaked")
    with db.session() as session:
        victim_id = authenticate(session, victim).id  # type: ignore[union-attr]
    result = CliRunner().invoke(cli_app, ["keys", "revoke", str(victim_id)])
    assert result.exit_code == 0, result.output
    newest = _events(client, admin)[0]
    assert newest["action"] == "key.revoked" and newest["actor"] == "cli" and newest["key_id"] is None
    assert newest["target"] == str(victim_id) and victim not in json.dumps(newest)
