"""Small builders for test payloads and stored runs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from service.db import Database
from service.personas.schemas import CustomerRow, Persona, StoredPersona
from service.personas.service import store_personas
from service.reports.schemas import ReportData
from service.runs.models import Run
from service.runs.schemas import RunStatus, RunTotals, StoredRunSummary
from service.runs.service import finish_run


def transcript_payload(
    external_id: str = "t-1",
    customer_id: str = "c-1",
    text: str = "My order has not arrived yet.",
    **fields: Any,
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "external_id": external_id,
        "customer_id": customer_id,
        "channel": "chat",
        "started_at": "2026-10-01T09:30:00Z",
        "duration_seconds": 240,
        "turns": [
            {"speaker": "agent", "text": "Hi, how can I help?"},
            {"speaker": "customer", "text": text},
        ],
        "metadata": {"csat": 4},
    }
    payload.update(fields)
    return payload


def batch(*transcripts: dict[str, Any]) -> dict[str, Any]:
    return {"transcripts": list(transcripts)}


def store_succeeded_run(
    database: Database,
    *,
    run_id: str,
    personas: Sequence[Persona],
    customers: Sequence[CustomerRow],
    report_data: ReportData | None = None,
    finished_at: datetime | None = None,
    totals: RunTotals | None = None,
    existing: bool = False,
) -> str:
    """A succeeded run with these personas and customers, stored by the same service functions a real run
    uses (no pipeline): for tests of what is read back (API, report, dashboard, security). `existing`: the
    run row is already there (a run being executed), only its results are stored."""
    finished = finished_at or datetime.now(UTC) - timedelta(minutes=1)
    totals = totals or RunTotals(
        customers=len(customers),
        matched_customers=sum(c.annual_revenue is not None for c in customers),
        revenue=sum(c.annual_revenue or 0.0 for c in customers),
        cost_to_serve=sum(c.cost_to_serve for c in customers),
    )
    summary = StoredRunSummary(
        customers=len(customers),
        transcripts=sum(p.transcripts for p in personas),
        personas=len(personas),
        unmatched_customers=totals.customers - totals.matched_customers,
        totals=totals,
    )
    with database.transaction() as session:
        if not existing:
            session.add(
                Run(
                    id=run_id,
                    status=RunStatus.running,
                    progress=0.5,
                    params={"min_personas": 2, "max_personas": 4},
                    created_at=finished - timedelta(minutes=1),
                    started_at=finished - timedelta(minutes=1),
                )
            )
            session.flush()
        centroids = {p.id: np.eye(8, dtype=np.float32)[i % 8] for i, p in enumerate(personas)}
        store_personas(
            session,
            run_id=run_id,
            personas=[StoredPersona(persona=p) for p in personas],
            centroids=centroids,
            customers=customers,
        )
        data = (report_data or ReportData(totals=totals)).model_dump(mode="json", by_alias=True)
        finish_run(
            session,
            run_id,
            summary=summary,
            report_data=data,
            config={},
            model_name="test-model",
            snapshot_transcript_id=0,
        )
        session.get_one(Run, run_id).finished_at = finished
    return run_id
