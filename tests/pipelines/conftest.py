"""Shared fixtures of the pipelines tests: the real embedder, hand-made customer groups and planted_dev."""

from __future__ import annotations

import csv
import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from pipelines.embed import SentenceTransformerEmbedder
from pipelines.types import AccountInput, TranscriptInput
from tests.prerequisites import REQUIRE_DATA, missing

SHARED_DATA = Path(__file__).parents[2].parent / "shared" / "data"
PLANTED_DEV = SHARED_DATA / "planted_dev"

# Three jobs no reader would confuse; each customer says two things from one of them.
THEMES: dict[str, list[str]] = {
    "travel": [
        "I am abroad in Spain and my card was declined at a shop",
        "What exchange rate do you use when I pay in euros?",
        "Can I withdraw cash from an ATM while travelling in Japan?",
        "Is there a fee for paying in a foreign currency on holiday?",
        "My card does not work in the United States, I am on a trip",
        "How do I tell you I am travelling overseas next week?",
        "I was charged a foreign transaction fee in Mexico",
        "Which currencies can I hold for my holiday in Thailand?",
    ],
    "security": [
        "Someone stole my wallet, please freeze my card now",
        "There is a payment on my statement I never made, I think I was hacked",
        "I got a suspicious text asking for my password, is it a scam?",
        "My card was lost yesterday, block it immediately",
        "A stranger used my card online without permission",
        "How do I reset my PIN after a fraud attempt?",
        "I think my account has been compromised by a phishing email",
        "Please cancel my card, I see transactions I do not recognise",
    ],
    "mortgage": [
        "What is the interest rate on a 25 year fixed mortgage?",
        "Can I overpay my home loan without a penalty?",
        "How much deposit do I need to buy my first house?",
        "I want to remortgage my flat to a better rate",
        "When is my next mortgage repayment due?",
        "Can I take a payment holiday on my home loan?",
        "How do I add my partner to the mortgage on our house?",
        "What documents do you need for a mortgage application?",
    ],
}


def theme_transcripts(per_theme: int = 8, contacts: int = 1) -> tuple[list[TranscriptInput], dict[str, str]]:
    """Customers of three themes (customer id -> theme), each with `contacts` transcripts of its theme."""
    transcripts, truth = [], {}
    for name, lines in THEMES.items():
        for i in range(per_theme):
            cid = f"{name}-{i:02d}"
            truth[cid] = name
            for c in range(contacts):
                text = lines[(i + 3 * c) % len(lines)]
                transcripts.append(
                    TranscriptInput(
                        external_id=f"{cid}-t{c}",
                        customer_id=cid,
                        channel="chat" if i % 2 else "call",
                        started_at=None,
                        duration_seconds=120.0 + 30 * i,
                        turns=[
                            {"speaker": "agent", "text": "Hello, how can I help you today?"},
                            {"speaker": "customer", "text": text},
                            {"speaker": "bot", "text": "Your call may be recorded."},
                        ],
                    )
                )
    return transcripts, truth


def theme_accounts(truth: dict[str, str]) -> list[AccountInput]:
    """Accounts for the theme customers: mortgage customers earn most, travel ones least."""
    revenue = {"travel": 500.0, "security": 1500.0, "mortgage": 9000.0}
    return [
        AccountInput(cid, revenue[theme] + i, f"Account {cid}", {"segment": theme, "seats": i})
        for i, (cid, theme) in enumerate(sorted(truth.items()))
    ]


@pytest.fixture(scope="session")
def embedder() -> SentenceTransformerEmbedder:
    """The real packaged all-MiniLM-L6-v2, loaded once per test session (offline)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    model = SentenceTransformerEmbedder()
    model.embed(["load"])
    return model


@dataclass(frozen=True)
class PlantedData:
    """planted_dev as pipeline inputs plus its truth.json."""

    transcripts: list[TranscriptInput]
    accounts: list[AccountInput]
    truth: dict[str, Any]


def _cell(value: str) -> str | float:
    """A CSV cell as a float when it is one, else as text."""
    try:
        return float(value)
    except ValueError:
        return value


@pytest.fixture(scope="session")
def planted_dev() -> PlantedData:
    """../shared/data/planted_dev loaded; the test is skipped (with the path) when the folder is absent, or
    fails there under PERSONAS_REQUIRE_DATA=1 (.ci/run)."""
    if not (PLANTED_DEV / "transcripts.jsonl").is_file():
        missing(
            f"planted_dev data not found at {PLANTED_DEV} (it lives outside the repo; CI has it)",
            REQUIRE_DATA,
        )
    transcripts = []
    for line in (PLANTED_DEV / "transcripts.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            raw = json.loads(line)
            transcripts.append(
                TranscriptInput(
                    external_id=raw["external_id"],
                    customer_id=raw["customer_id"],
                    channel=raw.get("channel", "other"),
                    started_at=datetime.fromisoformat(raw["started_at"]) if raw.get("started_at") else None,
                    duration_seconds=raw.get("duration_seconds"),
                    turns=raw["turns"],
                )
            )
    with (PLANTED_DEV / "accounts.csv").open(encoding="utf-8", newline="") as handle:
        accounts = [
            AccountInput(
                customer_id=row["customer_id"],
                annual_revenue=float(row["annual_revenue"]),
                name=row.get("name") or None,
                attributes={
                    k: _cell(v) for k, v in row.items() if k not in ("customer_id", "annual_revenue", "name")
                },
            )
            for row in csv.DictReader(handle)
        ]
    truth = json.loads((PLANTED_DEV / "truth.json").read_text(encoding="utf-8"))
    return PlantedData(transcripts, accounts, truth)
