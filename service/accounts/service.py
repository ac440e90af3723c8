"""Account rules: idempotent upsert keyed by customer_id that sets only the fields sent, lookup."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from service.accounts.models import Account
from service.accounts.schemas import AccountIn
from service.domain_errors import InvalidInput, TooLarge
from service.ingest.redaction import RedactionBudget, RedactionBudgetExceeded, redact_json, redact_text
from service.upsert import insert_for

_CHUNK = 2000
FIELDS = ("customer_id", "name", "annual_revenue", "currency", "attributes")


def _merged(accounts: Sequence[AccountIn]) -> tuple[dict[str, dict[str, Any]], dict[str, int]]:
    """Per customer_id, the fields sent (a later entry's fields win), and the first index it appeared at."""
    merged: dict[str, dict[str, Any]] = {}
    first: dict[str, int] = {}
    for index, account in enumerate(accounts):
        sent = account.model_dump(include=account.model_fields_set | {"customer_id"})
        if "attributes" in sent and sent["attributes"] is None:
            sent["attributes"] = {}  # an explicit null clears them
        first.setdefault(account.customer_id, index)
        merged.setdefault(account.customer_id, {}).update(sent)
    return merged, first


def columns_set(accounts: Sequence[AccountIn], *, merge_attributes: bool = False) -> list[str]:
    """The columns an upsert sets, in field order; with `merge_attributes` (CSV) attributes are named one by one."""
    sent = set().union(*(a.model_fields_set for a in accounts)) | {"customer_id"}
    columns = [f for f in FIELDS if f in sent and not (merge_attributes and f == "attributes")]
    if merge_attributes:
        names = (name for a in accounts for name in (a.attributes or {}))
        columns.extend(dict.fromkeys(names))
    return columns


def _check_new_accounts_have_revenue(
    session: Session, rows: dict[str, dict[str, Any]], first: dict[str, int]
) -> None:
    without = [customer_id for customer_id, row in rows.items() if "annual_revenue" not in row]
    if not without:
        return
    stored: set[str] = set()
    for start in range(0, len(without), _CHUNK):
        chunk = without[start : start + _CHUNK]
        stored.update(session.scalars(select(Account.customer_id).where(Account.customer_id.in_(chunk))))
    errors = [
        {"field": f"accounts.{first[c]}.annual_revenue", "message": "is required for a new account"}
        for c in sorted(set(without) - stored, key=first.__getitem__)
    ]
    if errors:
        raise InvalidInput(
            "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5]), errors=errors[:200]
        )


def _merge_stored_attributes(session: Session, rows: dict[str, dict[str, Any]]) -> None:
    """CSV: each attribute column sets that attribute; the account's other stored attributes stay."""
    ids = [customer_id for customer_id, row in rows.items() if "attributes" in row]
    for start in range(0, len(ids), _CHUNK):
        query = select(Account.customer_id, Account.attributes).where(
            Account.customer_id.in_(ids[start : start + _CHUNK])
        )
        for customer_id, stored in session.execute(query):
            rows[customer_id]["attributes"] = {**(stored or {}), **rows[customer_id]["attributes"]}


def upsert_accounts(
    session: Session, *, accounts: Sequence[AccountIn], merge_attributes: bool = False
) -> int:
    """Insert accounts, or update the fields sent for stored ones (a field left out keeps its value).

    Rows are written in customer_id order: every upsert then locks existing rows in the same order, so two
    concurrent batches sharing accounts wait for each other instead of deadlocking (PostgreSQL row locks).
    """
    merged, first = _merged(accounts)
    _check_new_accounts_have_revenue(session, merged, first)
    if merge_attributes:
        _merge_stored_attributes(session, merged)
    counting = RedactionBudget(counting=True)  # the whole batch is counted before any matcher runs
    for customer_id in sorted(merged):
        _redacted(merged[customer_id], counting)
    budget = RedactionBudget()
    rows = [_redacted(merged[customer_id], budget) for customer_id in sorted(merged)]
    # One statement per set of fields sent: a batch's rows must name the same columns. Rows without a revenue
    # are of stored accounts (checked above) and are updated: an insert would break its NOT NULL first.
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(f for f in FIELDS if f in row), []).append(row)
    for fields, group in groups.items():
        if "annual_revenue" in fields:
            _write(session, fields, group)
        else:
            now = datetime.now(UTC)
            session.execute(update(Account), [{**row, "updated_at": now} for row in group])
    session.flush()
    return len(rows)


def _write(session: Session, fields: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
    table = Account.__table__
    for start in range(0, len(rows), _CHUNK):
        statement = insert_for(session, table)
        updates = {f: statement.excluded[f] for f in fields if f != "customer_id"}
        statement = statement.on_conflict_do_update(
            index_elements=["customer_id"], set_={**updates, "updated_at": func.now()}
        )
        session.execute(statement, rows[start : start + _CHUNK])


def _redacted(row: dict[str, Any], budget: RedactionBudget) -> dict[str, Any]:
    """Names and attribute values are redacted like transcript text: CRM exports often put a contact's email
    or phone in the name, or card/IBAN columns among the attributes. customer_id is the join key: kept.
    TooLarge (413) once the batch needs more redaction work than one request may cause."""
    try:
        if row.get("name"):
            row["name"] = redact_text(row["name"], budget).text
        if "attributes" in row:
            row["attributes"] = {
                key: redact_json(value, budget)[0] for key, value in row["attributes"].items()
            }
    except RedactionBudgetExceeded as exc:
        field, message = (
            f"accounts.{row['customer_id']}",
            f"{exc} in one request; send fewer accounts per request",
        )
        raise TooLarge(f"{field}: {message}", errors=[{"field": field, "message": message}]) from None
    return row


def get_account(session: Session, *, customer_id: str) -> Account | None:
    return session.get(Account, customer_id)
