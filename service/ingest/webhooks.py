"""POST /v1/webhooks/{source}: verify the vendor's signature, map its payload, store once, then acknowledge."""

from __future__ import annotations

import logging
import time
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Path, Request
from pydantic import TypeAdapter, ValidationError

from service.deps import RawBody, SettingsDep, WriteSession
from service.embedding.flows import embed_after_response
from service.errors import Problem, field_error
from service.ingest import service
from service.ingest.schemas import IngestResult, TranscriptIn
from service.ingest.vendors import VENDORS
from service.ingest.vendors.protocol import PayloadError, SignatureError

log = logging.getLogger("personas.webhooks")
router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])
_transcripts = TypeAdapter(list[TranscriptIn])
#: Standard Webhooks ids are short; a longer one would not fit the delivery table's column.
MAX_DELIVERY_ID = 200


def is_json_media_type(content_type: str | None) -> bool:
    """`application/json` or a `+json` type, parameters (charset) ignored; a missing header is not JSON."""
    media = (content_type or "").split(";")[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def _validated(raw: list[dict]) -> list[TranscriptIn]:  # type: ignore[type-arg]
    try:
        return _transcripts.validate_python(raw)
    except ValidationError as exc:
        errors = [
            {"field": ".".join(["transcripts", *map(str, e["loc"])]), "message": e["msg"]}
            for e in exc.errors()
        ]
        raise Problem(
            422, "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5]), errors=errors
        ) from None


@router.post(
    "/{source}",
    status_code=202,
    response_model=IngestResult,
    openapi_extra={
        "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}}
    },
)
def receive_webhook(
    source: Annotated[str, Path(max_length=32)],
    request: Request,
    background: BackgroundTasks,
    body: RawBody,
    session: WriteSession,
    settings: SettingsDep,
) -> IngestResult:
    """A support tool's delivery, signed with the source's secret; replays are acknowledged, stored once."""
    vendor = VENDORS.get(source)
    secret = settings.webhook_secret(source) if vendor else None
    if vendor is None or secret is None:
        raise Problem(404, f"No webhook source '{source}' is configured.")
    headers = {k.lower(): v for k, v in request.headers.items()}
    try:
        vendor.verify(headers, body, secret, time.time())
    except SignatureError as exc:
        log.info("webhook signature rejected", extra={"source": source, "reason": str(exc)})
        raise Problem(401, f"Webhook signature rejected: {exc}") from None
    if not is_json_media_type(request.headers.get("content-type")):
        # Every adapter parses JSON only: a signed form post or multipart upload never reaches a parser.
        # Checked after the signature, so an unauthenticated caller learns nothing but 401.
        raise Problem(415, "Webhook bodies must be JSON: send Content-Type: application/json.")
    try:
        delivery = vendor.parse(headers, body, settings.customer_id_field(source))
    except PayloadError as exc:
        raise field_error(exc.field, str(exc)) from None
    if delivery.delivery_id and len(delivery.delivery_id) > MAX_DELIVERY_ID:
        raise field_error("delivery_id", f"is longer than {MAX_DELIVERY_ID} characters")
    transcripts = _validated(delivery.transcripts)
    service.check_text_limits(transcripts, max_turn_chars=settings.max_turn_chars)
    if delivery.delivery_id and not service.claim_delivery(
        session, source=source, delivery_id=delivery.delivery_id, transcripts=transcripts
    ):
        return IngestResult(accepted=0, duplicates=len(transcripts), updated=0)
    result = service.store_transcripts(
        session, source=source, transcripts=transcripts, merges=delivery.merges
    )
    log.info(
        "webhook stored", extra={"source": source, "accepted": result.accepted, "updated": result.updated}
    )
    embed_after_response(request, background, result.changed_ids)
    return result
