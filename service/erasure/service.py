"""Erase a customer: every stored row and every trace in stored run results, audited by a hash of the id.

Never commits: the caller's transaction erases all of it or nothing."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, undefer

from pipelines.types import TranscriptInput
from service.accounts.models import Account
from service.audit.models import AuditEvent
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
# How far before a run's start an erasure may be recorded and still commit after the run read its snapshot.
ERASURE_SLACK = timedelta(minutes=10)


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
    # The delivery records go too: a vendor's delivery id may itself carry the customer's id. (A vendor retry of
    # that delivery within the signature window would then be stored again.)
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


def _scrub_runs(session: Session, traces: Traces, result: ErasureResult, run_id: str | None = None) -> None:
    """Edit every stored persona and report data (of one run, when given) that holds the customer's words or id;
    counts stay."""
    changed: set[str] = set()
    personas = select(RunPersona)
    runs = select(Run).options(undefer(Run.report_data))
    if run_id is not None:
        personas, runs = personas.where(RunPersona.run_id == run_id), runs.where(Run.id == run_id)
    if traces.texts or traces.transcript_ids:
        for row in session.scalars(personas):
            payload, removed = scrub_persona(row.payload, traces)
            if removed:
                row.payload, result.quotes = payload, result.quotes + removed
                changed.add(row.run_id)
    for run in session.scalars(runs):
        data, removed = scrub_report_data(run.report_data or {}, traces.customer_id)
        if removed:
            run.report_data, result.report_entries = data, result.report_entries + removed
            changed.add(run.id)
        if run.error and traces.customer_id in run.error:
            run.error = run.error.replace(traces.customer_id, ERASED)
            changed.add(run.id)
    result.runs_changed = len(changed)


def reapply_erasures(session: Session, *, run_id: str, transcripts: Sequence[TranscriptInput]) -> int:
    """A run that read its snapshot before an erasure committed would store the customer again: scrub what it
    just stored (in its transaction) of every customer of its snapshot erased since the run started. The audit
    log holds hashes only, so the snapshot's customer ids are hashed to find them. Call it after finish_run:
    the run's report data is scrubbed too."""
    since = session.get_one(Run, run_id).started_at
    query = select(AuditEvent.details).where(AuditEvent.action == AuditAction.CUSTOMER_ERASED.value)
    if since is not None:
        # An erasure's time is taken before it commits: one recorded just before the run started may still
        # have committed after the run read its snapshot. ERASURE_SLACK covers any such transaction.
        query = query.where(AuditEvent.at >= since - ERASURE_SLACK)
    hashes = {details.get("customer_id_sha256") for details in session.scalars(query)}
    if not hashes:
        return 0
    erased: dict[str, list[tuple[int, list[dict[str, Any]]]]] = {}
    for t in transcripts:
        if customer_hash(t.customer_id) in hashes:
            erased.setdefault(t.customer_id, []).append((int(t.external_id), list(t.turns)))
    for customer_id, own in erased.items():
        _scrub_runs(session, traces_of(customer_id, own), ErasureResult(customer_id_sha256=""), run_id=run_id)
        ids = [transcript_id for transcript_id, _ in own]
        session.execute(
            delete(JobTranscript).where(JobTranscript.run_id == run_id, JobTranscript.transcript_id.in_(ids))
        )
        session.execute(
            delete(CustomerAssignment).where(
                CustomerAssignment.run_id == run_id, CustomerAssignment.customer_id == customer_id
            )
        )
    if erased:
        log.warning("customers erased during the run were removed from its result",
                    extra={"run_id": run_id, "customers": len(erased)})  # fmt: skip
    return len(erased)


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
