"""Two stored runs with a planted shift (tests/service/builders.store_succeeded_run, no pipeline).

Before (100 customers): growth (A, core growth) c000-c049, steady (B) c050-c079, avoid (C) c080-c089,
old (B) c090-c099. After (110 customers): growth keeps c000-c039; ten of its customers (c040-c049) move to
avoid, which also takes old's ten (old is gone); steady keeps its 30 but costs 25% more per customer; a new
persona, fresh (B), has ten new customers c100-c109.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from service.db import Database
from service.personas.schemas import CostToServe, CustomerRow, Money, Persona
from tests.service.builders import store_succeeded_run
from tests.service.security.handbuilt import persona_payload

BEFORE, AFTER = "run0shift0before000000000000001", "run0shift0after0000000000000002"
GROWTH, STEADY, AVOID, OLD, FRESH = "p-growth", "p-steady", "p-avoid", "p-old", "p-fresh"
LABELS = {
    GROWTH: "Repair shops reordering the usual",
    STEADY: "Distributors checking stock",
    AVOID: "Contractors chasing failed bonds",
    OLD: "Plants asking for safety sheets",
    FRESH: "New online buyers",
}
GRADES = {GROWTH: "A", STEADY: "B", AVOID: "C", OLD: "B", FRESH: "B"}
# (persona, first customer, last customer + 1) per run, and cost to serve per customer
BEFORE_SPANS = ((GROWTH, 0, 50), (STEADY, 50, 80), (AVOID, 80, 90), (OLD, 90, 100))
AFTER_SPANS = ((GROWTH, 0, 40), (AVOID, 40, 50), (STEADY, 50, 80), (AVOID, 80, 100), (FRESH, 100, 110))
BEFORE_COST = {GROWTH: 100.0, STEADY: 200.0, AVOID: 300.0, OLD: 150.0}
AFTER_COST = {GROWTH: 100.0, STEADY: 250.0, AVOID: 310.0, FRESH: 120.0}
REVENUE = {GROWTH: 20_000.0, STEADY: 15_000.0, AVOID: 5_000.0, OLD: 8_000.0, FRESH: 9_000.0}


def customer_id(number: int) -> str:
    return f"c{number:03d}"


def _assignments(spans: tuple[tuple[str, int, int], ...]) -> dict[str, str]:
    return {customer_id(n): pid for pid, start, stop in spans for n in range(start, stop)}


def _persona(pid: str, customers: int, total: int, cost: float) -> Persona:
    base = persona_payload(pid, LABELS[pid], grade=GRADES[pid], quotes=["We need it by Friday."])
    return base.model_copy(
        update={
            "customers": customers,
            "share": round(customers / total, 4),
            "revenue": Money(total=REVENUE[pid] * customers, per_customer=REVENUE[pid]),
            "cost_to_serve": CostToServe(total=cost * customers, per_customer=cost, per_contact=cost / 2),
        }
    )


def _store(
    database: Database,
    run_id: str,
    spans: tuple[tuple[str, int, int], ...],
    cost: dict[str, float],
    finished_at: datetime,
    existing: bool = False,
) -> str:
    assigned = _assignments(spans)
    counts = {pid: sum(1 for p in assigned.values() if p == pid) for pid in cost}
    personas = sorted(
        (_persona(pid, n, len(assigned), cost[pid]) for pid, n in counts.items()), key=lambda p: -p.customers
    )
    rows = [
        CustomerRow(
            customer_id=cid,
            name=f"Account {cid}",
            persona_id=pid,
            confidence=0.9,
            grade=GRADES[pid],
            core_growth=pid == GROWTH,
            annual_revenue=REVENUE[pid],
            cost_to_serve=cost[pid],
            margin=REVENUE[pid] - cost[pid],
            contacts=2,
        )
        for cid, pid in assigned.items()
    ]
    return store_succeeded_run(
        database, run_id=run_id, personas=personas, customers=rows, finished_at=finished_at, existing=existing
    )


def store_before(database: Database) -> str:
    return _store(database, BEFORE, BEFORE_SPANS, BEFORE_COST, datetime.now(UTC) - timedelta(minutes=10))


def store_after(database: Database, run_id: str = AFTER, *, existing: bool = False) -> str:
    """The later run; `existing`: store the results of a run row that is already there (being executed)."""
    finished = datetime.now(UTC) - timedelta(minutes=5)
    return _store(database, run_id, AFTER_SPANS, AFTER_COST, finished, existing=existing)


def store_shift(database: Database) -> tuple[str, str]:
    return store_before(database), store_after(database)


def store_unchanged(database: Database, run_id: str) -> str:
    """A later run in which nothing changed: the earlier run's personas and customers again."""
    finished = datetime.now(UTC) - timedelta(minutes=5)
    return _store(database, run_id, BEFORE_SPANS, BEFORE_COST, finished)
