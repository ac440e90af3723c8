"""Storing and reading a run's personas and customers, and renaming personas (the name sticks to the stable id)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from pipelines.match import PreviousPersona
from service.audit.models import AuditEvent
from service.audit.schemas import AuditAction
from service.audit.service import record
from service.errors import Conflict, NotFound
from service.personas.labels import present
from service.personas.models import CustomerAssignment, JobTranscript, PersonaLabel, RunPersona
from service.personas.schemas import CustomerRow, Persona, PersonaList, StoredPersona, Totals
from service.runs import service as runs
from service.runs.models import Run
from service.runs.schemas import RunStatus, StoredRunSummary

NO_RUN_YET = "No run has succeeded yet: ingest transcripts and POST /v1/runs."


def store_personas(
    session: Session,
    *,
    run_id: str,
    personas: Sequence[StoredPersona],
    centroids: Mapping[str, np.ndarray],
    customers: Sequence[CustomerRow],
    job_transcripts: Sequence[Mapping[str, int | str]] = (),
) -> None:
    """Add a run's personas (largest first) with their centroids, its customer assignments, and which
    transcript is in which job (service/personas/build.job_transcripts)."""
    for position, stored in enumerate(personas):
        session.add(
            RunPersona(
                run_id=run_id,
                persona_id=stored.persona.id,
                position=position,
                auto_label=stored.persona.label,
                payload=stored.model_dump(mode="json", by_alias=True),
                centroid=np.asarray(centroids[stored.persona.id], dtype=np.float32).tobytes(),
            )
        )
    if customers:
        session.execute(insert(CustomerAssignment), [{**c.model_dump(), "run_id": run_id} for c in customers])
    if job_transcripts:
        session.execute(insert(JobTranscript), [{**row, "run_id": run_id} for row in job_transcripts])
    session.flush()


def resolve_run(session: Session, run_id: str | None) -> Run:
    """The given run if it succeeded, else the latest succeeded one."""
    if run_id is None:
        run = runs.latest_succeeded(session)
        if run is None:
            raise NotFound(NO_RUN_YET)
        return run
    run = runs.get_run(session, run_id)
    if run is None:
        raise NotFound(f"No run '{run_id}'.")
    if run.status != RunStatus.succeeded:
        raise Conflict(f"Run '{run_id}' is {run.status}; personas exist only for succeeded runs.")
    return run


def human_labels(session: Session, persona_ids: list[str]) -> dict[str, str]:
    query = select(PersonaLabel.persona_id, PersonaLabel.label).where(
        PersonaLabel.persona_id.in_(persona_ids)
    )
    return dict(session.execute(query).tuples().all())


def run_personas(session: Session, run: Run) -> list[Persona]:
    """The run's personas, largest first, as readers see them (human labels applied)."""
    query = select(RunPersona.payload).where(RunPersona.run_id == run.id).order_by(RunPersona.position)
    stored = [StoredPersona.model_validate(payload) for payload in session.scalars(query)]
    return present(stored, human_labels(session, [s.persona.id for s in stored]))


def previous_personas(session: Session) -> list[PreviousPersona]:
    """The latest succeeded run's persona ids and centroids, for the next run to match against."""
    latest = runs.latest_succeeded(session)
    if latest is None:
        return []
    rows = session.execute(
        select(RunPersona.persona_id, RunPersona.centroid).where(RunPersona.run_id == latest.id)
    )
    return [PreviousPersona(id=pid, centroid=np.frombuffer(blob, dtype=np.float32)) for pid, blob in rows]


