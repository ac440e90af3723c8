"""Renders demo data as the texts the API and CLI ingest: accounts CSV, transcripts JSONL, truth JSON."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any

from pipelines.synthetic.company import SyntheticCompany

ACCOUNT_ATTRIBUTES = ("industry", "size", "region", "employees")


def accounts_csv(accounts: Iterable[dict[str, Any]], include_currency: bool = True) -> str:
    """Accounts as CSV text for `PUT /v1/accounts` (every column past the known ones is an attribute)."""
    # include_currency=False gives the planted_dev layout, for readers that take currency as an attribute
    columns = [
        "customer_id",
        "name",
        "annual_revenue",
        *(["currency"] if include_currency else []),
        *ACCOUNT_ATTRIBUTES,
    ]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for account in accounts:
        row = {**account, **account.get("attributes", {})}
        writer.writerow([row.get(column, "") for column in columns])
    return out.getvalue()


def iter_jsonl_lines(transcripts: Iterable[dict[str, Any]]) -> Iterator[str]:
    """One JSON line (with newline) per transcript, for streaming large data to a file."""
    for transcript in transcripts:
        yield json.dumps(transcript, ensure_ascii=False) + "\n"


def transcripts_jsonl(transcripts: Iterable[dict[str, Any]]) -> str:
    """Transcripts as JSONL text, one TranscriptIn per line."""
    return "".join(iter_jsonl_lines(transcripts))


def truth_json(company: SyntheticCompany) -> str:
    """Planted truth in the `truth.json` shape that `shared/tools/eval_personas.py` reads."""
    grades = company.planted_grades
    return json.dumps(
        {
            "persona_of": company.truth,
            "grades": grades,
            "core_growth": sorted(p for p, g in grades.items() if g == "A"),
            "avoid": sorted(p for p, g in grades.items() if g == "C"),
        },
        indent=1,
    )
