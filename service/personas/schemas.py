"""Persona payloads: the contract a CCO dashboard, the report and sales tools read."""

from __future__ import annotations

import unicodedata
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from service.ingest.schemas import well_formed


class Money(BaseModel):
    total: float
    per_customer: float | None = Field(description="Over customers with an account; null when none has one.")


class CostToServe(BaseModel):
    total: float
    per_customer: float
    per_contact: float | None


class PondEntry(BaseModel):
    attribute: str
    value: str
    lift: float = Field(description="Share in the group / share among all customers.")
    customers: int


class Pond(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    in_: list[PondEntry] = Field(alias="in", serialization_alias="in", description="Over-represented values.")
    out: list[PondEntry] = Field(description="Values over-represented among grade-C (avoid/fix) customers.")


class Example(BaseModel):
    """A conversation a reader can open: `transcript_id` is the `id` of an item of `GET /v1/transcripts`."""

    transcript_id: str
    quote: str = Field(description="The customer's words from it (redacted at ingest).")


class Job(BaseModel):
    label: str = Field(description="What the customers try to get done, as a short verb phrase.")
    keywords: list[str]
    transcripts: int
    share: float
    customers: int = Field(default=0, description="Distinct customers among the job's transcripts.")
    examples: list[Example] = Field(
        default_factory=list,
        description="1-3 typical conversations; all of the job's: GET /v1/transcripts?persona_id=&job=<index>.",
    )


class Phrase(BaseModel):
    text: str = Field(description="Two or more words, as customers said them.")
    count: int
    examples: list[Example] = Field(default_factory=list, description="1-2 conversations that say it.")


class Persona(BaseModel):
    """One persona of a run: who they are, what they ask for and why, what they earn and cost."""

    id: str = Field(description="Stable across runs (centroid matching, cosine >= 0.8).")
    label: str = Field(description="A readable name (at most 60 characters); a human rename wins.")
    label_is_human: bool = False
    summary: str = Field(
        default="", description="One sentence: what they try to get done, why, and what a gap costs them."
    )
    grade: str = Field(description="A = core-growth, B = serve as is, C = avoid or fix.")
    core_growth: bool
    stability: float | None = Field(
        default=None,
        description="How often this persona reappears when the run's customers are resampled (0..1).",
    )
    core_growth_note: str | None = Field(
        default=None, description="Why this persona is (or, being grade A, is not) the core-growth one."
    )
    customers: int
    transcripts: int
    share: float
    revenue: Money
    cost_to_serve: CostToServe
    margin_per_customer: float | None
    contacts_per_customer: float
    avg_handle_minutes: float | None
    revenue_index: float | None = Field(description="R: revenue per customer / overall revenue per customer.")
    cost_index: float = Field(description="C: cost to serve per customer / overall cost per customer.")
    sentiment: float
    keywords: list[str]
    quotes: list[str]
    jobs: list[Job]
    motivations: list[Phrase]
    consequences: list[Phrase]
    pond: Pond


class CoreGrowthNote(BaseModel):
    """A grade note as the run worded it, naming the core-growth persona by a marker (see pipelines.grades)."""

    text: str
    core_growth_id: str


class StoredPersona(BaseModel):
    """What a run stores per persona: the Persona with its automatic label, and its grade note unworded, so the
    names people give personas later are used wherever a persona is named (service/personas/labels.py)."""

    persona: Persona
    note: CoreGrowthNote | None = None


class Totals(BaseModel):
    customers: int
    matched_customers: int
    transcripts: int
    revenue: float
    cost_to_serve: float


class PersonaList(BaseModel):
    run_id: str
    generated_at: datetime
    totals: Totals
    personas: list[Persona]


class PersonaRename(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str = Field(min_length=1, max_length=120, description="The human name; it sticks across runs.")

    @field_validator("label")
    @classmethod
    def _printable(cls, value: str) -> str:
        if any(ord(c) < 32 or ord(c) == 127 for c in value):
            raise ValueError("must not contain control characters")
        # Blank counts format characters (zero-width spaces) as space: a name nobody can see is no name.
        if not "".join(c for c in value if unicodedata.category(c) != "Cf").strip():
            raise ValueError("must not be blank")
        return well_formed(value)


class CustomerRow(BaseModel):
    customer_id: str
    name: str | None
    persona_id: str
    confidence: float
    grade: str
    core_growth: bool
    annual_revenue: float | None
    cost_to_serve: float
    margin: float | None
    contacts: int


class CustomerPage(BaseModel):
    items: list[CustomerRow]
    next_cursor: str | None
