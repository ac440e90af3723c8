"""API key rules: creation, hashing, lookup, revocation, and the bootstrap admin key."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.audit.schemas import AuditAction
from service.audit.service import record
from service.auth.models import ApiKey

SCOPES = ("read", "ingest", "admin")
KEY_PREFIX = "pk_"
# The server itself acts when it ensures the bootstrap key at start.
SERVER_ACTOR = "server"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_key_value() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def scope_allows(granted: str, needed: str) -> bool:
    """Admin implies every scope; others only themselves."""
    return granted == "admin" or granted == needed


def create_key(
    session: Session, *, name: str, scope: str, value: str | None = None, actor: str | None = None
) -> tuple[ApiKey, str]:
    """Store a new key and return it with its plaintext value (shown once, never stored); audited."""
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {', '.join(SCOPES)}")
    value = value or new_key_value()
    key = ApiKey(name=name, scope=scope, key_hash=hash_key(value), prefix=value[:10])
    session.add(key)
    session.flush()
    record(
        session,
        AuditAction.KEY_CREATED,
        actor=actor,
        target=str(key.id),
        details={"name": name, "scope": scope},
    )
    return key, value


def authenticate(session: Session, value: str) -> ApiKey | None:
    """The active key with this value, or None."""
    digest = hash_key(value)
    key = session.scalar(select(ApiKey).where(ApiKey.key_hash == digest))
    if key is None or key.revoked_at is not None:
        return None
    # The index lookup already matched; compare again in constant time so timing never depends on the secret.
    return key if hmac.compare_digest(key.key_hash, digest) else None


def revoke_key(session: Session, *, key_id: int, actor: str | None = None) -> bool:
    """Revoke an active key (audited); False if there is no such active key."""
    key = session.get(ApiKey, key_id)
    if key is None or key.revoked_at is not None:
        return False
    key.revoked_at = datetime.now(UTC)
    session.flush()
    record(session, AuditAction.KEY_REVOKED, actor=actor, target=str(key_id), details={"name": key.name})
    return True


def list_keys(session: Session) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).order_by(ApiKey.id)))


def ensure_bootstrap_key(session: Session, value: str) -> None:
    """Make sure an admin key with this value exists (idempotent across restarts)."""
    if session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_key(value))) is None:
        create_key(session, name="bootstrap-admin", scope="admin", value=value, actor=SERVER_ACTOR)
