"""What a run stores for its report beyond the personas: the map, shares by month, the pond, rules and notes."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from service.personas.schemas import Pond
from service.runs.schemas import RunTotals


class MapPoint(BaseModel):
    customer_id: str
    persona_id: str
    x: float
    y: float


class CustomerMap(BaseModel):
    method: str = ""
    points: list[MapPoint] = Field(default_factory=list)


class ShareOverTime(BaseModel):
    """Each persona's share of the contacts of each month (persona id -> one share per month)."""

    months: list[str] = Field(default_factory=list)
    shares: dict[str, list[float]] = Field(default_factory=dict)


class ReportData(BaseModel):
    """Stored with the run (deferred: it holds every customer's map point) and read by the report."""

    map: CustomerMap = Field(default_factory=CustomerMap)
    share_over_time: ShareOverTime = Field(default_factory=ShareOverTime)
    pond: Pond = Field(default_factory=lambda: Pond.model_validate({"in": [], "out": []}))
    rules: list[str] = Field(default_factory=list)
    notes: list[str] = Field(
        default_factory=list, description="About the run's data; grade notes are per persona."
    )
    retired_persona_ids: list[str] = Field(default_factory=list)
    quality: float | None = None
    quality_metric: str | None = None
    criterion: str | None = None
    criterion_scores: dict[str, float | None] = Field(default_factory=dict)
    chosen_k: int | None = None
    reason: str | None = None
    timings: dict[str, float] = Field(default_factory=dict)
    unmatched_customer_ids: list[str] = Field(default_factory=list)
    data_window: list[datetime | None] = Field(default_factory=lambda: list[datetime | None]([None, None]))
    totals: RunTotals = Field(default_factory=RunTotals)
