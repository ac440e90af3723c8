"""`personas demo`: a synthetic company through the real ingest and run code paths, into an HTML report."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from pipelines.synthetic import generate_company
from service import migrate
from service.accounts.schemas import AccountIn
from service.accounts.service import upsert_accounts
from service.config import Settings
from service.db import Database
from service.ingest.schemas import TranscriptIn
from service.ingest.service import API_SOURCE, store_transcripts
from service.personas.schemas import PersonaList
from service.personas.service import persona_list
from service.reports.formatting import report_filename
from service.reports.service import build_report, run_currencies
from service.runs.executor import ForegroundExecutor, start_run
from service.runs.models import Run
from service.runs.schemas import RunCreate, RunStatus
from service.runs.watch import follow_run

BATCH = 500


@dataclass(frozen=True)
class DemoOutcome:
    run: Run
    personas: PersonaList
    report_path: Path
    database_url: str
    currency: str | None = None


def fresh_database(path: Path) -> Database:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    return Database.from_url(url)


def ingest_company(database: Database, *, customers: int, seed: int) -> tuple[int, int]:
    """Validate and store the synthetic company exactly as the API would."""
    company = generate_company(n_customers=customers, seed=seed)
    accounts = [AccountIn.model_validate(a) for a in company.accounts]
    transcripts = [TranscriptIn.model_validate(t) for t in company.transcripts]
    with database.transaction() as session:
        upsert_accounts(session, accounts=accounts)
    for start in range(0, len(transcripts), BATCH):
        with database.transaction() as session:
            store_transcripts(session, source=API_SOURCE, transcripts=transcripts[start : start + BATCH])
    return len(accounts), len(transcripts)


def run_demo(
    settings: Settings, *, workdir: Path, customers: int, seed: int, console: Console
) -> DemoOutcome:
    workdir.mkdir(parents=True, exist_ok=True)
    database = fresh_database(workdir / "demo.db")
    with console.status("generating and ingesting the synthetic company"):
        n_accounts, n_transcripts = ingest_company(database, customers=customers, seed=seed)
    console.print(
        f"ingested {n_transcripts} transcripts and {n_accounts} accounts into {workdir / 'demo.db'}"
    )
    executor = ForegroundExecutor(database, settings)
    run_id = start_run(database, executor, RunCreate(min_personas=2, max_personas=4))
    run = follow_run(database, run_id, console)
    executor.stop()
    if run.status != RunStatus.succeeded:
        raise RuntimeError(f"the demo run failed: {run.error}")
    with database.transaction(write=False) as session:
        stored = session.get(Run, run_id)
        assert stored is not None
        personas = persona_list(session, stored)
        html = build_report(session, stored)
        currencies = list(run_currencies(session, stored))
    report_path = workdir / report_filename(run_id)
    report_path.write_text(html, encoding="utf-8")
    currency = currencies[0] if len(currencies) == 1 else None
    return DemoOutcome(run, personas, report_path, database.url, currency)
