"""Migrations carry stored runs forward: a run stored by an older release reads the same through the API."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from fastapi.testclient import TestClient

from service import migrate
from service.app import create_app
from service.auth.models import ApiKey
from service.config import Settings
from service.db import Database
from tests.service.conftest import auth, make_key

RECORDED = Path(__file__).resolve().parents[1] / "fixtures" / "contract"
BEFORE_STORED_PERSONA = "6efaffde71ce"  # the revision before run personas held {persona, note}


def _insert_old_run(database: Database, personas: dict) -> None:  # type: ignore[type-arg]
    """A run as the release before the redesign stored it: Persona payloads, totals only in the report data."""
    moment = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    metadata = sa.MetaData()
    runs = sa.Table("runs", metadata, autoload_with=database.write_engine)
    run_personas = sa.Table("run_personas", metadata, autoload_with=database.write_engine)
    totals = {**personas["totals"], "contacts": 50, "revenue_per_customer": None, "cost_per_customer": 1.0}
    with database.write_engine.begin() as connection:
        connection.execute(
            runs.insert().values(
                id=personas["run_id"], status="succeeded", stage="done", progress=1.0, params={},
                summary={"customers": 19, "transcripts": 50, "personas": 3}, config={},
                report_data={"totals": totals}, created_at=moment, finished_at=moment,
            )
        )  # fmt: skip
        for position, persona in enumerate(personas["personas"]):
            connection.execute(
                run_personas.insert().values(
                    run_id=personas["run_id"], persona_id=persona["id"], position=position,
                    auto_label=persona["label"], payload=persona, centroid=b"\0" * 16,
                )
            )  # fmt: skip


def test_runs_stored_before_the_redesign_read_the_same(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    migrate.upgrade(url, BEFORE_STORED_PERSONA)
    database = Database.from_url(url)
    recorded = json.loads((RECORDED / "personas.json").read_text(encoding="utf-8"))
    _insert_old_run(database, recorded)
    migrate.upgrade(url)
    key = make_key(database, "read")
    settings = Settings(database_url=url, webhook_secrets={}, warm_up=False)
    with TestClient(create_app(settings, database)) as client:
        answer = client.get("/v1/personas", headers=auth(key))
    database.dispose()
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["personas"] == recorded["personas"] and body["totals"] == recorded["totals"]


BEFORE_PUBLIC_IDS = "5e0a1c7b9d42"  # the revision before keys had a public id and a keyed hash


def test_keys_made_before_public_ids_keep_working(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old-keys.db'}"
    migrate.upgrade(url, BEFORE_PUBLIC_IDS)
    database = Database.from_url(url)
    old_key, old_bootstrap = "pk_" + "k" * 43, "an-old-bootstrap-key-value"
    api_keys = sa.Table("api_keys", sa.MetaData(), autoload_with=database.write_engine)
    with database.write_engine.begin() as connection:
        for name, scope, value in (("etl", "ingest", old_key), ("bootstrap-admin", "admin", old_bootstrap)):
            digest = hashlib.sha256(value.encode()).hexdigest()  # how the release before stored keys
            connection.execute(
                api_keys.insert().values(name=name, scope=scope, key_hash=digest, prefix=value[:10])
            )
    migrate.upgrade(url)
    columns = {c["name"] for c in sa.inspect(database.write_engine).get_columns("api_keys")}
    assert "prefix" not in columns and {"public_id", "last_used_at", "expires_at"} <= columns
    settings = Settings(
        database_url=url, webhook_secrets={}, warm_up=False, bootstrap_admin_key=old_bootstrap
    )
    with TestClient(create_app(settings, database)) as client:
        assert client.post("/v1/transcripts", json={}, headers=auth(old_key)).status_code == 422
        assert client.get("/v1/audit", headers=auth(old_bootstrap)).status_code == 200
    with database.transaction(write=False) as session:
        bootstrap = session.scalars(sa.select(ApiKey).where(ApiKey.bootstrap)).one()
    database.dispose()
    # The same bootstrap value kept its key (no second one) and is now stored under the keyed hash.
    assert bootstrap.revoked_at is None and bootstrap.hashed_with == "install"
