"""`GET /v1/status`: what a dashboard or an operator needs to know about the backlog."""

from __future__ import annotations

from pydantic import BaseModel, Field


class EmbeddingStatus(BaseModel):
    model: str = Field(description="The embedding cache key runs use now (model, backend and text recipe).")
    embedded: int = Field(description="Stored transcripts with a cached vector of that model.")
    pending: int = Field(description="Stored transcripts the next run will embed first.")


class RunCounts(BaseModel):
    queued: int
    running: int


class Status(BaseModel):
    transcripts: int = Field(description="Stored transcripts.")
    customers: int = Field(description="Distinct customer_id values among the stored transcripts.")
    embedding: EmbeddingStatus
    runs: RunCounts
    unmatched_by_source: dict[str, int] = Field(
        description="Per source (api, zendesk, intercom, freshdesk, generic): customers with transcripts but no "
        "account. Many for one webhook source usually means its PERSONAS_<SOURCE>_CUSTOMER_ID picks a field the "
        "accounts file is not keyed by."
    )
