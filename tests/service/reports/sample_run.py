"""A hand-built, realistic run of the adhesives supplier (the synthetic demo company) for report tests.

Shapes follow `GET /v1/personas`, `GET /v1/runs/{id}`, the stored `ReportData` and the customer rows.
Persona ponds follow `pipelines.pond.persona_pond` (in: lift >= 1.25, out: lift <= 0.8); the global pond
follows `pond_map` (in: among core-growth customers, out: among grade-C customers). Four personas with the
planted economics: repair shops A (core growth), distributors B, project
contractors C, plant maintenance B. Every call returns fresh objects, so tests may mutate them.
"""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime
from typing import Any

from service.personas.schemas import CustomerRow, PersonaList
from service.reports.render import render_report
from service.reports.schemas import ReportData
from service.runs.schemas import RunRead

RUN_ID = "3f9c2a71-5d4e-4b8a-9c1f-0a2b3c4d5e6f"
OVERALL_REVENUE_PER_CUSTOMER = 38_400.0
OVERALL_COST_PER_CUSTOMER = 182.0
CUSTOMERS, MATCHED = 600, 588

# id, label, human?, grade, core, customers, matched, R, C, contacts/customer, handle minutes, sentiment
SPECS: tuple[tuple[str, str, bool, str, bool, int, int, float, float, float, float | None, float], ...] = (
    (
        "p-7c1e0b2a",
        "Repair shops: fast, easy reorders",
        True,
        "A",
        True,
        210,
        207,
        1.25,
        0.30,
        2.1,
        4.6,
        0.31,
    ),
    ("p-1a9d44f0", "lead time · stock", False, "B", False, 150, 148, 1.60, 1.50, 6.4, 11.8, -0.02),
    ("p-5b02ce93", "escalation · site delivery", False, "C", False, 120, 116, 0.40, 2.20, 7.9, 18.4, -0.27),
    ("p-9e6f3d18", "sds · cure time", False, "B", False, 120, 117, 0.40, 0.35, 2.6, 5.2, 0.12),
)

DETAILS: dict[str, dict[str, Any]] = {
    "p-7c1e0b2a": {
        "keywords": ["reorder", "same order", "tracking", "epoxy cartridges", "invoice copy"],
        "quotes": [
            "Can you just repeat last month's order of the 2-part epoxy, same quantities?",
            "Where's my shipment? The tracking link hasn't moved since Tuesday.",
            "I need a copy of invoice 44817 for our books, that's all.",
        ],
        "jobs": [
            ("Reorder the usual", ["reorder", "same order", "repeat"], 0.46),
            ("Track a shipment", ["tracking", "shipment", "arrive"], 0.31),
            ("Invoices and statements", ["invoice copy", "statement"], 0.23),
        ],
        "motivations": [("we go through a case a week", 38), ("a car is waiting on the lift", 21)],
        "consequences": [("the bay sits idle and we lose the job", 9)],
        "pond_in": [("industry", "Automotive repair", 1.92, 88), ("employees", "1-49", 1.61, 171)],
        "pond_out": [("industry", "Commercial construction", 0.12, 3)],
    },
    "p-1a9d44f0": {
        "keywords": ["lead time", "stock", "edi", "pallet", "backorder"],
        "quotes": [
            "What's the lead time on 40 pallets of the PU sealant for the Midwest DC?",
            "Our EDI 856 came through without the lot numbers again.",
            "Is the backorder on SKU 2210 going to clear before quarter end?",
        ],
        "jobs": [
            ("Stock and lead times", ["lead time", "stock", "backorder"], 0.52),
            ("EDI and paperwork", ["edi", "asn", "lot numbers"], 0.29),
            ("Pricing and quotes", ["price break", "quote"], 0.19),
        ],
        "motivations": [("we promised our own customers a date", 44), ("quarter-end stock planning", 17)],
        "consequences": [("we lose the account to a competitor", 12), ("our shelves go empty", 8)],
        "pond_in": [("region", "Midwest", 1.41, 52)],
        "pond_out": [],
    },
    "p-5b02ce93": {
        "keywords": ["escalation", "site delivery", "failed bond", "spec sheet", "refund"],
        "quotes": [
            "The adhesive failed on the curtain wall and the GC is threatening to back-charge us.",
            "Nobody called me back yesterday & I'm on site at 6am <again>.",
            "I need someone technical on the phone, not a ticket number.",
        ],
        "jobs": [
            ("Failed bond on site", ["failed bond", "delamination", "site"], 0.41),
            ("Delivery to a job site", ["site delivery", "gate", "crane"], 0.34),
            ("Refunds and credits", ["refund", "credit"], 0.25),
        ],
        "motivations": [("the inspector comes Friday", 19), ("the project is behind schedule", 15)],
        "consequences": [("liquidated damages of $2,000 a day", 11), ("we redo the whole facade", 6)],
        "pond_in": [
            ("industry", "Commercial construction", 2.37, 61),
            ("annual_revenue", "Q1 (2,100-9,800)", 1.88, 54),
        ],
        "pond_out": [("industry", "Automotive repair", 0.21, 5), ("employees", "1-49", 0.44, 19)],
    },
    "p-9e6f3d18": {
        "keywords": ["sds", "cure time", "temperature", "shelf life", "certificate"],
        "quotes": [
            "Can you send the current SDS for the cyanoacrylate line?",
            "What's the full cure time at 10°C? Our plant isn't heated.",
            "Is a 14-month-old tube still OK to use?",
        ],
        "jobs": [
            ("Safety data sheets", ["sds", "certificate"], 0.48),
            ("Cure and temperature", ["cure time", "temperature"], 0.36),
            ("Shelf life", ["shelf life", "expiry"], 0.16),
        ],
        "motivations": [("our safety audit is next week", 22)],
        "consequences": [("the line stops for a re-glue", 5)],
        "pond_in": [("industry", "Food processing", 1.37, 24)],
        "pond_out": [],
    },
}


