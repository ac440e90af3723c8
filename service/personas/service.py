"""Reading a run's personas and customers, and renaming personas (the name sticks to the stable id)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.errors import Problem
from service.runs import service as runs
from service.runs.models import CustomerAssignment, PersonaLabel, Run, RunPersona


def resolve_run(session: Session, run_id: str | None) -> Run:
    """The given run if it succeeded, else the latest succeeded one; 404 when there is none."""
    if run_id is None:
        run = runs.latest_succeeded(session)
        if run is None:
            raise Problem(404, "No run has succeeded yet: ingest transcripts and POST /v1/runs.")
        return run
    run = runs.get_run(session, run_id)
    if run is None:
        raise Problem(404, f"No run '{run_id}'.")
    if run.status != "succeeded":
        raise Problem(409, f"Run '{run_id}' is {run.status}; personas exist only for succeeded runs.")
    return run


def human_labels(session: Session, persona_ids: list[str]) -> dict[str, str]:
    query = select(PersonaLabel.persona_id, PersonaLabel.label).where(
        PersonaLabel.persona_id.in_(persona_ids)
    )
    return dict(session.execute(query).tuples().all())


def run_personas(session: Session, run: Run) -> list[dict[str, Any]]:
    """The run's Persona payloads with human labels applied."""
    rows = list(
        session.scalars(select(RunPersona).where(RunPersona.run_id == run.id).order_by(RunPersona.position))
    )
    labels = human_labels(session, [r.persona_id for r in rows])
    personas = []
    for row in rows:
        payload = dict(row.payload)
        if row.persona_id in labels:
            payload["label"], payload["label_is_human"] = labels[row.persona_id], True
        personas.append(payload)
    return personas


def persona_list_key(session: Session, run_id: str | None) -> tuple[str, int, Any]:
    """(run id, number of human labels, latest label change): everything that can change the answer of
    `GET /v1/personas`, read in one statement so an unchanged poll costs a single round trip.
    404/409 as `resolve_run` when the run is missing or has not succeeded."""
    label_count = select(func.count()).select_from(PersonaLabel).scalar_subquery()
    label_latest = select(func.max(PersonaLabel.updated_at)).scalar_subquery()
    if run_id is None:
        latest = (
            select(Run.id)
            .where(Run.status == "succeeded")
            .order_by(Run.finished_at.desc(), Run.id.desc())
            .limit(1)
            .scalar_subquery()
        )
        found, count, changed = session.execute(select(latest, label_count, label_latest)).one()
        if found is None:
            raise Problem(404, "No run has succeeded yet: ingest transcripts and POST /v1/runs.")
        return str(found), int(count), changed
    row = session.execute(select(Run.status, label_count, label_latest).where(Run.id == run_id)).first()
    if row is None:
        raise Problem(404, f"No run '{run_id}'.")
    if row[0] != "succeeded":
        raise Problem(409, f"Run '{run_id}' is {row[0]}; personas exist only for succeeded runs.")
    return run_id, int(row[1]), row[2]


def persona_list(session: Session, run: Run) -> dict[str, Any]:
    totals = (run.summary or {}).get("totals") or (run.report_data or {}).get("totals", {})
    return {
        "run_id": run.id,
        "generated_at": run.finished_at,
        "totals": {
            "customers": totals.get("customers", 0),
            "matched_customers": totals.get("matched_customers", 0),
            "transcripts": (run.summary or {}).get("transcripts", 0),
            "revenue": round(totals.get("revenue", 0.0), 2),
            "cost_to_serve": round(totals.get("cost_to_serve", 0.0), 2),
        },
        "personas": run_personas(session, run),
    }


def find_persona(session: Session, run: Run, persona_id: str) -> dict[str, Any]:
    for persona in run_personas(session, run):
        if persona["id"] == persona_id:
            return persona
    raise Problem(404, f"No persona '{persona_id}' in run '{run.id}'.")


def rename_persona(session: Session, *, persona_id: str, label: str) -> Run:
    """Store the human label; returns the latest succeeded run that has this persona."""
    query = (
        select(Run)
        .join(RunPersona, RunPersona.run_id == Run.id)
        .where(RunPersona.persona_id == persona_id, Run.status == "succeeded")
        .order_by(Run.finished_at.desc())
        .limit(1)
    )
    run = session.scalars(query).first()
    if run is None:
        raise Problem(404, f"No persona '{persona_id}'.")
    existing = session.get(PersonaLabel, persona_id)
    if existing is None:
        session.add(PersonaLabel(persona_id=persona_id, label=label, updated_at=runs.now()))
    else:
        existing.label, existing.updated_at = label, runs.now()
    session.flush()
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
) -> list[CustomerAssignment]:
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
    return list(session.scalars(query))


def persona_customer_ids(run: Run, persona_id: str) -> Any:
    """A subquery of the customer ids a run put in a persona (for transcript drill-down)."""
    return select(CustomerAssignment.customer_id).where(
        CustomerAssignment.run_id == run.id, CustomerAssignment.persona_id == persona_id
    )
