"""DELETE /v1/customers/{customer_id}: erase a customer (admin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from service.deps import AdminKey, WriteSession
from service.erasure import service
from service.erasure.schemas import ErasureResult

router = APIRouter(tags=["customers"])


@router.delete("/v1/customers/{customer_id}", response_model=ErasureResult)
def erase_customer(
    customer_id: Annotated[str, Path(min_length=1, max_length=200)], session: WriteSession, key: AdminKey
) -> ErasureResult:
    """Erase a customer (GDPR Art. 17, CCPA): their transcripts, embeddings, account, webhook delivery records
    and run rows, and their quotes, examples and map points in every stored run result and report. Counts
    stay in summaries; the audit log keeps a SHA-256 of the id and the counts. 404 when nothing is stored."""
    return service.erase_customer(session, customer_id=customer_id, key_id=key.id)