def _pond(entries: list[tuple[str, str, float, int]]) -> list[dict[str, Any]]:
    return [{"attribute": a, "value": v, "lift": lift, "customers": n} for a, v, lift, n in entries]


def _persona(spec: tuple[Any, ...]) -> dict[str, Any]:
    pid, label, human, grade, core, customers, matched, r, c, contacts, minutes, sentiment = spec
    d = DETAILS[pid]
    revenue_pc = round(r * OVERALL_REVENUE_PER_CUSTOMER, 2)
    cost_pc = round(c * OVERALL_COST_PER_CUSTOMER, 2)
    transcripts = round(customers * contacts)
    return {
        "id": pid,
        "label": label,
        "label_is_human": human,
        "grade": grade,
        "core_growth": core,
        "core_growth_note": (
            f"{pid} is grade A (R >= 1 and C <= 1), R/C = {r / c:.2f} (R = {r:.2f}, C = {c:.2f}): core-growth."
            if core
            else None
        ),
        "customers": customers,
        "transcripts": transcripts,
        "share": round(customers / CUSTOMERS, 4),
        "revenue": {"total": round(revenue_pc * matched, 2), "per_customer": revenue_pc},
        "cost_to_serve": {
            "total": round(cost_pc * customers, 2),
            "per_customer": cost_pc,
            "per_contact": round(cost_pc / contacts, 2),
        },
        "margin_per_customer": round(revenue_pc - cost_pc, 2),
        "contacts_per_customer": contacts,
        "avg_handle_minutes": minutes,
        "revenue_index": r,
        "cost_index": c,
        "sentiment": sentiment,
        "keywords": list(d["keywords"]),
        "quotes": list(d["quotes"]),
        "jobs": [
            {"label": jl, "keywords": list(kw), "transcripts": round(transcripts * share), "share": share}
            for jl, kw, share in d["jobs"]
        ],
        "motivations": [{"text": t, "count": n} for t, n in d["motivations"]],
        "consequences": [{"text": t, "count": n} for t, n in d["consequences"]],
        "pond": {"in": _pond(d["pond_in"]), "out": _pond(d["pond_out"])},
    }


def sample_personas() -> dict[str, Any]:
    personas = [_persona(s) for s in SPECS]
    return {
        "run_id": RUN_ID,
        "generated_at": datetime(2026, 11, 22, 19, 20, 5, tzinfo=UTC),
        "totals": {
            "customers": CUSTOMERS,
            "matched_customers": MATCHED,
            "transcripts": sum(p["transcripts"] for p in personas),
            "revenue": round(sum(p["revenue"]["total"] for p in personas), 2),
            "cost_to_serve": round(sum(p["cost_to_serve"]["total"] for p in personas), 2),
        },
        "personas": personas,
    }


def sample_run() -> dict[str, Any]:
    return {
        "id": RUN_ID,
        "status": "succeeded",
        "stage": "done",
        "progress": 1.0,
        "error": None,
        "created_at": "2026-11-22T19:14:02+00:00",
        "started_at": "2026-11-22T19:14:03+00:00",
        "finished_at": "2026-11-22T19:20:05+00:00",
        "model_name": "sentence-transformers/all-MiniLM-L6-v2",
        "params": {"min_personas": 2, "max_personas": 4},
        "summary": {
            "customers": CUSTOMERS,
            "transcripts": sum(round(s[5] * s[9]) for s in SPECS),
            "personas": len(SPECS),
            "unmatched_customers": CUSTOMERS - MATCHED,
            "quality": 0.412,
            "quality_metric": "silhouette (cosine, customer embedding space)",
        },
    }


