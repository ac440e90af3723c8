"""API key rules: scopes, one-time plaintext, hashed storage, revocation and the idempotent bootstrap key."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from service.auth.models import ApiKey
from service.auth.service import (
    authenticate,
    create_key,
    ensure_bootstrap_key,
    list_keys,
    revoke_key,
    scope_allows,
)
from service.db import Database


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
