"""Discovery runs and what each stores: personas, customer assignments, and report data."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service.db import Base, UTCDateTime


class Run(Base):
    __tablename__ = "runs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    stage: Mapped[str | None] = mapped_column(String(32), default=None)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Deferred: it holds every customer's map point, and polling reads only the small columns.
    report_data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, deferred=True)
    model_name: Mapped[str | None] = mapped_column(String(300), default=None)
    # Highest transcript id visible when the run started: the run uses exactly the transcripts up to it.
    snapshot_transcript_id: Mapped[int | None] = mapped_column(Integer, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class RunPersona(Base):
    __tablename__ = "run_personas"
    __table_args__ = (UniqueConstraint("run_id", "persona_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    persona_id: Mapped[str] = mapped_column(String(40), index=True)
    position: Mapped[int] = mapped_column(Integer)
    auto_label: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    centroid: Mapped[bytes] = mapped_column(LargeBinary)


class CustomerAssignment(Base):
    __tablename__ = "customer_assignments"

    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    persona_id: Mapped[str] = mapped_column(String(40), index=True)
    name: Mapped[str | None] = mapped_column(String(500), default=None)
    confidence: Mapped[float] = mapped_column(Float)
    grade: Mapped[str] = mapped_column(String(1))
    core_growth: Mapped[bool] = mapped_column(Boolean)
    annual_revenue: Mapped[float | None] = mapped_column(Float, default=None)
    cost_to_serve: Mapped[float] = mapped_column(Float)
    margin: Mapped[float | None] = mapped_column(Float, default=None)
    contacts: Mapped[int] = mapped_column(Integer)


class PersonaLabel(Base):
    """A label a person gave a persona id; it wins over the automatic label in every run that keeps the id."""

    __tablename__ = "persona_labels"

    persona_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    label: Mapped[str] = mapped_column(String(120))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
