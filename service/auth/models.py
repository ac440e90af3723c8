"""API keys (`pk_<public id>_<secret>`: the public id in clear, only a keyed hash of the secret) and the
per-install secret that keys the hash when PERSONAS_KEY_HASH_SECRET is not set."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, String, false, func
from sqlalchemy.orm import Mapped, mapped_column

from service.db import Base, UTCDateTime


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    scope: Mapped[str] = mapped_column(String(16))
    # The key's public id (indexed; the lookup). NULL for the bootstrap key and keys made before public ids.
    public_id: Mapped[str | None] = mapped_column(String(32), unique=True, index=True, default=None)
    # HMAC-SHA256 of the secret part (of the whole value for the bootstrap key); SHA-256 of the whole key for
    # keys made before public ids ("sha256"). `hashed_with` says which: "env", "install" or "sha256".
    key_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    hashed_with: Mapped[str] = mapped_column(String(8), default="install")
    bootstrap: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class InstallSecret(Base):
    """Secrets this installation generated for itself, once (e.g. the key-hash secret)."""

    __tablename__ = "install_secrets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(128))