def persona_list_key(session: Session, run_id: str | None) -> tuple[str, int, Any, Any]:
    """(run id, number of human labels, latest label change, latest erasure): everything that can change the
    answer of `GET /v1/personas` (an erasure edits stored personas), read in one statement so an unchanged
    poll costs a single round trip. Not found / conflict as `resolve_run` when the run is missing or has not
    succeeded."""
    label_count = select(func.count()).select_from(PersonaLabel).scalar_subquery()
    label_latest = select(func.max(PersonaLabel.updated_at)).scalar_subquery()
    erased = (
        select(func.max(AuditEvent.id))
        .where(AuditEvent.action == AuditAction.CUSTOMER_ERASED.value)
        .scalar_subquery()
    )
    if run_id is None:
        latest = (
            select(Run.id)
            .where(Run.status == RunStatus.succeeded)
            .order_by(Run.finished_at.desc(), Run.id.desc())
            .limit(1)
            .scalar_subquery()
        )
        found, count, changed, erasure = session.execute(
            select(latest, label_count, label_latest, erased)
        ).one()
        if found is None:
            raise NotFound(NO_RUN_YET)
        return str(found), int(count), changed, erasure
    query = select(Run.status, label_count, label_latest, erased).where(Run.id == run_id)
    row = session.execute(query).first()
    if row is None:
        raise NotFound(f"No run '{run_id}'.")
    if row[0] != RunStatus.succeeded:
        raise Conflict(f"Run '{run_id}' is {row[0]}; personas exist only for succeeded runs.")
    return run_id, int(row[1]), row[2], row[3]


def persona_list(session: Session, run: Run) -> PersonaList:
    """`GET /v1/personas`: the run's totals and personas."""
    summary = StoredRunSummary.model_validate(run.summary or {})
    totals = summary.totals
    return PersonaList(
        run_id=run.id,
        generated_at=run.finished_at or run.created_at,
        totals=Totals(
            customers=totals.customers,
            matched_customers=totals.matched_customers,
            transcripts=summary.transcripts,
            revenue=round(totals.revenue, 2),
            cost_to_serve=round(totals.cost_to_serve, 2),
        ),
        personas=run_personas(session, run),
    )


def find_persona(session: Session, run: Run, persona_id: str) -> Persona:
    for persona in run_personas(session, run):
        if persona.id == persona_id:
            return persona
    raise NotFound(f"No persona '{persona_id}' in run '{run.id}'.")


def rename_persona(session: Session, *, persona_id: str, label: str, key_id: int | None = None) -> Run:
    """Store the human label (audited); returns the latest succeeded run that has this persona."""
    query = (
        select(Run)
        .join(RunPersona, RunPersona.run_id == Run.id)
        .where(RunPersona.persona_id == persona_id, Run.status == RunStatus.succeeded)
        .order_by(Run.finished_at.desc())
        .limit(1)
    )
    run = session.scalars(query).first()
    if run is None:
        raise NotFound(f"No persona '{persona_id}'.")
    existing = session.get(PersonaLabel, persona_id)
    if existing is None:
        session.add(PersonaLabel(persona_id=persona_id, label=label, updated_at=runs.now()))
    else:
        existing.label, existing.updated_at = label, runs.now()
    session.flush()
    record(session, AuditAction.PERSONA_RENAMED, key_id=key_id, target=persona_id, details={"label": label})
    return run


def list_customers(
    session: Session,
    *,
    run: Run,
    limit: int,
    after: str | None = None,
    persona_id: str | None = None,
    grade: str | None = None,
    core_growth: bool | None = None,
    among: Any = None,
) -> list[CustomerRow]:
    """`among`: an optional subquery of customer ids to keep (e.g. service.shifts.service.moved_from_ids)."""
    query = (
        select(CustomerAssignment)
        .where(CustomerAssignment.run_id == run.id)
        .order_by(CustomerAssignment.customer_id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(CustomerAssignment.customer_id > after)
    if persona_id is not None:
        query = query.where(CustomerAssignment.persona_id == persona_id)
    if grade is not None:
        query = query.where(CustomerAssignment.grade == grade)
    if core_growth is not None:
        query = query.where(CustomerAssignment.core_growth == core_growth)
    if among is not None:
        query = query.where(CustomerAssignment.customer_id.in_(among))
    return [CustomerRow.model_validate(row, from_attributes=True) for row in session.scalars(query)]


def job_transcript_ids(run: Run, persona_id: str, job: int) -> Any:
    """A subquery of the transcript ids a run put in one job of a persona (for transcript drill-down)."""
    return select(JobTranscript.transcript_id).where(
        JobTranscript.run_id == run.id, JobTranscript.persona_id == persona_id, JobTranscript.job == job
    )


def persona_customer_ids(run: Run, persona_id: str) -> Any:
    """A subquery of the customer ids a run put in a persona (for transcript drill-down)."""
    return select(CustomerAssignment.customer_id).where(
        CustomerAssignment.run_id == run.id, CustomerAssignment.persona_id == persona_id
    )
