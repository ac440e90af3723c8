"""API key rules: creation, lookup, use, expiry, rotation, revocation, and the bootstrap admin key.
How key values look and are hashed: service/auth/hashing.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from service.audit.schemas import AuditAction
from service.audit.service import record
from service.auth.hashing import current_scheme, digest, matches, new_key_value, parse_key
from service.auth.models import ApiKey
from service.config import ConfigurationError

SCOPES = ("read", "ingest", "admin")
# The server itself acts when it ensures the bootstrap key at start.
SERVER_ACTOR = "server"
BOOTSTRAP_NAME = "bootstrap-admin"
#: `last_used_at` is written at most this often per key, so a dashboard polling every second does not write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def now() -> datetime:
    return datetime.now(UTC)


def scope_allows(granted: str, needed: str) -> bool:
    """Admin implies every scope; others only themselves."""
    return granted == "admin" or granted == needed


def create_key(
    session: Session,
    *,
    name: str,
    scope: str,
    actor: str | None = None,
    expires_at: datetime | None = None,
    details: dict[str, object] | None = None,
) -> tuple[ApiKey, str]:
    """Store a new key and return it with its plaintext value (shown once, never stored); audited."""
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {', '.join(SCOPES)}")
    value, public_id, secret = new_key_value()
    scheme = current_scheme()
    hashed = digest(session, secret, scheme, create=True)
    assert hashed is not None  # the current scheme always has its secret (made on first use)
    key = ApiKey(
        name=name,
        scope=scope,
        public_id=public_id,
        key_hash=hashed,
        hashed_with=scheme,
        expires_at=expires_at,
    )
    session.add(key)
    session.flush()
    audited = {"name": name, "scope": scope, **(details or {})}
    if expires_at is not None:
        audited["expires_at"] = expires_at.isoformat()
    record(session, AuditAction.KEY_CREATED, actor=actor, target=str(key.id), details=audited)
    return key, value


def is_active(key: ApiKey, at: datetime | None = None) -> bool:
    moment = at or now()
    return key.revoked_at is None and (key.expires_at is None or key.expires_at > moment)


def _by_public_id(session: Session, value: str) -> ApiKey | None:
    parsed = parse_key(value)
    if parsed is None:
        return None
    key = session.scalar(select(ApiKey).where(ApiKey.public_id == parsed[0]))
    if key is None:
        return None
    return key if matches(key.key_hash, digest(session, parsed[1], key.hashed_with)) else None


def _by_whole_value(session: Session, value: str) -> ApiKey | None:
    """The bootstrap key (hashed whole) or a key made before public ids (SHA-256 of the whole key)."""
    candidates = {scheme: digest(session, value, scheme) for scheme in ("env", "install", "sha256")}
    known = [d for d in candidates.values() if d is not None]
    query = select(ApiKey).where(ApiKey.public_id.is_(None), ApiKey.key_hash.in_(known))
    for key in session.scalars(query):
        if matches(key.key_hash, candidates.get(key.hashed_with)):
            return key
    return None


def authenticate(session: Session, value: str) -> ApiKey | None:
    """The active key with this value, or None (unknown, revoked or expired). One index lookup: by public id,
    or for a value without one by its digests; the comparison is constant-time."""
    key = _by_public_id(session, value) or _by_whole_value(session, value)
    return key if key is not None and is_active(key) else None


def needs_use_recorded(key: ApiKey, at: datetime | None = None) -> bool:
    moment = at or now()
    return key.last_used_at is None or moment - key.last_used_at >= LAST_USED_RESOLUTION


def record_use(session: Session, key_id: int) -> None:
    """Set `last_used_at` unless it was set within LAST_USED_RESOLUTION (by this or another process)."""
    moment = now()
    session.execute(
        update(ApiKey)
        .where(ApiKey.id == key_id)
        .where(or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at <= moment - LAST_USED_RESOLUTION))
        .values(last_used_at=moment)
    )


def revoke_key(session: Session, *, key_id: int, actor: str | None = None, reason: str | None = None) -> bool:
    """Revoke an active key (audited); False if there is no such active key."""
    key = session.get(ApiKey, key_id)
    if key is None or key.revoked_at is not None:
        return False
    key.revoked_at = now()
    session.flush()
    details = {"name": key.name, **({"reason": reason} if reason else {})}
    record(session, AuditAction.KEY_REVOKED, actor=actor, target=str(key_id), details=details)
    return True


def rotate_key(
    session: Session, *, key_id: int, grace: timedelta, actor: str | None = None
) -> tuple[ApiKey, str] | None:
    """A successor with the same name and scope (and the same lifetime, if the key had one); the old key keeps
    working for `grace`, then expires. None if there is no such active key (or it is the bootstrap key, which
    rotates by changing PERSONAS_BOOTSTRAP_ADMIN_KEY)."""
    old = session.get(ApiKey, key_id)
    if old is None or old.bootstrap or not is_active(old):
        return None
    moment = now()
    expires_at = None
    if old.expires_at is not None and old.created_at is not None:
        expires_at = moment + (old.expires_at - old.created_at)
    successor = create_key(
        session,
        name=old.name,
        scope=old.scope,
        actor=actor,
        expires_at=expires_at,
        details={"rotated_from": old.id},
    )
    ends = moment + grace
    if old.expires_at is None or old.expires_at > ends:
        old.expires_at = ends
    session.flush()
    return successor


def list_keys(session: Session) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).order_by(ApiKey.id)))


def ensure_bootstrap_key(session: Session, value: str) -> None:
    """Make the bootstrap admin key the one with this value: kept across restarts with the same value; a new
    value revokes the previous bootstrap key (one managed key, so rotating the variable rotates the key)."""
    active = list(session.scalars(select(ApiKey).where(ApiKey.bootstrap, ApiKey.revoked_at.is_(None))))
    current = _by_whole_value(session, value)
    if current is not None and not current.bootstrap:
        current = None  # the same value as some other key: never expected, never adopted
    if current is not None and current.revoked_at is not None:
        raise ConfigurationError("PERSONAS_BOOTSTRAP_ADMIN_KEY: this value was revoked; choose a new one")
    scheme = current_scheme()
    hashed = digest(session, value, scheme, create=True)
    assert hashed is not None
    if current is None:
        current = ApiKey(
            name=BOOTSTRAP_NAME, scope="admin", key_hash=hashed, hashed_with=scheme, bootstrap=True
        )
        session.add(current)
        session.flush()
        details = {"name": BOOTSTRAP_NAME, "scope": "admin"}
        record(session, AuditAction.KEY_CREATED, actor=SERVER_ACTOR, target=str(current.id), details=details)
    elif current.hashed_with != scheme:  # stored the old way (or under the other secret): rehash
        current.key_hash, current.hashed_with = hashed, scheme
    for other in active:
        if other.id != current.id:
            revoke_key(session, key_id=other.id, actor=SERVER_ACTOR, reason="bootstrap key replaced")
    session.flush()
