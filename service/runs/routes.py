"""Runs: start one (admin), watch its progress (read)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from service.audit.schemas import AuditAction
from service.audit.service import record
from service.deps import AdminKey, DatabaseDep, ReadKey, ReadSession, SettingsDep, WriteSession
from service.domain_errors import NotFound
from service.pagination import newest_first_cursor
from service.runs import service
from service.runs.executor import start_run as queue_and_submit
from service.runs.schemas import RunCreate, RunPage, RunQueued, RunRead, RunStatus

router = APIRouter(prefix="/v1/runs", tags=["runs"])


@router.post("", status_code=202, response_model=RunQueued)
def start_run(
    body: RunCreate, request: Request, database: DatabaseDep, settings: SettingsDep, key: AdminKey
) -> RunQueued:
    """Queue a discovery run over the transcripts stored so far (or those in since..until). 409 with the
    run's id (`run_id`, `Location`) if one with the same parameters is queued or running; 429 with
    `Retry-After` once PERSONAS_MAX_QUEUED_RUNS runs are waiting."""
    executor = request.app.state.executor
    run_id = queue_and_submit(database, executor, body, key_id=key.id, max_queued=settings.max_queued_runs)
    return RunQueued(id=run_id, status=RunStatus.queued)


@router.post("/{run_id}/cancel", response_model=RunRead)
def cancel_run(run_id: Annotated[str, Path(max_length=64)], session: WriteSession, key: AdminKey) -> RunRead:
    """Stop a queued or running run and mark it `cancelled` (a running one stops at its next progress
    update and stores nothing). 409 if the run has already finished."""
    run = service.cancel_run(session, run_id)
    record(session, AuditAction.RUN_CANCELLED, key_id=key.id, target=run_id)
    return service.run_read(run)


@router.get("", response_model=RunPage)
def list_runs(
    session: ReadSession,
    _: ReadKey,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> RunPage:
    """Runs, newest first."""
    runs = service.list_runs(session, limit=limit + 1, cursor=cursor)
    items = [service.run_read(r) for r in runs[:limit]]
    return RunPage(items=items, next_cursor=newest_first_cursor(runs, limit))


@router.get("/{run_id}", response_model=RunRead)
def read_run(run_id: Annotated[str, Path(max_length=64)], session: ReadSession, _: ReadKey) -> RunRead:
    """A run's status, stage, progress, error, parameters and summary."""
    run = service.get_run(session, run_id)
    if run is None:
        raise NotFound(f"No run '{run_id}'.")
    return service.run_read(run)
