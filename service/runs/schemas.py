"""Run payloads."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from service.ingest.schemas import utc_timestamp


class RunStatus(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"


ACTIVE_STATUSES = (RunStatus.queued, RunStatus.running)
FINISHED_STATUSES = (RunStatus.succeeded, RunStatus.failed, RunStatus.cancelled)


class RunCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min_personas: int = Field(default=2, ge=1, le=8)
    max_personas: int = Field(default=4, ge=1, le=8)
    since: datetime | None = Field(
        default=None, description="Only transcripts started at or after this time."
    )
    until: datetime | None = Field(default=None, description="Only transcripts started before this time.")

    @model_validator(mode="after")
    def _consistent(self) -> RunCreate:
        self.since, self.until = utc_timestamp(self.since), utc_timestamp(self.until)
        if self.min_personas > self.max_personas:
            raise ValueError("min_personas must not exceed max_personas")
        if self.since and self.until and self.since >= self.until:
            raise ValueError("since must be before until")
        return self


class RunQueued(BaseModel):
    id: str
    status: str


class KScoreRead(BaseModel):
    """How one tried number of personas held up when the customers were resampled."""

    k: int
    stability: float = Field(
        description="Mean adjusted Rand index between this k's personas and resampled runs."
    )
    weakest: float = Field(
        description="The least reproducible persona's mean Jaccard (>= 0.75: it reappears)."
    )
    personas: list[float] = Field(
        description="Each persona's mean Jaccard with its best match, largest first."
    )
    chosen: bool


class RunSummary(BaseModel):
    customers: int = 0
    transcripts: int = 0
    personas: int = 0
    unmatched_customers: int = 0
    quality: float | None = None
    quality_metric: str | None = None
    newly_embedded: int = Field(default=0, description="Transcripts embedded by this run (not in the cache).")
    stability: float | None = Field(
        default=None,
        description="Mean adjusted Rand index between the personas and runs on resampled customers (0..1).",
    )
    unstable: bool = Field(default=False, description="No number of personas had every persona reappear.")
    stability_verdict: str | None = Field(default=None, description="Why this number of personas, in words.")
    k_scores: list[KScoreRead] = Field(default_factory=list, description="Every number of personas tried.")
    timings: dict[str, float] = Field(
        default_factory=dict,
        description="Seconds per stage: loading, embedding, clustering, describing, pricing, storing.",
    )


class RunTotals(BaseModel):
    """The whole run's customers, revenue and cost to serve (pipelines.economics.EconomicsTotals)."""

    customers: int = 0
    matched_customers: int = 0
    contacts: int = 0
    revenue: float = 0.0
    cost_to_serve: float = 0.0
    revenue_per_customer: float | None = None
    cost_per_customer: float = 0.0


class StoredRunSummary(RunSummary):
    """What a run stores as its summary: the API's RunSummary and the totals `GET /v1/personas` reports (kept
    here, not in the deferred report data, so a poll reads one small row)."""

    totals: RunTotals = Field(default_factory=RunTotals)


class RunRead(BaseModel):
    id: str
    status: str = Field(description="queued | running | succeeded | failed | cancelled")
    stage: str | None = Field(description="embedding | clustering | describing | pricing | storing")
    progress: float
    error: str | None
    params: dict[str, Any]
    summary: RunSummary
    model_name: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class RunPage(BaseModel):
    items: list[RunRead]
    next_cursor: str | None
