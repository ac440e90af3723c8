"""CSV account exports -> validated AccountIn rows (every extra column becomes an attribute)."""

from __future__ import annotations

import csv
import io

from pydantic import ValidationError

from service.accounts.schemas import MAX_ACCOUNTS, AccountIn, AttributeValue
from service.domain_errors import InvalidInput, invalid_field

# A file may update some columns only: annual_revenue is then required for new accounts (service.py).
REQUIRED_COLUMNS = ("customer_id",)
KNOWN_COLUMNS = {"customer_id", "annual_revenue", "name", "currency"}


def _attribute(raw: str) -> AttributeValue:
    """Numbers stay numbers so the pond map can bucket them; empty cells are missing values."""
    text = raw.strip()
    if text == "":
        return None
    try:
        number = float(text)
    except ValueError:
        return text
    if number != number or number in (float("inf"), float("-inf")):
        return text
    return int(number) if number.is_integer() and "." not in text and "e" not in text.lower() else number


def _payload(cells: dict[str, str]) -> dict[str, object]:
    """Only the file's columns: one it lacks keeps the stored value. An empty name cell clears the name."""
    payload: dict[str, object] = {"customer_id": cells["customer_id"].strip()}
    if "annual_revenue" in cells:
        payload["annual_revenue"] = cells["annual_revenue"].strip()
    if "name" in cells:
        payload["name"] = cells["name"].strip() or None
    if "currency" in cells:
        payload["currency"] = cells["currency"].strip() or "USD"
    attributes = {k: _attribute(v) for k, v in cells.items() if k not in KNOWN_COLUMNS}
    if attributes:
        payload["attributes"] = attributes
    return payload


def parse_accounts_csv(body: bytes) -> list[AccountIn]:
    """Parse and validate every row; any bad row rejects the file with each failing field named. Each account
    carries only the file's columns (upsert it with `merge_attributes=True`: a column sets one attribute)."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise invalid_field("body", "CSV must be UTF-8") from None
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise invalid_field("body", f"not valid CSV: {exc}") from None
    if not rows:
        raise invalid_field("body", "empty CSV: expected a header with customer_id (and annual_revenue, ...)")
    header = [h.strip() for h in rows[0]]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise invalid_field("header", f"missing column(s): {', '.join(missing)}")
    if len(set(header)) != len(header) or "" in header:
        raise invalid_field("header", "column names must be unique and non-empty")
    data = [r for r in rows[1:] if any(cell.strip() for cell in r)]
    if not data:
        raise invalid_field("body", "no account rows after the header")
    if len(data) > MAX_ACCOUNTS:
        raise invalid_field("body", f"at most {MAX_ACCOUNTS} rows per request")
    accounts, errors = [], []
    for index, row in enumerate(data):
        if len(row) != len(header):
            errors.append(
                {"field": f"accounts.{index}", "message": f"has {len(row)} cells; header has {len(header)}"}
            )
            continue
        cells = dict(zip(header, row, strict=True))
        try:
            accounts.append(AccountIn.model_validate(_payload(cells)))
        except ValidationError as exc:
            for e in exc.errors():
                field = ".".join(["accounts", str(index), *map(str, e["loc"])])
                errors.append({"field": field, "message": e["msg"]})
    if errors:
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
        raise InvalidInput(detail, errors=errors[:200])
    return accounts
