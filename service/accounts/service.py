"""Account rules: idempotent upsert keyed by customer_id, lookup."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func
from sqlalchemy.orm import Session

from service.accounts.models import Account
from service.accounts.schemas import AccountIn
from service.domain_errors import TooLarge
from service.ingest.redaction import RedactionBudget, RedactionBudgetExceeded, redact_json, redact_text
from service.upsert import insert_for

_CHUNK = 2000


def upsert_accounts(session: Session, *, accounts: Sequence[AccountIn]) -> int:
    """Insert or replace accounts; when one customer_id appears twice in a batch the last one wins.

    Rows are written in customer_id order: every upsert then locks existing rows in the same order, so two
    concurrent batches sharing accounts wait for each other instead of deadlocking (PostgreSQL row locks).
    """
    latest = {a.customer_id: a for a in accounts}
    dumped = [latest[customer_id].model_dump() for customer_id in sorted(latest)]
    counting = RedactionBudget(counting=True)  # the whole batch is counted before any matcher runs
    for row in dumped:
        _redacted(row, counting)
    budget = RedactionBudget()
    rows = [_redacted(row, budget) for row in dumped]
    table = Account.__table__
    for start in range(0, len(rows), _CHUNK):
        statement = insert_for(session, table)
        statement = statement.on_conflict_do_update(
            index_elements=["customer_id"],
            set_={
                "name": statement.excluded.name,
                "annual_revenue": statement.excluded.annual_revenue,
                "currency": statement.excluded.currency,
                "attributes": statement.excluded.attributes,
                "updated_at": func.now(),
            },
        )
        session.execute(statement, rows[start : start + _CHUNK])
    session.flush()
    return len(rows)


def _redacted(row: dict[str, Any], budget: RedactionBudget) -> dict[str, Any]:
    """Names and attribute values are redacted like transcript text: CRM exports often put a contact's email
    or phone in the name, or card/IBAN columns among the attributes. customer_id is the join key: kept.
    TooLarge (413) once the batch needs more redaction work than one request may cause."""
    try:
        if row.get("name"):
            row["name"] = redact_text(row["name"], budget).text
        attributes = row.get("attributes") or {}
        row["attributes"] = {key: redact_json(value, budget)[0] for key, value in attributes.items()}
    except RedactionBudgetExceeded as exc:
        field, message = (
            f"accounts.{row['customer_id']}",
            f"{exc} in one request; send fewer accounts per request",
        )
        raise TooLarge(f"{field}: {message}", errors=[{"field": field, "message": message}]) from None
    return row


def get_account(session: Session, *, customer_id: str) -> Account | None:
    return session.get(Account, customer_id)
