"""Runs: start one (admin), watch its progress (read)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from service.deps import AdminKey, ReadKey, ReadSession, WriteSession
from service.errors import Problem
from service.pagination import decode_cursor, encode_cursor
from service.runs import service
from service.runs.models import Run
from service.runs.schemas import RunCreate, RunPage, RunQueued, RunRead, RunSummary

router = APIRouter(prefix="/v1/runs", tags=["runs"])


def run_read(run: Run) -> RunRead:
    summary = RunSummary.model_validate(
        {k: v for k, v in (run.summary or {}).items() if k in RunSummary.model_fields}
    )
    return RunRead(
        id=run.id,
        status=run.status,
        stage=run.stage,
        progress=run.progress,
        error=run.error,
        params=run.params,
        summary=summary,
        model_name=run.model_name,
        created_at=run.created_at,
        started_at=run.started_at,
        finished_at=run.finished_at,
    )


@router.post("", status_code=202, response_model=RunQueued)
def start_run(body: RunCreate, request: Request, session: WriteSession, _: AdminKey) -> RunQueued:
    """Queue a discovery run over the transcripts stored so far (or those in since..until)."""
    run = service.create_run(session, params=body.model_dump(mode="json", exclude_none=True))
    session.commit()  # the executor's own session must see the run before it is handed over
    request.app.state.executor.submit(run.id)
    return RunQueued(id=run.id, status=run.status)


@router.get("", response_model=RunPage)
def list_runs(
    session: ReadSession,
    _: ReadKey,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> RunPage:
    """Runs, newest first."""
    before = decode_cursor(cursor)
    try:
        runs = service.list_runs(session, limit=limit + 1, before=before)
    except ValueError:
        raise Problem(
            422, "cursor: is not a cursor this API issued", errors=[{"field": "cursor", "message": "invalid"}]
        ) from None
    items = [run_read(r) for r in runs[:limit]]
    last = runs[limit - 1] if len(runs) > limit else None
    next_cursor = encode_cursor(f"{last.created_at.isoformat()}|{last.id}") if last else None
    return RunPage(items=items, next_cursor=next_cursor)


@router.get("/{run_id}", response_model=RunRead)
def read_run(run_id: Annotated[str, Path(max_length=64)], session: ReadSession, _: ReadKey) -> RunRead:
    """A run's status, stage, progress, error, parameters and summary."""
    run = service.get_run(session, run_id)
    if run is None:
        raise Problem(404, f"No run '{run_id}'.")
    return run_read(run)
