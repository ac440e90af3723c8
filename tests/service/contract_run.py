"""A fixed discovery result, built from the pipeline's pure parts, stored through the run flow.

The HTTP contract test (`test_http_contract.py`) stores it and compares every answer with recorded ones. Nothing
here clusters or embeds: personas, their words and their map are fixed, while economics, ponds, matching and
storage run the real code, so the answers change only when the contract or the economics rules change.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from pipelines.contact_cost import Contact
from pipelines.describe import Job, PersonaDescription
from pipelines.economics import compute_economics
from pipelines.match import match_personas
from pipelines.phrases import RankedPhrase
from pipelines.pond import persona_pond, pond_map
from pipelines.results import CustomerAssignment, DiscoveryResult, PersonaResult
from pipelines.types import AccountInput, CostRates, DiscoveryConfig, TranscriptInput

RUN_ID = "c0ffee00c0ffee00c0ffee00c0ffee01"
FIXED_TIME = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
KEYS = ("P1", "P2", "P3")
# customers per persona, contacts per customer, channel, minutes per contact, revenue per customer
SHAPE = {
    "P1": (8, 2, "chat", 6.0, 90_000.0),
    "P2": (6, 4, "call", 22.0, 20_000.0),
    "P3": (5, 2, "email", None, 30_000.0),
}
WORDS = {
    "P1": ("reorder · invoice", ("reorder", "invoice", "same order"), "I want to reorder the same epoxy."),
    "P2": ("site delivery · refund", ("refund", "site", "delivery"), "The bond failed on site, refund it."),
    "P3": ("sds · cure time", ("sds", "cure time", "shelf life"), "Please send the SDS for the sealant."),
}


def _customers() -> dict[str, str]:
    """customer id -> persona key; the last customer of P2 has no account (unmatched)."""
    return {f"{key.lower()}-c{i:02d}": key for key in KEYS for i in range(SHAPE[key][0])}


def contract_transcripts() -> list[TranscriptInput]:
    rows = []
    for number, (customer, key) in enumerate(sorted(_customers().items())):
        _, contacts, channel, minutes, _ = SHAPE[key]
        for c in range(contacts):
            started = datetime(2026, 8 + (number + c) % 3, 1 + c, 10, tzinfo=UTC)
            text = f"{WORDS[key][2]} Contact {c}."
            seconds = None if minutes is None else minutes * 60 + number
            rows.append(
                TranscriptInput(
                    f"{100 * number + c}",
                    customer,
                    channel,
                    started,
                    seconds,
                    [{"speaker": "customer", "text": text}],
                )
            )
    return rows


def contract_accounts() -> list[AccountInput]:
    accounts = []
    for i, (customer, key) in enumerate(sorted(_customers().items())):
        if customer == "p2-c05":
            continue
        size = "1-49" if key == "P1" else ("50-249" if i % 2 else "250+")
        accounts.append(
            AccountInput(
                customer,
                SHAPE[key][4] + 1000 * i,
                f"Account {customer.upper()}",
                {"industry": "Repair" if key == "P1" else "Construction", "size": size},
            )
        )
    return accounts


def _description(key: str, transcripts: int) -> PersonaDescription:
    label, keywords, quote = WORDS[key]
    return PersonaDescription(
        key=key,
        label=label,
        keywords=keywords,
        quotes=(quote, f"{quote} Soon, please."),
        jobs=(
            Job(f"{keywords[0]} · {keywords[1]}", keywords[:2], round(0.6 * transcripts), 0.6),
            Job(keywords[2], keywords[2:], round(0.4 * transcripts), 0.4),
        ),
        motivations=(RankedPhrase("so that the line keeps running", 3, 0.8),),
        consequences=(RankedPhrase("refund", 2, 0.6), RankedPhrase("still waiting", 1, 0.5)),
        sentiment={"P1": 0.31, "P2": -0.27, "P3": 0.05}[key],
        transcripts=transcripts,
    )


def contract_result() -> DiscoveryResult:
    """The fixed result: three personas (A core-growth, C, B), one unmatched customer, one silent customer."""
    transcripts, accounts, customers = contract_transcripts(), contract_accounts(), _customers()
    rates = CostRates()
    economics = compute_economics(
        [Contact(t.customer_id, t.channel, t.duration_seconds) for t in transcripts],
        accounts,
        customers,
        rates,
    )
    centroids = np.eye(3, 8, dtype=np.float32)
    matched = match_personas([], centroids)
    assignments = {
        cid: CustomerAssignment(
            customer_id=cid,
            persona_index=KEYS.index(key),
            persona_key=key,
            confidence=0.5 + 0.05 * (i % 10),
            is_noise=i % 7 == 3,
            contacts=SHAPE[key][1],
            map_x=float(KEYS.index(key)) + 0.01 * i,
            map_y=0.5 - 0.02 * i,
        )
        for i, (cid, key) in enumerate(sorted(customers.items()))
    }
    personas = []
    for j, key in enumerate(KEYS):
        members = tuple(sorted(c for c, k in customers.items() if k == key))
        tids = tuple(t.external_id for t in transcripts if t.customer_id in members)
        personas.append(
            PersonaResult(
                index=j,
                key=key,
                centroid=centroids[j],
                customer_ids=members,
                transcript_ids=tids,
                description=_description(key, len(tids)),
                economics=next(p for p in economics.personas if p.key == key),
                pond=persona_pond(accounts, economics, key),
                match=matched.matches[j],
            )
        )
    notes = [*economics.notes, "1 customer said nothing in any transcript and so belongs to no persona."]
    return DiscoveryResult(
        config=DiscoveryConfig(seed=42),
        model_name="contract-model",
        personas=tuple(personas),
        assignments=assignments,
        chosen_k=3,
        criterion="silhouette (Euclidean, clustering space) of the refined labels; ties -> smaller k",
        criterion_scores={2: 0.41, 3: 0.57, 4: 0.38},
        quality=0.44,
        quality_metric="silhouette (cosine, customer embedding space)",
        reason=None,
        timings={"embedding": 1.5, "clustering": 2.25, "describing": 0.5, "pricing": 0.125, "total": 4.375},
        map_method="UMAP(cosine, n_neighbors=15, n_components=2, min_dist=0.1, random_state=42, n_epochs=200)",
        transcripts_used=len(transcripts),
        customers_without_text=("silent-c00",),
        economics=economics,
        pond=pond_map(accounts, economics),
        retired_ids=("p-retired0001",),
        transcript_vectors=None,
        clustering_method="UMAP -> HDBSCAN (3 dense groups) -> contact-neighbourhood refinement",
        notes=tuple(notes),
    )


STAGE_SECONDS = {"loading": 0.25, "embedding": 1.5, "clustering": 2.25, "describing": 0.5, "pricing": 0.125}
FINISHED = FIXED_TIME + timedelta(seconds=5)
