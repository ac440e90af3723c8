"""Changes between runs and persona-shift alerts, as the API shows them."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class PersonaChangeRead(BaseModel):
    id: str = Field(description="The stable persona id.")
    label: str = Field(description="The name it carries now (a human rename wins).")
    status: Literal["new", "kept", "gone"]
    grade_before: str | None
    grade_after: str | None
    core_growth_before: bool
    core_growth_after: bool
    share_before: float = Field(description="Share of customers in the previous run (0 when new).")
    share_after: float = Field(description="Share of customers in this run (0 when gone).")
    customers_before: int
    customers_after: int
    revenue_per_customer_before: float | None
    revenue_per_customer_after: float | None
    cost_per_customer_before: float | None = Field(
        description="Cost to serve per customer; null when absent."
    )
    cost_per_customer_after: float | None


class MigrationRead(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: str = Field(
        alias="from", serialization_alias="from", description="Persona id in the previous run."
    )
    to: str = Field(description="Persona id in this run (equal to `from`: the customers stayed).")
    customers: int


class CoreGrowthMovers(BaseModel):
    customers_before: int = Field(
        description="Core-growth customers of the previous run present in both runs."
    )
    moved_out: int = Field(description="Of them, now in a persona that is not core growth.")
    moved_to_grade_c: int = Field(description="Of them, now in a grade-C (avoid or fix) persona.")
    customer_ids: list[str] = Field(
        description="The first 100 that moved out (all of them: GET /v1/customers?moved_from=<persona id>)."
    )


class RunChanges(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    run_id: str
    previous_run_id: str
    personas: list[PersonaChangeRead] = Field(description="This run's personas, then those that are gone.")
    migrations: list[MigrationRead] = Field(
        description="From-to counts over customers present in both runs, largest first."
    )
    core_growth: CoreGrowthMovers


class AlertRead(BaseModel):
    id: str = Field(description="The event's `webhook-id` (the same on every retry of it).")
    run_id: str
    previous_run_id: str
    status: Literal["pending", "sent", "failed"]
    attempts: int
    last_error: str | None
    text: str = Field(description="What the event says, as a chat tool shows it.")
    created_at: datetime
    sent_at: datetime | None


class AlertPage(BaseModel):
    items: list[AlertRead]
    next_cursor: str | None
