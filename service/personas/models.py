"""What a run stores per persona and per customer, and the names people give personas (they stick to the id)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service.db import Base, UTCDateTime


class RunPersona(Base):
    __tablename__ = "run_personas"
    __table_args__ = (UniqueConstraint("run_id", "persona_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    persona_id: Mapped[str] = mapped_column(String(40), index=True)
    position: Mapped[int] = mapped_column(Integer)
    auto_label: Mapped[str] = mapped_column(String(200))
    # A StoredPersona (service/personas/schemas.py): the Persona as the run described it, before human labels.
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


class JobTranscript(Base):
    """Which transcript a run put in which job of which persona: the drill-down `?persona_id=&job=` reads it."""

    __tablename__ = "job_transcripts"
    __table_args__ = (Index("ix_job_transcripts_run_persona_job", "run_id", "persona_id", "job"),)

    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    transcript_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    persona_id: Mapped[str] = mapped_column(String(40))
    job: Mapped[int] = mapped_column(Integer)