def _map_points() -> list[dict[str, Any]]:
    rng = random.Random(7)
    centres = [(2.0, 6.5), (7.5, 7.0), (8.0, 1.5), (1.5, 1.0)]
    points = []
    n = 0
    for spec, (cx, cy) in zip(SPECS, centres, strict=True):
        pid, customers = spec[0], spec[5]
        for _ in range(customers):
            angle, radius = rng.uniform(0, 2 * math.pi), abs(rng.gauss(0, 1.1))
            points.append(
                {
                    "customer_id": f"C{n:05d}",
                    "persona_id": pid,
                    "x": round(cx + radius * math.cos(angle), 4),
                    "y": round(cy + radius * math.sin(angle), 4),
                }
            )
            n += 1
    return points


def sample_report_data() -> dict[str, Any]:
    months = [f"2025-{m:02d}" for m in range(1, 13)]
    base = {"p-7c1e0b2a": 0.22, "p-1a9d44f0": 0.31, "p-5b02ce93": 0.33, "p-9e6f3d18": 0.14}
    drift = {"p-7c1e0b2a": 0.006, "p-1a9d44f0": 0.0, "p-5b02ce93": -0.008, "p-9e6f3d18": 0.002}
    shares = {pid: [round(b + drift[pid] * i, 4) for i in range(12)] for pid, b in base.items()}
    return {
        "map": {"method": "UMAP (cosine, 2-D) of customer embeddings", "points": _map_points()},
        "share_over_time": {"months": months, "shares": shares},
        "pond": {
            "in": _pond([("industry", "Automotive repair", 1.92, 88), ("employees", "1-49", 1.61, 171)]),
            "out": _pond([("industry", "Commercial construction", 2.37, 61), ("region", "South", 1.31, 40)]),
        },
        "rules": [
            "Contact cost = handled minutes x the channel rate (call 1.10/min, chat 0.50/min, other 0.80/min); "
            "an email costs a flat 4.00.",
            "Cost to serve of a customer = the sum over its contacts; revenue = its account's annual revenue.",
            "Grade A (core-growth) if R >= 1 and C <= 1; grade C (avoid or fix) if R < 1 and C > 1; otherwise B.",
            "Pond map: lift = share of an account attribute value among core-growth customers / its share "
            "among all matched customers; in the pond: lift >= 1.25 and >= 5 core-growth customers.",
        ],
        "notes": [
            "HDBSCAN found 4 groups; no merge needed.",
            "12 customers have no account: counted in size and cost, left out of revenue.",
        ],
        "quality": 0.412,
        "quality_metric": "silhouette (cosine, customer embedding space)",
        "criterion": "silhouette (Euclidean, clustering space) of the refined labels; ties -> smaller k",
        "chosen_k": 4,
        "data_window": ["2025-01-03T08:12:00+00:00", "2025-12-30T17:45:00+00:00"],
        "unmatched_customer_ids": [f"C{n:05d}" for n in range(588, 600)],
        "timings": {"embed": 41.2, "reduce": 6.8, "cluster": 1.9, "describe": 3.4, "economics": 0.3},
    }


def sample_top_accounts() -> list[dict[str, Any]]:
    names = [
        "Kowalski Auto Body",
        "Bayview Marine Repair",
        "Hughes & Sons Repair",
        "Elm Creek Collision Center",
    ]
    rows = []
    for i in range(25):
        revenue = round(142_000 * 0.93**i, 2)
        cost = round(38 + 7 * (i % 5), 2)
        rows.append(
            {
                "customer_id": f"C{i * 7:05d}",
                "name": f"{names[i % len(names)]} #{i + 1}" if i % 6 else None,
                "persona_id": "p-7c1e0b2a",
                "annual_revenue": revenue,
                "cost_to_serve": cost,
                "margin": round(revenue - cost, 2),
                "contacts": 1 + i % 4,
                "confidence": round(0.97 - 0.01 * i, 4),
            }
        )
    return rows


def sample_inputs() -> dict[str, Any]:
    """The report's inputs as the API serves them (JSON shapes, so tests can change any field)."""
    return {
        "personas": sample_personas(),
        "run": sample_run(),
        "report_data": sample_report_data(),
        "top_accounts": sample_top_accounts(),
    }


def render(inputs: dict[str, Any]) -> str:
    """`render_report` on inputs given as JSON shapes, each validated by the model the service uses."""
    return render_report(
        personas=PersonaList.model_validate(inputs["personas"]),
        run=RunRead.model_validate(inputs["run"]),
        report_data=ReportData.model_validate(inputs["report_data"]),
        top_accounts=[
            CustomerRow.model_validate({"grade": "A", "core_growth": True, **row})
            for row in inputs["top_accounts"]
        ],
        currencies=inputs.get("currencies"),
    )
