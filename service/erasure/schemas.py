"""What an erasure answers: counts of what was removed, never the removed content."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ErasureResult(BaseModel):
    customer_id_sha256: str = Field(
        description="SHA-256 (hex) of the erased customer id, as the audit log has it."
    )
    transcripts: int = 0
    embeddings: int = 0
    accounts: int = 0
    webhook_deliveries: int = 0
    assignments: int = Field(
        default=0, description="Customer rows of stored runs (persona, grade, economics)."
    )
    job_transcripts: int = Field(
        default=0, description="Drill-down rows of stored runs naming their transcripts."
    )
    quotes: int = Field(default=0, description="Quotes and examples removed from stored personas.")
    report_entries: int = Field(default=0, description="Map points and ids removed from stored report data.")
    runs_changed: int = Field(default=0, description="Stored runs whose results or report data were edited.")

    def removed_anything(self) -> bool:
        return any(v for k, v in self.model_dump().items() if k != "customer_id_sha256")
