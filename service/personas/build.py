"""A run's result as the Persona and customer rows it stores: built and validated once, when the run ends."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pipelines.jobs import Job as PipelineJob
from pipelines.phrases import RankedPhrase
from pipelines.pond import PondEntry as PondValue
from pipelines.pond import PondMap
from pipelines.quotes import Example as PipelineExample
from pipelines.results import DiscoveryResult, PersonaResult
from pipelines.types import AccountInput
from service.personas.schemas import (
    CoreGrowthNote,
    CostToServe,
    CustomerRow,
    Example,
    Job,
    Money,
    Persona,
    Phrase,
    Pond,
    PondEntry,
    StoredPersona,
)

TOP_PHRASES = 6


def _rounded(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(float(value), digits)


def _entries(values: Sequence[PondValue]) -> list[PondEntry]:
    return [
        PondEntry(attribute=e.attribute, value=e.value, lift=round(e.lift, 3), customers=e.customers)
        for e in values
    ]


def pond(pond_map: PondMap) -> Pond:
    """A pond map as the API shows it: attribute values over-represented (in) and under-represented (out)."""
    return Pond.model_validate({"in": _entries(pond_map.in_pond), "out": _entries(pond_map.out_of_pond)})


def _examples(items: Sequence[PipelineExample]) -> list[Example]:
    return [Example(transcript_id=e.transcript_id, quote=e.quote) for e in items]


def _phrases(items: Sequence[RankedPhrase]) -> list[Phrase]:
    return [Phrase(text=p.text, count=p.count, examples=_examples(p.examples)) for p in items[:TOP_PHRASES]]


def _jobs(jobs: Sequence[PipelineJob]) -> list[Job]:
    return [
        Job(
            label=j.label,
            keywords=list(j.keywords),
            transcripts=j.transcripts,
            share=j.share,
            customers=j.customers,
            examples=_examples(j.examples),
        )
        for j in jobs
    ]


def _persona(persona: PersonaResult) -> Persona:
    """The Persona as the run described it (automatic label; grade note worded later, with current names)."""
    d, e = persona.description, persona.economics
    return Persona(
        id=persona.stable_id,
        label=d.label,
        summary=d.summary,
        grade=e.grade,
        core_growth=e.core_growth,
        stability=_rounded(persona.stability, 3),
        customers=e.customers,
        transcripts=len(persona.transcript_ids),
        share=round(e.share, 4),
        revenue=Money(total=round(e.revenue_total, 2), per_customer=_rounded(e.revenue_per_customer)),
        cost_to_serve=CostToServe(
            total=round(e.cost_to_serve_total, 2),
            per_customer=round(e.cost_per_customer, 2),
            per_contact=_rounded(e.cost_per_contact),
        ),
        margin_per_customer=_rounded(e.margin_per_customer),
        contacts_per_customer=round(e.contacts_per_customer, 2),
        avg_handle_minutes=_rounded(e.avg_handle_minutes),
        revenue_index=_rounded(e.revenue_index, 3),
        cost_index=round(e.cost_index, 3),
        sentiment=round(d.sentiment, 3),
        keywords=list(d.keywords),
        quotes=list(d.quotes),
        jobs=_jobs(d.jobs),
        motivations=_phrases(d.motivations),
        consequences=_phrases(d.consequences),
        pond=pond(persona.pond),
    )


def _stored_persona(persona: PersonaResult, id_of: Mapping[str, str]) -> StoredPersona:
    note = persona.economics.note
    return StoredPersona(
        persona=_persona(persona),
        note=None
        if note is None
        else CoreGrowthNote(text=note.text, core_growth_id=id_of[note.core_growth_key]),
    )


def stored_personas(result: DiscoveryResult) -> list[StoredPersona]:
    """One StoredPersona per discovered persona, largest first."""
    id_of = {p.key: p.stable_id for p in result.personas}
    personas = [_stored_persona(p, id_of) for p in result.personas]
    return sorted(personas, key=lambda p: -p.persona.customers)


def customer_rows(result: DiscoveryResult, accounts: Mapping[str, AccountInput]) -> list[CustomerRow]:
    """Every customer of the run with persona, confidence, grade and economics."""
    id_of = {p.key: p.stable_id for p in result.personas}
    rows = []
    for c in result.economics.customers:
        assignment = result.assignments.get(c.customer_id)
        account = accounts.get(c.customer_id)
        rows.append(
            CustomerRow(
                customer_id=c.customer_id,
                persona_id=id_of[c.persona_key],
                name=account.name if account else None,
                confidence=round(assignment.confidence, 4) if assignment else 0.0,
                grade=c.grade,
                core_growth=c.core_growth,
                annual_revenue=_rounded(c.revenue),
                cost_to_serve=round(c.cost_to_serve, 2),
                margin=_rounded(c.margin),
                contacts=c.contacts,
            )
        )
    return rows


def job_transcripts(result: DiscoveryResult) -> list[dict[str, int | str]]:
    """Which stored transcript belongs to which job of which persona (the drill-down of `?persona_id=&job=`).

    Transcript ids are the database ids the run read them under (TranscriptInput.external_id); jobs are
    numbered by their position in the persona's `jobs`.
    """
    rows: list[dict[str, int | str]] = []
    for persona in result.personas:
        for job, members in enumerate(persona.description.job_members):
            rows.extend(
                {"persona_id": persona.stable_id, "job": job, "transcript_id": int(t)}
                for t in members
                if t.isdigit()
            )
    return rows
