"""Comparing a succeeded run with the previous succeeded one, and reading the alerts sent about it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session, aliased

from pipelines.shift import PersonaFigures, Shift, compare_runs
from service.domain_errors import Conflict
from service.pagination import newest_first_page
from service.personas.models import CustomerAssignment
from service.personas.schemas import Persona
from service.personas.service import resolve_run, run_personas
from service.runs.models import Run
from service.runs.schemas import RunStatus
from service.shifts.models import PersonaAlert
from service.shifts.schemas import (
    AlertRead,
    CoreGrowthMovers,
    MigrationRead,
    PersonaChangeRead,
    RunChanges,
)

MOVERS_LISTED = 100


def previous_succeeded(session: Session, run: Run) -> Run | None:
    """The succeeded run that finished last before `run` did."""
    finished = run.finished_at
    if finished is None:
        return None
    earlier = (Run.finished_at < finished) | ((Run.finished_at == finished) & (Run.id < run.id))
    query = (
        select(Run)
        .where(Run.status == RunStatus.succeeded, Run.id != run.id, earlier)
        .order_by(Run.finished_at.desc(), Run.id.desc())
    )
    return session.scalars(query.limit(1)).first()


def runs_to_compare(session: Session, run_id: str | None) -> tuple[Run, Run]:
    """(previous, run): 404 when the run does not exist, 409 when it has not succeeded or no succeeded run
    came before it (nothing to compare with yet)."""
    run = resolve_run(session, run_id)
    previous = previous_succeeded(session, run)
    if previous is None:
        raise Conflict(
            f"Run '{run.id}' is the first succeeded run: there is no previous run to compare with."
        )
    return previous, run


def figures(persona: Persona) -> PersonaFigures:
    return PersonaFigures(
        id=persona.id,
        label=persona.label,
        grade=persona.grade,
        core_growth=persona.core_growth,
        customers=persona.customers,
        share=persona.share,
        revenue_per_customer=persona.revenue.per_customer,
        cost_per_customer=persona.cost_to_serve.per_customer,
    )


def assignments(session: Session, run: Run) -> dict[str, str]:
    query = select(CustomerAssignment.customer_id, CustomerAssignment.persona_id).where(
        CustomerAssignment.run_id == run.id
    )
    return dict(session.execute(query).tuples().all())


def shift_between(session: Session, previous: Run, run: Run) -> Shift:
    """The comparison; personas carry the names they have now (a human rename applies to both runs)."""
    after = run_personas(session, run)
    before = run_personas(session, previous)
    label_now = {p.id: p.label for p in after}
    before = [p.model_copy(update={"label": label_now.get(p.id, p.label)}) for p in before]
    return compare_runs(
        [figures(p) for p in before],
        [figures(p) for p in after],
        assignments(session, previous),
        assignments(session, run),
    )


def changes_read(previous: Run, run: Run, shift: Shift) -> RunChanges:
    return RunChanges(
        run_id=run.id,
        previous_run_id=previous.id,
        personas=[PersonaChangeRead.model_validate(c, from_attributes=True) for c in shift.personas],
        migrations=[
            MigrationRead.model_validate({"from": m.from_id, "to": m.to_id, "customers": m.customers})
            for m in shift.migrations
        ],
        core_growth=CoreGrowthMovers(
            customers_before=shift.core_growth_before,
            moved_out=len(shift.movers_out_of_core_growth),
            moved_to_grade_c=len(shift.movers_to_grade_c),
            customer_ids=list(shift.movers_out_of_core_growth[:MOVERS_LISTED]),
        ),
    )


def run_changes(session: Session, run_id: str | None) -> RunChanges:
    """`GET /v1/runs/{id}/changes`."""
    previous, run = runs_to_compare(session, run_id)
    return changes_read(previous, run, shift_between(session, previous, run))


def moved_ids(previous: Run, run: Run, *, from_ids: list[str], not_to_ids: list[str]) -> Any:
    """A subquery of the customers whose persona in `previous` was one of `from_ids` and in `run` is none of
    `not_to_ids`."""
    before = aliased(CustomerAssignment)
    return (
        select(CustomerAssignment.customer_id)
        .join(
            before,
            and_(before.customer_id == CustomerAssignment.customer_id, before.run_id == previous.id),
        )
        .where(
            CustomerAssignment.run_id == run.id,
            before.persona_id.in_(from_ids),
            CustomerAssignment.persona_id.not_in(not_to_ids),
        )
    )


def moved_from_ids(session: Session, run: Run, persona_id: str) -> Any:
    """A subquery of the customers whose persona in the run before `run` was `persona_id` and is another one
    in `run` (for `GET /v1/customers?moved_from=`); 409 when no succeeded run came before."""
    previous, run = runs_to_compare(session, run.id)
    return moved_ids(previous, run, from_ids=[persona_id], not_to_ids=[persona_id])


def alert_read(alert: PersonaAlert) -> AlertRead:
    return AlertRead(
        id=alert.id,
        run_id=alert.run_id,
        previous_run_id=alert.previous_run_id,
        status=alert.status,  # type: ignore[arg-type]
        attempts=alert.attempts,
        last_error=alert.last_error,
        text=str(alert.payload.get("text", "")),
        created_at=alert.created_at,
        sent_at=alert.sent_at,
    )


def list_alerts(session: Session, *, limit: int, cursor: str | None = None) -> list[PersonaAlert]:
    """Newest first, after the alert the cursor names."""
    query = newest_first_page(select(PersonaAlert), PersonaAlert.created_at, PersonaAlert.id, cursor)
    return list(session.scalars(query.limit(limit)))
