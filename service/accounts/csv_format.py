"""CSV account exports -> validated AccountIn rows (every extra column becomes an attribute)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

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


@dataclass(frozen=True)
class RowProblem:
    """Why one CSV row was rejected: `line` is the 1-based line of the file where the row starts (the header
    is line 1), `index` the 0-based position among the data rows, `field` the column ('' for the whole row)."""

    line: int
    index: int
    field: str
    message: str


@dataclass(frozen=True)
class ParsedAccounts:
    accounts: list[AccountIn]
    rejected: list[RowProblem]


def _rows(text: str) -> list[tuple[int, list[str]]]:
    """Rows with the file line each starts on (a quoted cell may span lines)."""
    reader = csv.reader(io.StringIO(text))
    rows, next_line = [], 1
    try:
        for row in reader:
            rows.append((next_line, row))
            next_line = reader.line_num + 1
    except csv.Error as exc:
        raise invalid_field("body", f"not valid CSV at line {reader.line_num}: {exc}") from None
    return rows


def _header(rows: list[tuple[int, list[str]]]) -> list[str]:
    if not rows:
        raise invalid_field("body", "empty CSV: expected a header with customer_id (and annual_revenue, ...)")
    header = [h.strip() for h in rows[0][1]]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise invalid_field("header", f"missing column(s): {', '.join(missing)}")
    if len(set(header)) != len(header) or "" in header:
        raise invalid_field("header", "column names must be unique and non-empty")
    return header


def _account(header: list[str], row: list[str], line: int, index: int) -> AccountIn | list[RowProblem]:
    if len(row) != len(header):
        return [RowProblem(line, index, "", f"has {len(row)} cells; header has {len(header)}")]
    cells = dict(zip(header, row, strict=True))
    try:
        return AccountIn.model_validate(_payload(cells))
    except ValidationError as exc:
        return [RowProblem(line, index, ".".join(map(str, e["loc"])), e["msg"]) for e in exc.errors()]


def read_accounts_csv(body: bytes) -> ParsedAccounts:
    """Every valid row as an account and every invalid one with its file line and field; a file that is not
    an accounts CSV at all (encoding, header, size) raises InvalidInput."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise invalid_field("body", "CSV must be UTF-8") from None
    rows = _rows(text)
    header = _header(rows)
    data = [(line, r) for line, r in rows[1:] if any(cell.strip() for cell in r)]
    if not data:
        raise invalid_field("body", "no account rows after the header")
    if len(data) > MAX_ACCOUNTS:
        raise invalid_field("body", f"at most {MAX_ACCOUNTS} rows per request")
    accounts: list[AccountIn] = []
    rejected: list[RowProblem] = []
    for index, (line, row) in enumerate(data):
        outcome = _account(header, row, line, index)
        if isinstance(outcome, AccountIn):
            accounts.append(outcome)
        else:
            rejected.extend(outcome)
    return ParsedAccounts(accounts, rejected)


def parse_accounts_csv(body: bytes) -> list[AccountIn]:
    """The API's rule: any bad row rejects the file, each failing field named (`accounts.<row>.<field>`). Each
    account carries only the file's columns (upsert it with `merge_attributes=True`: a column sets one attribute)."""
    parsed = read_accounts_csv(body)
    if parsed.rejected:
        errors = [
            {
                "field": ".".join(["accounts", str(p.index), *([p.field] if p.field else [])]),
                "message": p.message,
            }
            for p in parsed.rejected
        ]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
        raise InvalidInput(detail, errors=errors[:200])
    return parsed.accounts
