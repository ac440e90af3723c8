"""The one place that loads a run's data, calls pipelines/, and stores the results."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import func, insert, select
from sqlalchemy.exc import DBAPIError, OperationalError

from pipelines.discover import discover
from pipelines.economics import Account
from pipelines.embed import Embedder
from pipelines.match import PreviousPersona
from pipelines.text import customer_text
from pipelines.types import AccountInput, DiscoveryConfig, DiscoveryResult, TranscriptInput
from service.accounts.models import Account as AccountRow
from service.config import Settings
from service.db import Database
from service.ingest.models import Transcript
from service.runs import service
from service.runs.embeddings import embed_with_cache
from service.runs.models import CustomerAssignment, PersonaLabel, Run, RunPersona
from service.runs.payloads import customer_rows, persona_payloads, report_data, share_by_month

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


def load_snapshot(database: Database, params: dict[str, Any]) -> Snapshot:
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
    return Snapshot([t.id for t in rows], transcripts, accounts, up_to)


class ProgressReporter:
    """Writes stage and progress to the run row, at most every half second."""

    def __init__(self, database: Database, run_id: str) -> None:
        self.database, self.run_id, self._last = database, run_id, 0.0

    def __call__(self, stage: str, fraction: float, *, force: bool = False) -> None:
        if not force and time.monotonic() - self._last < 0.5:
            return
        self._last = time.monotonic()
        low, high = STAGE_SPAN.get(stage, (0.95, 1.0))
        with self.database.transaction() as session:
            service.set_progress(session, self.run_id, stage=stage, progress=low + (high - low) * fraction)


def _previous_personas(database: Database) -> list[PreviousPersona]:
    with database.transaction(write=False) as session:
        latest = service.latest_succeeded(session)
        if latest is None:
            return []
        human = dict(session.execute(select(PersonaLabel.persona_id, PersonaLabel.label)).tuples().all())
        rows = session.scalars(select(RunPersona).where(RunPersona.run_id == latest.id))
        return [
            PreviousPersona(
                id=r.persona_id,
                centroid=np.frombuffer(r.centroid, dtype=np.float32),
                label=human.get(r.persona_id, r.auto_label),
                label_is_human=r.persona_id in human,
            )
            for r in rows
        ]


def discovery_config(settings: Settings, params: dict[str, Any]) -> DiscoveryConfig:
    return DiscoveryConfig(
        min_personas=int(params.get("min_personas", 2)),
        max_personas=int(params.get("max_personas", 4)),
        cost_per_minute_call=settings.cost_per_minute_call,
        cost_per_minute_chat=settings.cost_per_minute_chat,
        cost_per_minute_other=settings.cost_per_minute_other,
        cost_per_email=settings.cost_per_email,
    )


def execute_run(database: Database, run_id: str, *, embedder: Embedder, settings: Settings) -> bool:
    """Run one queued run to the end; True if it succeeded. Any failure is stored on the run, never raised."""
    with database.transaction() as session:
        if not service.claim_run(session, run_id):
            return False
    try:
        _execute(database, run_id, embedder=embedder, settings=settings)
        return True
    except Exception as exc:  # the run must end as failed with a reason, whatever went wrong
        log.exception("run failed", extra={"run_id": run_id})
        record_failure(database, run_id, error=f"{type(exc).__name__}: {exc}")
        return False


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
    report = ProgressReporter(database, run_id)
    clock = time.perf_counter()
    snapshot = load_snapshot(database, params)
    timings = {"loading": time.perf_counter() - clock}
    if not snapshot.transcripts:
        raise ValueError("there are no transcripts in the requested window to analyse")
    report("embedding", 0.0, force=True)
    clock = time.perf_counter()
    texts = [customer_text(t.turns) for t in snapshot.transcripts]
    vectors, newly_embedded = embed_with_cache(
        database,
        embedder=embedder,
        transcript_ids=snapshot.transcript_ids,
        texts=texts,
        progress=lambda f: report("embedding", f),
    )
    timings["embedding"] = time.perf_counter() - clock
    config = discovery_config(settings, params)
    result = discover(
        snapshot.transcripts,
        snapshot.accounts,
        config,
        embedder=embedder,
        transcript_vectors=vectors,
        previous=_previous_personas(database),
        progress=lambda stage, f: report(stage, f),
    )
    report("storing", 0.0, force=True)
    timings.update({k: v for k, v in result.timings.items() if k not in ("embedding", "total")})
    _store(database, run_id, snapshot, result, newly_embedded=newly_embedded, timings=timings)


def _store(
    database: Database,
    run_id: str,
    snapshot: Snapshot,
    result: DiscoveryResult,
    *,
    newly_embedded: int,
    timings: dict[str, float],
) -> None:
    clock = time.perf_counter()
    accounts = {
        a.customer_id: Account(a.customer_id, a.annual_revenue, a.name, a.attributes)
        for a in snapshot.accounts
    }
    payloads = persona_payloads(result)
    rows = customer_rows(result, accounts)
    persona_of = {r["customer_id"]: r["persona_id"] for r in rows}
    started = {t.external_id: t.started_at for t in snapshot.transcripts}
    owner = {t.external_id: t.customer_id for t in snapshot.transcripts}
    moments = [m for m in started.values() if m is not None]
    data = report_data(
        result,
        share_over_time=share_by_month(started, owner, persona_of),
        data_window=(min(moments, default=None), max(moments, default=None)),
    )
    centroid_of = {p.stable_id: p.centroid for p in result.personas}
    with database.transaction() as session:
        for position, payload in enumerate(payloads):
            session.add(
                RunPersona(
                    run_id=run_id,
                    persona_id=payload["id"],
                    position=position,
                    auto_label=payload["label"],
                    payload=payload,
                    centroid=np.asarray(centroid_of[payload["id"]], dtype=np.float32).tobytes(),
                )
            )
        session.execute(insert(CustomerAssignment), [{**r, "run_id": run_id} for r in rows])
        run = session.get(Run, run_id)
        assert run is not None
        run.summary = {
            "customers": len(rows),
            "transcripts": len(snapshot.transcripts),
            "personas": len(payloads),
            "unmatched_customers": len(result.economics.unmatched_customer_ids),
            "quality": result.quality,
            "quality_metric": result.quality_metric,
            "newly_embedded": newly_embedded,
            "totals": data["totals"],
            # Storing is timed up to the commit that follows; the rest is measured where it happened.
            "timings": {
                **{k: round(v, 3) for k, v in timings.items()},
                "storing": round(time.perf_counter() - clock, 3),
            },
        }
        run.config, run.model_name, run.report_data = result.config.to_dict(), result.model_name, data
        run.snapshot_transcript_id = snapshot.up_to_id
        run.status, run.stage, run.progress, run.finished_at = "succeeded", "done", 1.0, service.now()


ExecuteRun = Callable[[str], bool]
