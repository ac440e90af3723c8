"""Account rules: idempotent upsert keyed by customer_id, lookup."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func
from sqlalchemy.orm import Session

from service.accounts.models import Account
from service.accounts.schemas import AccountIn
from service.upsert import insert_for

_CHUNK = 2000


def upsert_accounts(session: Session, *, accounts: Sequence[AccountIn]) -> int:
    """Insert or replace accounts; when one customer_id appears twice in a batch the last one wins."""
    latest = {a.customer_id: a for a in accounts}
    rows = [a.model_dump() for a in latest.values()]
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


def get_account(session: Session, *, customer_id: str) -> Account | None:
    return session.get(Account, customer_id)
