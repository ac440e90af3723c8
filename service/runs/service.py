"""Run rules: create, claim, progress, finish, fail, and recovery of runs whose process died."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from service.domain_errors import Conflict, NotFound, TooBusy
from service.pagination import newest_first_page
from service.runs.models import Run
from service.runs.schemas import ACTIVE_STATUSES, RunRead, RunStatus, RunSummary, StoredRunSummary


def now() -> datetime:
    return datetime.now(UTC)


# How long a client refused for a full queue is asked to wait (a run takes tens of seconds to minutes).
QUEUE_FULL_RETRY_AFTER_S = 60
# PostgreSQL advisory lock that serialises run creation (SQLite writers are serialised by BEGIN IMMEDIATE).
_CREATE_LOCK = 716_401


class RunCancelled(Exception):
    """The run was cancelled while it ran: its work stops and nothing of it is stored."""


def create_run(session: Session, *, params: dict[str, Any], max_queued: int | None = None) -> Run:
    """Queue a run. Conflict (with the run's id) if an identical one is queued or running; TooBusy once
    `max_queued` runs are waiting."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CREATE_LOCK})
    active = session.scalars(select(Run).where(Run.status.in_(ACTIVE_STATUSES)).order_by(Run.created_at))
    for other in active:
        if other.params == params:
            raise Conflict(
                f"Run '{other.id}' with the same parameters is already {other.status}.",
                extra={"run_id": other.id},
                headers={"Location": f"/v1/runs/{other.id}"},
            )
    queued = session.scalar(select(func.count()).select_from(Run).where(Run.status == RunStatus.queued)) or 0
    if max_queued is not None and queued >= max_queued:
        raise TooBusy(
            f"{queued} runs are already queued (the limit is {max_queued}); retry when one has started.",
            retry_after=QUEUE_FULL_RETRY_AFTER_S,
        )
    run = Run(id=uuid.uuid4().hex, status=RunStatus.queued, progress=0.0, params=params, created_at=now())
    session.add(run)
    session.flush()
    return run


def get_run(session: Session, run_id: str) -> Run | None:
    return session.get(Run, run_id)


def list_runs(session: Session, *, limit: int, cursor: str | None = None) -> list[Run]:
    """Newest first, after the run the cursor names."""
    return list(session.scalars(newest_first_page(select(Run), Run.created_at, Run.id, cursor).limit(limit)))


def latest_succeeded(session: Session) -> Run | None:
    query = (
        select(Run).where(Run.status == RunStatus.succeeded).order_by(Run.finished_at.desc(), Run.id.desc())
    )
    return session.scalars(query.limit(1)).first()


def queued_run_ids(session: Session) -> list[str]:
    query = select(Run.id).where(Run.status == RunStatus.queued).order_by(Run.created_at, Run.id)
    return list(session.scalars(query))


def claim_run(session: Session, run_id: str) -> bool:
    """Move a queued run to running; False if another worker took it or it is not queued."""
    moment = now()
    result = session.execute(
        update(Run)
        .where(Run.id == run_id, Run.status == RunStatus.queued)
        .values(
            status=RunStatus.running, started_at=moment, heartbeat_at=moment, stage="loading", progress=0.0
        )
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def set_progress(session: Session, run_id: str, *, stage: str, progress: float) -> None:
    """Record a running run's progress; RunCancelled if it is no longer running (cancelled meanwhile)."""
    result = session.execute(
        update(Run)
        .where(Run.id == run_id, Run.status == RunStatus.running)
        .values(stage=stage, progress=round(min(max(progress, 0.0), 1.0), 4), heartbeat_at=now())
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise RunCancelled(run_id)


def cancel_run(session: Session, run_id: str) -> Run:
    """Mark a queued or running run cancelled (a running one stops at its next progress update).
    NotFound, or Conflict for a run that has already finished."""
    run = session.get(Run, run_id, with_for_update=True)
    if run is None:
        raise NotFound(f"No run '{run_id}'.")
    if run.status not in ACTIVE_STATUSES:
        raise Conflict(
            f"Run '{run_id}' has already finished ({run.status}); only queued or running runs stop."
        )
    run.status, run.finished_at = RunStatus.cancelled, now()
    session.flush()
    return run


def finish_run(
    session: Session,
    run_id: str,
    *,
    summary: StoredRunSummary,
    report_data: dict[str, Any],
    config: dict[str, Any],
    model_name: str,
    snapshot_transcript_id: int,
) -> None:
    """Mark a running run succeeded with what it found; RunCancelled (the caller's transaction, with the
    personas it stored, then rolls back) if it was cancelled meanwhile. The row is locked until the commit,
    so a cancel waits for it and then finds the run finished."""
    run = session.get(Run, run_id, with_for_update=True, populate_existing=True)
    if run is None:
        raise NotFound(f"No run '{run_id}'.")
    if run.status not in ACTIVE_STATUSES:
        raise RunCancelled(run_id)
    run.summary, run.report_data = summary.model_dump(mode="json"), report_data
    run.config, run.model_name, run.snapshot_transcript_id = config, model_name, snapshot_transcript_id
    run.status, run.stage, run.progress, run.finished_at = RunStatus.succeeded, "done", 1.0, now()
    session.flush()


def fail_run(session: Session, run_id: str, *, error: str) -> None:
    session.execute(
        update(Run)
        .where(Run.id == run_id, Run.status.in_(ACTIVE_STATUSES))
        .values(status=RunStatus.failed, error=error[:2000], finished_at=now())
    )


def recover_stale_runs(session: Session, *, older_than: timedelta | None = None) -> list[str]:
    """Mark running runs whose worker stopped as failed (all of them, or those silent for `older_than`)."""
    query = select(Run).where(Run.status == RunStatus.running)
    if older_than is not None:
        query = query.where(Run.heartbeat_at < now() - older_than)
    stale = list(session.scalars(query))
    for run in stale:
        run.status, run.finished_at = RunStatus.failed, now()
        run.error = "interrupted: the process running it stopped before it finished; start a new run"
    session.flush()
    return [run.id for run in stale]


def run_read(run: Run) -> RunRead:
    """A run as the API shows it."""
    summary = RunSummary.model_validate(run.summary or {})
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
