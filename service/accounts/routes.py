"""Accounts: upsert from a JSON body or a CSV export, and read one back."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path
from pydantic import ValidationError

from service.accounts import service
from service.accounts.csv_format import parse_accounts_csv
from service.accounts.schemas import AccountBatchIn, AccountRead, UpsertResult
from service.deps import IngestKey, RawBody, ReadKey, ReadSession, WriteSession
from service.domain_errors import InvalidInput, NotFound
from service.errors import Problem
from service.openapi_schema import inline_schema

router = APIRouter(prefix="/v1/accounts", tags=["accounts"])

_REQUEST_BODY = {
    "required": True,
    "content": {
        "application/json": {"schema": inline_schema(AccountBatchIn)},
        "text/csv": {"schema": {"type": "string", "description": "Header: customer_id, annual_revenue, ..."}},
    },
}


def _parse_json(body: bytes) -> AccountBatchIn:
    try:
        return AccountBatchIn.model_validate_json(body)
    except ValidationError as exc:
        errors = [
            {"field": ".".join(map(str, e["loc"])) or "body", "message": e["msg"]} for e in exc.errors()
        ]
        raise InvalidInput(
            "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5]), errors=errors
        ) from None


@router.put("", response_model=UpsertResult, openapi_extra={"requestBody": _REQUEST_BODY})
def upsert_accounts(
    body: RawBody,
    session: WriteSession,
    _: IngestKey,
    content_type: Annotated[str, Header()] = "application/json",
) -> UpsertResult:
    """Insert or update accounts from JSON `{"accounts": [...]}` or a `text/csv` export. Only the fields sent
    (JSON) or the file's columns (CSV; each extra column sets one attribute) are set; the rest keep their
    stored values, and an explicit null clears `name` or `attributes`. The answer lists the columns set."""
    media = content_type.split(";")[0].strip().lower()
    if media == "text/csv":
        accounts, per_column = parse_accounts_csv(body), True
    elif media == "application/json" or media.endswith("+json"):
        accounts, per_column = _parse_json(body).accounts, False
    else:
        raise Problem(415, f"Content-Type '{media}' is not supported; send application/json or text/csv.")
    upserted = service.upsert_accounts(session, accounts=accounts, merge_attributes=per_column)
    return UpsertResult(upserted=upserted, columns=service.columns_set(accounts, merge_attributes=per_column))


@router.get("/{customer_id}", response_model=AccountRead)
def read_account(
    customer_id: Annotated[str, Path(max_length=200)], session: ReadSession, _: ReadKey
) -> AccountRead:
    """One account by customer id."""
    account = service.get_account(session, customer_id=customer_id)
    if account is None:
        raise NotFound(f"No account with customer_id '{customer_id}'.")
    return AccountRead.model_validate(account, from_attributes=True)
