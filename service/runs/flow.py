"""The one place that loads a run's data, calls pipelines/, and stores the results."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError, OperationalError

from pipelines.discover import discover
from pipelines.embed import Embedder
from pipelines.results import DiscoveryResult
from pipelines.text import customer_text
from pipelines.types import AccountInput, DiscoveryConfig, TranscriptInput
from service.accounts.models import Account as AccountRow
from service.config import Settings
from service.db import Database
from service.embedding.claims import run_token
from service.embedding.service import embed_snapshot
from service.erasure.service import reapply_erasures
from service.ingest.models import Transcript
from service.personas import service as personas
from service.personas.build import customer_rows, job_transcripts, stored_personas
from service.personas.labeller import labeller_for
from service.reports.build import report_data
from service.runs import service
from service.runs.models import Run
from service.runs.schemas import KScoreRead, RunTotals, StoredRunSummary
from service.shifts.alerts import after_run_succeeded

log = logging.getLogger("personas.runs")
# How long a failed run keeps trying to record its failure while the database is unreachable.
RECORD_PATIENCE_S = 300.0
# How much of the progress bar each stage takes (embedding dominates a cold run).
STAGE_SPAN = {
    "embedding": (0.02, 0.55),
    "clustering": (0.55, 0.8),
    "describing": (0.8, 0.9),
    "pricing": (0.9, 0.95),
}


@dataclass(frozen=True)
class Snapshot:
    """The transcripts and accounts a run uses, read once at its start."""

    transcript_ids: list[int]
    transcripts: list[TranscriptInput]
    accounts: list[AccountInput]
    up_to_id: int
    #: The revision of each transcript as read (empty: all 1): its cached vector must be of that revision.
    revisions: list[int] = field(default_factory=list)


def load_snapshot(database: Database, params: dict[str, Any]) -> Snapshot:
    """Every transcript stored when the run starts (within `since`..`until` when given) and every account."""
    with database.transaction(write=False) as session:
        up_to = session.scalar(select(func.max(Transcript.id))) or 0
        query = select(Transcript).where(Transcript.id <= up_to).order_by(Transcript.id)
        if params.get("since"):
            query = query.where(Transcript.started_at >= datetime.fromisoformat(params["since"]))
        if params.get("until"):
            query = query.where(Transcript.started_at < datetime.fromisoformat(params["until"]))
        rows = list(session.scalars(query))
        accounts = [
            AccountInput(a.customer_id, float(a.annual_revenue), a.name, dict(a.attributes or {}))
            for a in session.scalars(select(AccountRow))
        ]
    transcripts = [
        TranscriptInput(str(t.id), t.customer_id, t.channel, t.started_at, t.duration_seconds, list(t.turns))
        for t in rows
    ]
    return Snapshot([t.id for t in rows], transcripts, accounts, up_to, [t.revision for t in rows])


class ProgressReporter:
    """Writes stage and progress to the run row, at most every half second (`force`: now). Raises
    service.RunCancelled when the run was cancelled meanwhile: a run checks at every stage and update."""

    def __init__(self, database: Database, run_id: str) -> None:
        self.database, self.run_id, self._last = database, run_id, 0.0

    def __call__(self, stage: str, fraction: float, *, force: bool = False) -> None:
        if not force and time.monotonic() - self._last < 0.5:
            return
        self._last = time.monotonic()
        low, high = STAGE_SPAN.get(stage, (0.95, 1.0))
        with self.database.transaction() as session:
            service.set_progress(session, self.run_id, stage=stage, progress=low + (high - low) * fraction)


def discovery_config(settings: Settings, params: dict[str, Any]) -> DiscoveryConfig:
    return DiscoveryConfig(
        min_personas=int(params.get("min_personas", 2)),
        max_personas=int(params.get("max_personas", 4)),
        cost_rates=settings.cost_rates,
    )


def execute_run(database: Database, run_id: str, *, embedder: Embedder, settings: Settings) -> bool:
    """Run one queued run to the end; True if it succeeded. Any failure is stored on the run, never raised."""
    with database.transaction() as session:
        if not service.claim_run(session, run_id):
            return False
    try:
        _execute(database, run_id, embedder=embedder, settings=settings)
    except service.RunCancelled:  # seen at a progress update or when storing: nothing of it is kept
        log.info("run cancelled; stopped", extra={"run_id": run_id})
        return False
    except Exception as exc:  # the run must end as failed with a reason, whatever went wrong
        log.exception("run failed", extra={"run_id": run_id})
        record_failure(database, run_id, error=f"{type(exc).__name__}: {exc}")
        return False
    # The run is committed as succeeded; the alert hook never raises and delivers off this thread.
    after_run_succeeded(database, run_id, settings)
    return True


def record_failure(
    database: Database, run_id: str, *, error: str, patience: float = RECORD_PATIENCE_S
) -> None:
    """Store a run's failure, retrying while the database is unreachable (what often made the run fail):
    otherwise the run would stay `running`, looking alive, until the process restarts."""
    deadline, delay = time.monotonic() + patience, 0.5
    while True:
        try:
            with database.transaction() as session:
                service.fail_run(session, run_id, error=error)
            return
        except DBAPIError as exc:
            if not (isinstance(exc, OperationalError) or exc.connection_invalidated):
                raise
            if time.monotonic() + delay > deadline:
                raise
            log.warning("database unavailable; will retry recording the failure", extra={"run_id": run_id})
            time.sleep(delay)
            delay = min(delay * 2, 5.0)


def _execute(database: Database, run_id: str, *, embedder: Embedder, settings: Settings) -> None:
    with database.transaction(write=False) as session:
        run = session.get(Run, run_id)
        assert run is not None
        params = dict(run.params)
        previous = personas.previous_personas(session)
    report = ProgressReporter(database, run_id)
    clock = time.perf_counter()
    snapshot = load_snapshot(database, params)
    timings = {"loading": time.perf_counter() - clock}
    if not snapshot.transcripts:
        raise ValueError("there are no transcripts in the requested window to analyse")
    report("embedding", 0.0, force=True)
    clock = time.perf_counter()
    vectors, newly_embedded = embed_snapshot(
        database,
        embedder=embedder,
        transcript_ids=snapshot.transcript_ids,
        texts=[customer_text(t.turns) for t in snapshot.transcripts],
        token=run_token(run_id),
        revisions=snapshot.revisions or None,
        progress=lambda f: report("embedding", f),
    )
    timings["embedding"] = time.perf_counter() - clock
    result = discover(
        snapshot.transcripts,
        snapshot.accounts,
        discovery_config(settings, params),
        embedder=embedder,
        transcript_vectors=vectors,
        previous=previous,
        progress=lambda stage, f: report(stage, f),
        labeller=labeller_for(settings),
    )
    report("storing", 0.0, force=True)
    timings.update({k: v for k, v in result.timings.items() if k not in ("embedding", "total")})
    store_result(database, run_id, snapshot, result, newly_embedded=newly_embedded, timings=timings)


def store_result(
    database: Database,
    run_id: str,
    snapshot: Snapshot,
    result: DiscoveryResult,
    *,
    newly_embedded: int,
    timings: dict[str, float],
) -> None:
    """Store the run's personas, customers and report data, and mark it succeeded, in one transaction."""
    clock = time.perf_counter()
    customers = customer_rows(result, {a.customer_id: a for a in snapshot.accounts})
    stored = stored_personas(result)
    summary = StoredRunSummary(
        customers=len(customers),
        transcripts=len(snapshot.transcripts),
        personas=len(stored),
        unmatched_customers=len(result.economics.unmatched_customer_ids),
        quality=result.quality,
        quality_metric=result.quality_metric,
        newly_embedded=newly_embedded,
        stability=None if result.stability is None else round(result.stability, 3),
        unstable=result.unstable,
        stability_verdict=result.stability_verdict or None,
        k_scores=[
            KScoreRead(
                k=s.k,
                stability=round(s.stability, 3),
                weakest=round(s.weakest, 3),
                personas=[round(j, 3) for j in s.persona_stability],
                chosen=s.k == result.chosen_k,
            )
            for s in result.k_scores
        ],
        totals=RunTotals.model_validate(result.economics.totals, from_attributes=True),
    )
    data = report_data(result, snapshot.transcripts)
    with database.transaction() as session:
        centroids = {p.stable_id: p.centroid for p in result.personas}
        personas.store_personas(
            session,
            run_id=run_id,
            personas=stored,
            centroids=centroids,
            customers=customers,
            job_transcripts=job_transcripts(result),
        )
        # Storing is timed up to the commit that follows; the rest is measured where it happened.
        seconds = {**timings, "storing": time.perf_counter() - clock}
        summary.timings = {k: round(v, 3) for k, v in seconds.items()}
        service.finish_run(
            session,
            run_id,
            summary=summary,
            report_data=data.model_dump(mode="json", by_alias=True),
            config=result.config.to_dict(),
            model_name=result.model_name,
            snapshot_transcript_id=snapshot.up_to_id,
        )
        reapply_erasures(session, run_id=run_id, transcripts=snapshot.transcripts)
