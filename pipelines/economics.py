"""Cost to serve, revenue join and A/B/C grades per persona, exactly as DESIGN.md's Economics rules state."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from pipelines.contact_cost import Contact, channel_of, contact_cost, known_duration, median_durations
from pipelines.grades import GradeNote, Indices, grade, pick_core_growth
from pipelines.types import AccountInput, CostRates


@dataclass(frozen=True)
class CustomerEconomics:
    """One customer's numbers and the grade of its persona."""

    customer_id: str
    persona_key: str
    contacts: int
    cost_to_serve: float
    revenue: float | None  # None: no account (unmatched)
    margin: float | None
    grade: str
    core_growth: bool


@dataclass(frozen=True)
class PersonaEconomics:
    """One persona's size, revenue, cost to serve, indices and grade."""

    key: str
    customers: int
    matched_customers: int
    share: float
    contacts: int
    revenue_total: float
    revenue_per_customer: float | None  # over matched customers; None when none is matched
    cost_to_serve_total: float
    cost_per_customer: float
    cost_per_contact: float | None
    margin_per_customer: float | None  # mean of (revenue - cost) over matched customers
    contacts_per_customer: float
    avg_handle_minutes: float | None
    revenue_index: float | None  # R
    cost_index: float  # C
    grade: str
    core_growth: bool
    note: GradeNote | None  # why it is (or, grade A, is not) the core-growth persona


@dataclass(frozen=True)
class EconomicsTotals:
    """The whole run: customers, revenue, cost to serve and the per-customer baselines of R and C."""

    customers: int
    matched_customers: int
    contacts: int
    revenue: float
    cost_to_serve: float
    revenue_per_customer: float | None
    cost_per_customer: float


@dataclass(frozen=True)
class EconomicsResult:
    """Everything economics produces for one run."""

    personas: tuple[PersonaEconomics, ...]
    customers: tuple[CustomerEconomics, ...]
    totals: EconomicsTotals
    unmatched_customer_ids: tuple[str, ...]
    median_duration_seconds: Mapping[str, float | None]
    notes: tuple[
        str, ...
    ]  # about the run's data (missing durations, unmatched customers); grades are per persona

    @property
    def core_growth_keys(self) -> tuple[str, ...]:
        """Keys of the core-growth persona(s)."""
        return tuple(p.key for p in self.personas if p.core_growth)


def _ratio(value: float | None, baseline: float | None) -> float | None:
    """value / baseline; a zero baseline means nobody differs from it, so the index is 1."""
    if value is None or baseline is None:
        return None
    return value / baseline if baseline > 0 else 1.0


@dataclass(frozen=True)
class _CustomerCosts:
    """Per customer: cost to serve and contacts; per persona: handled minutes of its contacts."""

    cost: dict[str, float]
    contacts: dict[str, int]
    handle_minutes: dict[str, list[float]]


def _customer_costs(
    contacts: Sequence[Contact],
    assignments: Mapping[str, str],
    medians: Mapping[str, float | None],
    rates: CostRates,
) -> _CustomerCosts:
    costs = _CustomerCosts(defaultdict(float), defaultdict(int), defaultdict(list))
    for contact in contacts:
        channel = channel_of(contact.channel)
        seconds = contact.duration_seconds if known_duration(contact.duration_seconds) else medians[channel]
        minutes = (seconds or 0.0) / 60.0
        costs.cost[contact.customer_id] += contact_cost(channel, minutes, rates)
        costs.contacts[contact.customer_id] += 1
        if seconds is not None:  # an email with no duration anywhere has no handle time to average
            costs.handle_minutes[assignments[contact.customer_id]].append(minutes)
    return costs


