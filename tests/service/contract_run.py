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
from pipelines.quotes import Example
from pipelines.results import CustomerAssignment, DiscoveryResult, PersonaResult
from pipelines.stability import CRITERION, verdict
from pipelines.types import AccountInput, CostRates, DiscoveryConfig, KScore, TranscriptInput

RUN_ID = "c0ffee00c0ffee00c0ffee00c0ffee01"
K_SCORES = (
    KScore(2, 0.9, (0.83, 0.81)),
    KScore(3, 0.87, (0.96, 0.88, 0.79)),
    KScore(4, 0.61, (0.9, 0.7, 0.6, 0.52)),
)
FIXED_TIME = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
KEYS = ("P1", "P2", "P3")
# customers per persona, contacts per customer, channel, minutes per contact, revenue per customer
SHAPE = {
    "P1": (8, 2, "chat", 6.0, 90_000.0),
    "P2": (6, 4, "call", 22.0, 20_000.0),
    "P3": (5, 2, "email", None, 30_000.0),
}
WORDS = {
    "P1": (
        "Customers reordering the same epoxy",
        ("reorder", "invoice", "same order"),
        "I want to reorder the same epoxy.",
    ),
    "P2": (
        "Customers reporting failed bonds on site",
        ("refund", "site", "delivery"),
        "The bond failed on site, refund it.",
    ),
    "P3": (
        "Customers asking for safety data sheets",
        ("sds", "cure time", "shelf life"),
        "Please send the SDS for the sealant.",
    ),
}
# Per persona: its two jobs' labels, why they ask, and what a gap costs them.
CARDS = {
    "P1": (
        ("Reorder the same epoxy", "Get a copy of an invoice"),
        "so that the shop keeps running",
        "otherwise I lose the job",
    ),
    "P2": (
        ("Get a refund for a failed bond", "Find out when the delivery reaches the site"),
        "because the inspector is coming",
        "the crew is still waiting",
    ),
    "P3": (
        ("Get the SDS for a sealant", "Find out the cure time"),
        "because the auditor asks for it",
        "the line stays down",
    ),
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


def _description(key: str, tids: tuple[str, ...], owner: dict[str, str]) -> PersonaDescription:
    """A card as describe writes one: name, summary, two jobs with examples that open their transcripts."""
    label, keywords, quote = WORDS[key]
    (first, second), why, cost = CARDS[key]
    split = round(0.6 * len(tids))
    members = (tids[:split], tids[split:])
    text = f"{quote} Contact 0."

    def job(name: str, words: tuple[str, ...], ids: tuple[str, ...]) -> Job:
        examples = tuple(Example(t, text) for t in ids[:2])
        customers = len({owner[t] for t in ids})
        return Job(name, words, len(ids), round(len(ids) / len(tids), 4), examples, customers)

    return PersonaDescription(
        key=key,
        label=label,
        keywords=keywords,
        quotes=(quote, f"{quote} Soon, please."),
        jobs=(job(first, keywords[:2], members[0]), job(second, keywords[2:], members[1])),
        motivations=(RankedPhrase(why, 3, 0.8, (Example(tids[0], text),)),),
        consequences=(
            RankedPhrase(cost, 2, 0.6, (Example(tids[1], text),)),
            RankedPhrase("asked for a refund", 1, 0.5, (Example(tids[2], text),)),
        ),
        sentiment={"P1": 0.31, "P2": -0.27, "P3": 0.05}[key],
        transcripts=len(tids),
        summary=f"They get in touch to {first[0].lower() + first[1:]} or {second[0].lower() + second[1:]}, {why}; {cost}.",
        job_members=members,
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
        owner = {t.external_id: t.customer_id for t in transcripts}
        personas.append(
            PersonaResult(
                index=j,
                key=key,
                centroid=centroids[j],
                customer_ids=members,
                transcript_ids=tids,
                description=_description(key, tids, owner),
                economics=next(p for p in economics.personas if p.key == key),
                pond=persona_pond(accounts, economics, key),
                match=matched.matches[j],
                stability=(1.0, 0.9, 0.7)[j],
                stability_jaccard=(0.96, 0.88, 0.79)[j],
            )
        )
    notes = [*economics.notes, "1 customer said nothing in any transcript and so belongs to no persona."]
    return DiscoveryResult(
        config=DiscoveryConfig(seed=42),
        model_name="contract-model",
        personas=tuple(personas),
        assignments=assignments,
        chosen_k=3,
        criterion=CRITERION,
        criterion_scores={2: 0.81, 3: 0.79, 4: 0.52},
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
        stability=0.87,
        k_scores=K_SCORES,
        unstable=False,
        stability_verdict=verdict(dict((s.k, s) for s in K_SCORES), 3)[1],
    )


STAGE_SECONDS = {"loading": 0.25, "embedding": 1.5, "clustering": 2.25, "describing": 0.5, "pricing": 0.125}
FINISHED = FIXED_TIME + timedelta(seconds=5)
