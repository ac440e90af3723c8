"""Stored transcripts (redacted), their cached embeddings, webhook deliveries for idempotency, and
history-import checkpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    false,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from service.db import Base, UTCDateTime


class Transcript(Base):
    __tablename__ = "transcripts"
    __table_args__ = (UniqueConstraint("source", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(300))
    customer_id: Mapped[str] = mapped_column(String(200), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None, index=True)
    duration_seconds: Mapped[float | None] = mapped_column(Float, default=None)
    turns: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSON, default=dict)
    redactions: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    # Indexed, with started_at: the retention purge selects by age.
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now(), index=True)
    # 1 when first stored, +1 each time changed content replaces it (a ticket that grew).
    revision: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # SHA-256 of the redacted, normalised content: the same content again is a duplicate, not an update.
    content_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    # The vendor's updated-at (else the latest turn time) of the stored version: an older one never replaces it.
    source_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # Per turn, the vendor's id for it (Intercom part id, ...) when the vendor sends turns a few at a time.
    turn_keys: Mapped[list[str | None] | None] = mapped_column(JSON, default=None)


class TranscriptEmbedding(Base):
    """One cached vector per (transcript, model): a run embeds only what is new."""

    __tablename__ = "transcript_embeddings"

    transcript_id: Mapped[int] = mapped_column(
        ForeignKey("transcripts.id", ondelete="CASCADE"), primary_key=True
    )
    model: Mapped[str] = mapped_column(String(300), primary_key=True)
    dim: Mapped[int] = mapped_column(Integer)
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    # The transcript revision embedded: a run that read an older revision cannot overwrite a newer vector.
    revision: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())


class WebhookDelivery(Base):
    """A webhook delivery id seen once; replays of the same id are acknowledged and not stored again."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (UniqueConstraint("source", "delivery_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(32))
    delivery_id: Mapped[str] = mapped_column(String(300))
    transcripts: Mapped[int] = mapped_column(Integer, default=0)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now(), index=True)


class WebhookDeliveryCustomer(Base):
    """Which customers a delivery carried: an erasure removes the customer's delivery records by it."""

    __tablename__ = "webhook_delivery_customers"

    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), primary_key=True
    )
    customer_id: Mapped[str] = mapped_column(String(200), primary_key=True, index=True)


class ImportCheckpoint(Base):
    """How many records of an export file (keyed by its SHA-256) `personas import` has stored."""

    __tablename__ = "import_checkpoints"

    file_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    records_done: Mapped[int] = mapped_column(Integer, default=0)
    finished: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now(), onupdate=func.now())