def _persona_draft(
    key: str, ids: list[str], revenue: Mapping[str, float], costs: _CustomerCosts, totals: EconomicsTotals
) -> PersonaEconomics:
    """One persona's figures and grade, before the core-growth persona is chosen."""
    matched = [c for c in ids if c in revenue]
    p_revenue = sum(revenue[c] for c in matched)
    p_cost = sum(costs.cost[c] for c in ids)
    p_contacts = sum(costs.contacts[c] for c in ids)
    revenue_pc = p_revenue / len(matched) if matched else None
    handled = costs.handle_minutes[key]
    cost_index = _ratio(p_cost / len(ids), totals.cost_per_customer)
    indices = Indices(
        _ratio(revenue_pc, totals.revenue_per_customer), cost_index if cost_index is not None else 1.0
    )
    return PersonaEconomics(
        key=key,
        customers=len(ids),
        matched_customers=len(matched),
        share=len(ids) / totals.customers,
        contacts=p_contacts,
        revenue_total=p_revenue,
        revenue_per_customer=revenue_pc,
        cost_to_serve_total=p_cost,
        cost_per_customer=p_cost / len(ids),
        cost_per_contact=p_cost / p_contacts if p_contacts else None,
        margin_per_customer=sum(revenue[c] - costs.cost[c] for c in matched) / len(matched)
        if matched
        else None,
        contacts_per_customer=p_contacts / len(ids),
        avg_handle_minutes=sum(handled) / len(handled) if handled else None,
        revenue_index=indices.revenue_index,
        cost_index=indices.cost_index,
        grade=grade(indices),
        core_growth=False,
        note=None,
    )


def _with_core_growth(drafts: Sequence[PersonaEconomics]) -> tuple[PersonaEconomics, ...]:
    """The drafts with the one core-growth persona flagged and each needed grade note attached."""
    core, notes = pick_core_growth({p.key: Indices(p.revenue_index, p.cost_index) for p in drafts})
    return tuple(replace(p, core_growth=p.key == core, note=notes.get(p.key)) for p in drafts)


def _customer_rows(
    customer_ids: Sequence[str],
    assignments: Mapping[str, str],
    revenue: Mapping[str, float],
    costs: _CustomerCosts,
    personas: Sequence[PersonaEconomics],
) -> tuple[CustomerEconomics, ...]:
    by_key = {p.key: p for p in personas}
    return tuple(
        CustomerEconomics(
            customer_id=c,
            persona_key=assignments[c],
            contacts=costs.contacts[c],
            cost_to_serve=costs.cost[c],
            revenue=revenue.get(c),
            margin=revenue[c] - costs.cost[c] if c in revenue else None,
            grade=by_key[assignments[c]].grade,
            core_growth=by_key[assignments[c]].core_growth,
        )
        for c in customer_ids
    )


def _customers_have(n: int) -> str:
    """ "1 customer has" / "3 customers have", for notes."""
    return f"{n} customer has" if n == 1 else f"{n} customers have"


def compute_economics(
    contacts: Iterable[Contact],
    accounts: Iterable[AccountInput],
    assignments: Mapping[str, str],
    rates: CostRates = CostRates(),
) -> EconomicsResult:
    """Cost to serve, revenue, R/C indices, grades and core-growth flags for every persona and customer."""
    accounts_by_id = {a.customer_id: a for a in accounts}
    all_contacts = list(contacts)
    run_contacts = [c for c in all_contacts if c.customer_id in assignments]
    notes: list[str] = []
    if len(run_contacts) < len(all_contacts):
        notes.append(
            f"{len(all_contacts) - len(run_contacts)} contact(s) of customers outside the run were ignored."
        )
    medians, median_notes = median_durations(run_contacts)
    notes.extend(median_notes)
    costs = _customer_costs(run_contacts, assignments, medians, rates)

    customer_ids = sorted(assignments)
    unmatched = tuple(c for c in customer_ids if c not in accounts_by_id)
    revenue = {c: float(accounts_by_id[c].annual_revenue) for c in customer_ids if c in accounts_by_id}
    total_revenue, total_cost = sum(revenue.values()), sum(costs.cost[c] for c in customer_ids)
    totals = EconomicsTotals(
        customers=len(customer_ids),
        matched_customers=len(revenue),
        contacts=len(run_contacts),
        revenue=total_revenue,
        cost_to_serve=total_cost,
        revenue_per_customer=total_revenue / len(revenue) if revenue else None,
        cost_per_customer=total_cost / len(customer_ids) if customer_ids else 0.0,
    )
    if unmatched:
        notes.append(
            f"{_customers_have(len(unmatched))} no account: counted in size and cost, not in revenue."
        )
    members: dict[str, list[str]] = defaultdict(list)
    for customer_id in customer_ids:
        members[assignments[customer_id]].append(customer_id)
    personas = _with_core_growth(
        [_persona_draft(k, members[k], revenue, costs, totals) for k in sorted(members)]
    )
    customers = _customer_rows(customer_ids, assignments, revenue, costs, personas)
    return EconomicsResult(personas, customers, totals, unmatched, medians, tuple(notes))
