"""API key rules: scopes, one-time plaintext, hashed storage, revocation and the idempotent bootstrap key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from service.app import create_app
from service.auth.hashing import legacy_digest
from service.auth.models import ApiKey
from service.auth.service import (
    authenticate,
    create_key,
    ensure_bootstrap_key,
    list_keys,
    revoke_key,
    rotate_key,
    scope_allows,
)
from service.cli import app
from service.config import ConfigurationError, Settings, get_settings
from service.db import Database
from tests.service.conftest import auth, make_key

runner = CliRunner()


def test_admin_implies_every_scope_and_others_only_themselves() -> None:
    assert all(scope_allows("admin", needed) for needed in ("read", "ingest", "admin"))
    assert scope_allows("read", "read") and not scope_allows("read", "ingest")
    assert not scope_allows("ingest", "admin") and not scope_allows("read", "admin")


def test_a_key_is_stored_hashed_and_authenticates_until_revoked(db: Database) -> None:
    with db.transaction() as session:
        key, value = create_key(session, name="sales", scope="read")
        key_id = key.id
    with db.transaction() as session:
        stored = session.scalars(select(ApiKey)).one()
        assert value not in (stored.key_hash, stored.name) and len(stored.key_hash) == 64
        found = authenticate(session, value)
        assert found is not None and found.id == key_id and found.scope == "read"
        assert authenticate(session, value + "x") is None
        assert revoke_key(session, key_id=key_id) and not revoke_key(session, key_id=key_id)
    with db.transaction() as session:
        assert authenticate(session, value) is None


def test_an_unknown_scope_is_refused(db: Database) -> None:
    with db.transaction() as session, pytest.raises(ValueError, match="scope"):
        create_key(session, name="x", scope="root")


def test_the_bootstrap_key_is_created_once_across_restarts(db: Database) -> None:
    bootstrap = "bootstrap-admin-key-0123456789"
    for _ in range(3):
        with db.transaction() as session:
            ensure_bootstrap_key(session, bootstrap)
    with db.transaction() as session:
        keys = list_keys(session)
        assert [(k.name, k.scope) for k in keys] == [("bootstrap-admin", "admin")]
        assert authenticate(session, bootstrap) is not None


# ---------------------------------------------------------------- issue 16: storage, expiry, use, rotation


def test_a_key_has_a_public_id_and_only_a_keyed_hash_of_its_secret_is_stored(db: Database) -> None:
    with db.transaction() as session:
        _, value = create_key(session, name="sales", scope="read")
    prefix, public_id, secret = value.split("_", 2)
    assert prefix == "pk" and len(public_id) == 12 and len(secret) >= 40
    with db.transaction() as session:
        stored = session.scalars(select(ApiKey)).one()
        row = {c.name: getattr(stored, c.key) for c in ApiKey.__table__.columns}
    assert stored.public_id == public_id and stored.hashed_with == "install"
    assert "prefix" not in row and not any(secret[:10] in str(v) for v in row.values())
    # Keyed: neither the old unsalted SHA-256 of the key nor of its secret.
    assert stored.key_hash not in (legacy_digest(value), legacy_digest(secret))
    with db.transaction() as session:
        assert authenticate(session, f"pk_{public_id}_{secret[:-1]}x") is None
        assert authenticate(session, f"pk_{'0' * 12}_{secret}") is None


def test_the_hash_secret_can_come_from_the_environment_and_older_keys_keep_working(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    with db.transaction() as session:
        _, before = create_key(session, name="before", scope="read")
    monkeypatch.setenv("PERSONAS_KEY_HASH_SECRET", "s" * 40)
    get_settings.cache_clear()
    try:
        with db.transaction() as session:
            key, after = create_key(session, name="after", scope="read")
            assert key.hashed_with == "env"
        with db.transaction() as session:
            assert authenticate(session, before) is not None and authenticate(session, after) is not None
        monkeypatch.setenv("PERSONAS_KEY_HASH_SECRET", "t" * 40)  # a changed secret: its keys stop working
        get_settings.cache_clear()
        with db.transaction() as session:
            assert authenticate(session, after) is None and authenticate(session, before) is not None
    finally:
        get_settings.cache_clear()


def test_an_expired_key_is_401(client: TestClient, db: Database) -> None:
    with db.transaction() as session:
        _, expired = create_key(session, name="old", scope="read", expires_at=datetime.now(UTC))
        _, fresh = create_key(
            session, name="new", scope="read", expires_at=datetime.now(UTC) + timedelta(hours=1)
        )
    assert client.get("/v1/runs", headers=auth(expired)).status_code == 401
    assert client.get("/v1/runs", headers=auth(fresh)).status_code == 200


def test_last_use_is_recorded_at_most_once_a_minute(client: TestClient, db: Database) -> None:
    value = make_key(db, "read")

    def last_used() -> datetime | None:
        with db.transaction(write=False) as session:
            return session.scalars(select(ApiKey.last_used_at)).one()

    assert last_used() is None
    assert client.get("/v1/runs", headers=auth(value)).status_code == 200
    first = last_used()
    assert first is not None and datetime.now(UTC) - first < timedelta(seconds=30)
    for _ in range(3):
        client.get("/v1/runs", headers=auth(value))
    assert last_used() == first  # polling does not write on every request
    with db.transaction() as session:  # a minute later the next use is recorded
        session.scalars(select(ApiKey)).one().last_used_at = first - timedelta(minutes=2)
    client.get("/v1/runs", headers=auth(value))
    assert last_used() is not None and last_used() > first  # type: ignore[operator]


def test_rotation_keeps_the_old_key_for_the_grace_period(client: TestClient, db: Database) -> None:
    with db.transaction() as session:
        old, old_value = create_key(session, name="dashboard", scope="read")
        other, other_value = create_key(session, name="etl", scope="ingest")
        rotated = rotate_key(session, key_id=old.id, grace=timedelta(hours=1))
        assert rotated is not None
        successor, new_value = rotated
        assert (successor.name, successor.scope) == ("dashboard", "read")
        instant = rotate_key(session, key_id=other.id, grace=timedelta(0))
        assert instant is not None
        _, other_new = instant
    assert client.get("/v1/runs", headers=auth(old_value)).status_code == 200  # within its grace
    assert client.get("/v1/runs", headers=auth(new_value)).status_code == 200
    assert client.post("/v1/transcripts", json={}, headers=auth(other_value)).status_code == 401
    assert client.post("/v1/transcripts", json={}, headers=auth(other_new)).status_code == 422


def test_cli_creates_expiring_keys_lists_their_use_and_rotates(cli_env: None, client: TestClient) -> None:
    made = runner.invoke(app, ["keys", "create", "--name", "bi", "--scope", "read", "--expires-in", "30d"])
    assert made.exit_code == 0, made.output
    value = made.stdout.strip().splitlines()[-1]
    assert client.get("/v1/runs", headers=auth(value)).status_code == 200
    listing = runner.invoke(app, ["keys", "list"]).stdout.splitlines()
    header, row = listing[0].split("\t"), listing[1].split("\t")
    assert header == ["id", "name", "scope", "state", "last used", "expires"]
    expected_expiry = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%d")
    assert row[1:4] == ["bi", "read", "active"] and row[4] != "-" and row[5].startswith(expected_expiry)
    assert value not in "\n".join(listing)
    rotated = runner.invoke(app, ["keys", "rotate", row[0], "--grace", "0s"])
    assert rotated.exit_code == 0, rotated.output
    successor = rotated.stdout.strip().splitlines()[-1]
    assert client.get("/v1/runs", headers=auth(successor)).status_code == 200
    assert client.get("/v1/runs", headers=auth(value)).status_code == 401
    assert runner.invoke(app, ["keys", "create", "--name", "x", "--expires-in", "soon"]).exit_code == 2


def test_a_new_bootstrap_value_revokes_the_previous_bootstrap_key(settings: Settings, db: Database) -> None:
    first, second = "bootstrap-first-0123456789", "bootstrap-second-0123456789"
    for value in (first, first, second):  # three starts: the same value twice, then a new one
        with TestClient(create_app(settings.model_copy(update={"bootstrap_admin_key": value}), db)) as client:
            assert client.get("/v1/audit", headers=auth(value)).status_code == 200
    with TestClient(create_app(settings, db)) as client:
        assert client.get("/v1/audit", headers=auth(first)).status_code == 401
        events = client.get("/v1/audit", headers=auth(second)).json()["items"]
    assert [e["action"] for e in events if e["actor"] == "server"] == [
        "key.revoked",
        "key.created",
        "key.created",
    ]
    with db.transaction() as session:
        active = [k for k in list_keys(session) if k.bootstrap and k.revoked_at is None]
        assert len(active) == 1
        with pytest.raises(ConfigurationError, match="PERSONAS_BOOTSTRAP_ADMIN_KEY"):
            ensure_bootstrap_key(session, first)  # a revoked value is not brought back
