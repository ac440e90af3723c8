"""Transcript ingest and listing: thin handlers over ingest.service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query, Request

from service.deps import IngestKey, ReadKey, ReadSession, SettingsDep, WriteSession
from service.domain_errors import InvalidInput
from service.embedding.flows import embed_after_response
from service.ingest import service
from service.ingest.schemas import IngestResult, TranscriptBatchIn, TranscriptPage, TranscriptRead
from service.ingest.service import API_SOURCE
from service.pagination import decode_int_cursor, encode_cursor
from service.personas import service as personas

router = APIRouter(prefix="/v1/transcripts", tags=["transcripts"])


@router.post("", status_code=202, response_model=IngestResult)
def ingest_transcripts(
    batch: TranscriptBatchIn,
    request: Request,
    background: BackgroundTasks,
    session: WriteSession,
    settings: SettingsDep,
    _: IngestKey,
) -> IngestResult:
    """Store 1..1000 transcripts; re-sent ones (same external_id) are counted as duplicates. What is new or
    changed is embedded in the background from then on."""
    service.check_text_limits(batch.transcripts, max_turn_chars=settings.max_turn_chars)
    result = service.store_transcripts(session, source=API_SOURCE, transcripts=batch.transcripts)
    embed_after_response(request, background, result.changed_ids)
    return result


@router.get("", response_model=TranscriptPage)
def list_transcripts(
    session: ReadSession,
    _: ReadKey,
    customer_id: Annotated[str | None, Query(max_length=200)] = None,
    persona_id: Annotated[str | None, Query(max_length=40, description="Drill down into a persona.")] = None,
    run_id: Annotated[str | None, Query(max_length=64, description="The run persona_id refers to.")] = None,
    job: Annotated[
        int | None,
        Query(
            ge=0, le=1000, description="With persona_id: the persona's job at this position of its `jobs`."
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> TranscriptPage:
    """Stored (redacted) transcripts in arrival order, a page at a time."""
    in_persona, in_job, up_to = None, None, None
    if job is not None and persona_id is None:
        message = "needs persona_id: jobs are numbered within a persona"
        raise InvalidInput(f"job {message}", errors=[{"field": "job", "message": message}])
    if persona_id is not None or run_id is not None:
        run = personas.resolve_run(session, run_id)
        up_to = run.snapshot_transcript_id
        if persona_id is not None:
            in_persona = personas.persona_customer_ids(run, persona_id)
        if persona_id is not None and job is not None:
            in_job = personas.job_transcript_ids(run, persona_id, job)
    rows = service.list_transcripts(
        session,
        limit=limit + 1,
        after_id=decode_int_cursor(cursor),
        customer_id=customer_id,
        customer_ids=in_persona,
        transcript_ids=in_job,
        up_to_id=up_to,
    )
    items = [TranscriptRead.model_validate(row, from_attributes=True) for row in rows[:limit]]
    next_cursor = encode_cursor(items[-1].id) if len(rows) > limit else None
    return TranscriptPage(items=items, next_cursor=next_cursor)
