"""A succeeded run stored without the ML pipeline (tests/service/builders.store_succeeded_run).

Security tests need endpoints that answer 200 (personas, customers, reports) and payloads whose text comes
from somewhere known; building the run by hand keeps them fast and independent of discovery.
"""

from __future__ import annotations

from collections.abc import Sequence

from service.db import Database
from service.personas.schemas import CustomerRow, Persona
from service.reports.schemas import ReportData
from tests.service.builders import store_succeeded_run

RUN_ID = "run0security00000000000000000001"
PERSONA_IDS = ("p-sec-growth", "p-sec-costly")


def persona_payload(
    persona_id: str,
    label: str,
    *,
    grade: str,
    quotes: Sequence[str],
    keywords: Sequence[str] = ("payout", "card"),
    pond_in: Sequence[tuple[str, str]] = (),
) -> Persona:
    payload = {
        "id": persona_id,
        "label": label,
        "label_is_human": False,
        "grade": grade,
        "core_growth": grade == "A",
        "core_growth_note": None,
        "customers": 2,
        "transcripts": 4,
        "share": 0.5,
        "revenue": {"total": 20000.0, "per_customer": 10000.0},
        "cost_to_serve": {"total": 200.0, "per_customer": 100.0, "per_contact": 50.0},
        "margin_per_customer": 9900.0,
        "contacts_per_customer": 2.0,
        "avg_handle_minutes": 6.0,
        "revenue_index": 1.2 if grade == "A" else 0.8,
        "cost_index": 0.8 if grade == "A" else 1.2,
        "sentiment": 0.1,
        "keywords": list(keywords),
        "quotes": list(quotes),
        "jobs": [{"label": label, "keywords": list(keywords), "transcripts": 4, "share": 1.0}],
        "motivations": [{"text": quotes[0] if quotes else "need it today", "count": 2}],
        "consequences": [{"text": "would cancel the account", "count": 1}],
        "pond": {
            "in": [{"attribute": a, "value": v, "lift": 1.5, "customers": 5} for a, v in pond_in],
            "out": [],
        },
    }
    return Persona.model_validate(payload)


def insert_run(
    database: Database,
    *,
    run_id: str = RUN_ID,
    quotes: Sequence[str] = ("I need the payout before Friday.",),
    customers: Sequence[tuple[str, str | None]] = (("cust-1", "Account one"), ("cust-2", "Account two")),
    pond_in: Sequence[tuple[str, str]] = (("segment", "smb"),),
    unmatched: Sequence[str] = (),
) -> str:
    """A succeeded run with two personas; customers alternate between them (the first is core growth)."""
    personas = [
        persona_payload(PERSONA_IDS[0], "Fast payout sellers", grade="A", quotes=quotes, pond_in=pond_in),
        persona_payload(PERSONA_IDS[1], "Chargeback chasers", grade="C", quotes=quotes),
    ]
    rows = [
        CustomerRow(
            customer_id=customer_id,
            persona_id=PERSONA_IDS[i % 2],
            name=name,
            confidence=0.9,
            grade="A" if i % 2 == 0 else "C",
            core_growth=i % 2 == 0,
            annual_revenue=10000.0,
            cost_to_serve=100.0,
            margin=9900.0,
            contacts=2,
        )
        for i, (customer_id, name) in enumerate(customers)
    ]
    data = ReportData.model_validate(
        {
            "pond": {
                "in": [{"attribute": a, "value": v, "lift": 1.5, "customers": 5} for a, v in pond_in],
                "out": [],
            },
            "map": {
                "method": "pca",
                "points": [
                    {"customer_id": cid, "persona_id": PERSONA_IDS[i % 2], "x": float(i), "y": 0.5}
                    for i, (cid, _) in enumerate(customers)
                ],
            },
            "unmatched_customer_ids": list(unmatched),
            "rules": ["Grade A if R >= 1 and C <= 1."],
        }
    )
    return store_succeeded_run(
        database,
        run_id=run_id,
        personas=personas,
        customers=rows,
        report_data=data,
    )
