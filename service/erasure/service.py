"""Erase a customer: every stored row and every trace in stored run results, audited by a hash of the id.

Never commits: the caller's transaction erases all of it or nothing."""

from __future__ import annotations

import hashlib
import logging

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from service.accounts.models import Account
from service.audit.schemas import AuditAction
from service.audit.service import record
from service.domain_errors import NotFound
from service.erasure.schemas import ErasureResult
from service.erasure.scrub import Traces, scrub_persona, scrub_report_data, traces_of
from service.ingest.models import Transcript, TranscriptEmbedding, WebhookDelivery, WebhookDeliveryCustomer
from service.personas.models import CustomerAssignment, JobTranscript, RunPersona
from service.runs.models import Run

log = logging.getLogger("personas.erasure")
ERASED = "[erased]"


def customer_hash(customer_id: str) -> str:
    """What the audit log and the answer hold instead of the id: SHA-256 of its UTF-8 bytes, in hex."""
    return hashlib.sha256(customer_id.encode()).hexdigest()


def _count(session: Session, statement: object) -> int:
    return int(session.execute(statement).rowcount or 0)  # type: ignore[call-overload, attr-defined]


def _delete_rows(
    session: Session, customer_id: str, transcript_ids: list[int], result: ErasureResult
) -> None:
    if transcript_ids:
        result.embeddings = _count(
            session, delete(TranscriptEmbedding).where(TranscriptEmbedding.transcript_id.in_(transcript_ids))
        )
        result.job_transcripts = _count(
            session, delete(JobTranscript).where(JobTranscript.transcript_id.in_(transcript_ids))
        )
        result.transcripts = _count(session, delete(Transcript).where(Transcript.id.in_(transcript_ids)))
    deliveries = select(WebhookDeliveryCustomer.delivery_id).where(
        WebhookDeliveryCustomer.customer_id == customer_id
    )
    delivery_ids = list(session.scalars(deliveries))
    if delivery_ids:
        session.execute(
            delete(WebhookDeliveryCustomer).where(WebhookDeliveryCustomer.delivery_id.in_(delivery_ids))
        )
        result.webhook_deliveries = _count(
            session, delete(WebhookDelivery).where(WebhookDelivery.id.in_(delivery_ids))
        )
    result.accounts = _count(session, delete(Account).where(Account.customer_id == customer_id))
    result.assignments = _count(
        session, delete(CustomerAssignment).where(CustomerAssignment.customer_id == customer_id)
    )


def _scrub_runs(session: Session, traces: Traces, result: ErasureResult) -> None:
    """Edit every stored persona and report data that holds the customer's words or id (counts stay)."""
    changed: set[str] = set()
    if traces.texts or traces.transcript_ids:
        for row in session.scalars(select(RunPersona)):
            payload, removed = scrub_persona(row.payload, traces)
            if removed:
                row.payload, result.quotes = payload, result.quotes + removed
                changed.add(row.run_id)
    for run in session.scalars(select(Run)):
        data, removed = scrub_report_data(run.report_data or {}, traces.customer_id)
        if removed:
            run.report_data, result.report_entries = data, result.report_entries + removed
            changed.add(run.id)
        if run.error and traces.customer_id in run.error:
            run.error = run.error.replace(traces.customer_id, ERASED)
            changed.add(run.id)
    result.runs_changed = len(changed)


def erase_customer(session: Session, *, customer_id: str, key_id: int | None = None) -> ErasureResult:
    """Remove the customer's transcripts, embeddings, account, delivery records and run rows, and their quotes,
    examples, map points and ids from every stored run; audit it. NotFound when nothing held the customer."""
    result = ErasureResult(customer_id_sha256=customer_hash(customer_id))
    rows = session.execute(
        select(Transcript.id, Transcript.turns).where(Transcript.customer_id == customer_id)
    )
    transcripts = [(int(tid), list(turns)) for tid, turns in rows]
    traces = traces_of(customer_id, transcripts)
    _scrub_runs(session, traces, result)
    _delete_rows(session, customer_id, [tid for tid, _ in transcripts], result)
    if not result.removed_anything():
        raise NotFound("No data is stored for this customer.")
    session.flush()
    details = result.model_dump()
    record(session, AuditAction.CUSTOMER_ERASED, key_id=key_id, details=details)
    log.info("customer erased", extra=details)
    return result
