"""API key values and how they are stored.

A key is `pk_<public id>_<secret>`: the public id (12 hex characters) is stored in clear and indexed, so a
lookup is one index probe; the secret (256 random bits) is stored only as HMAC-SHA256 under a server secret
and compared in constant time. Why HMAC and not a password hash (bcrypt, argon2): the secret is a long random
token, so no dictionary or brute force applies and a deliberately slow hash would only slow every request;
the server secret adds that a copy of the database alone does not let anyone check a guessed key. The secret
is PERSONAS_KEY_HASH_SECRET when set (keep it outside the database), otherwise one generated per install and
stored in the database once (`install_secrets`). Each key records which one hashed it (`hashed_with`), so
setting the variable later keeps the older keys working; changing or removing it invalidates the keys made
under it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.auth.models import InstallSecret
from service.config import get_settings
from service.upsert import insert_for

KEY_PREFIX = "pk_"
_KEY_RE = re.compile(r"pk_([0-9a-f]{12})_([A-Za-z0-9_-]{20,100})")
_INSTALL_SECRET = "key-hash"
_install_secrets: dict[str, bytes] = {}  # per database URL: read once per process


def new_key_value() -> tuple[str, str, str]:
    """(value, public id, secret) of a fresh key."""
    public_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    return f"{KEY_PREFIX}{public_id}_{secret}", public_id, secret


def parse_key(value: str) -> tuple[str, str] | None:
    """(public id, secret) of a key in the current format, or None."""
    match = _KEY_RE.fullmatch(value)
    return (match.group(1), match.group(2)) if match else None


def legacy_digest(value: str) -> str:
    """How keys made before public ids were stored: unsalted SHA-256 of the whole key (still accepted)."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def _install_secret(session: Session, *, create: bool) -> bytes | None:
    """This install's key-hash secret; made on first use when `create` (in a writing transaction)."""
    url = str(session.get_bind().engine.url)
    if url not in _install_secrets:
        if create:
            statement = insert_for(session, InstallSecret.__table__).on_conflict_do_nothing()
            session.execute(statement, [{"name": _INSTALL_SECRET, "value": secrets.token_hex(32)}])
        query = select(InstallSecret.value).where(InstallSecret.name == _INSTALL_SECRET)
        stored = session.scalars(query).first()
        if stored is None:  # none yet: no key can have been hashed with it
            return None
        _install_secrets[url] = bytes.fromhex(stored)
    return _install_secrets[url]


def current_scheme() -> str:
    """The secret new keys are hashed with: "env" (PERSONAS_KEY_HASH_SECRET) or "install"."""
    return "env" if get_settings().key_hash_secret is not None else "install"


def digest(session: Session, secret: str, scheme: str, *, create: bool = False) -> str | None:
    """The stored form of `secret` under `scheme`; None if that scheme's secret is not configured (yet)."""
    if scheme == "sha256":
        return legacy_digest(secret)
    if scheme == "env":
        configured = get_settings().key_hash_secret
        if configured is None:
            return None
        server_secret = configured.get_secret_value().encode("utf-8")
    else:
        made = _install_secret(session, create=create)
        if made is None:
            return None
        server_secret = made
    return hmac.new(server_secret, secret.encode("utf-8"), hashlib.sha256).hexdigest()


def matches(stored: str, candidate: str | None) -> bool:
    return candidate is not None and hmac.compare_digest(stored, candidate)
