"""Cost to serve, revenue join and A/B/C grades per persona, exactly as DESIGN.md's Economics rules state."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from pipelines.grades import Indices, grade, pick_core_growth
from pipelines.types import AccountInput

CHANNELS = ("chat", "call", "email", "other")
AttributeValue = str | int | float | bool | None


@dataclass(frozen=True)
class Contact:
    """One support contact (a transcript) of a customer."""

    customer_id: str
    channel: str  # "chat" | "call" | "email" | "other"; anything else is costed as "other"
    duration_seconds: float | None = None


# One account type for the whole pipeline: economics reads the same records discover() is given.
Account = AccountInput


@dataclass(frozen=True)
class CostRates:
    """Cost-to-serve rates: per handled minute by channel, flat per email."""

    per_minute_call: float = 1.10
    per_minute_chat: float = 0.50
    per_minute_other: float = 0.80
    per_email: float = 4.00


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
    note: str


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
    notes: tuple[str, ...]

    @property
    def core_growth_keys(self) -> tuple[str, ...]:
        """Keys of the core-growth persona(s)."""
        return tuple(p.key for p in self.personas if p.core_growth)


def economics_rules(rates: CostRates = CostRates()) -> tuple[str, ...]:
    """The rules in plain English, for the report."""
    return (
        f"Contact cost = handled minutes x the channel rate (call {rates.per_minute_call:.2f}/min, "
        f"chat {rates.per_minute_chat:.2f}/min, other {rates.per_minute_other:.2f}/min); "
        f"an email costs a flat {rates.per_email:.2f}.",
        "A contact without a duration is costed at its channel's median duration; a channel with no "
        "durations at all uses the median over all channels, and 0 if no contact has a duration.",
        "Cost to serve of a customer = the sum over its contacts; revenue = its account's annual revenue.",
        "Customers without an account count in persona size and cost, are left out of revenue and "
        "margin means, and are reported as unmatched.",
        "R = persona revenue per matched customer / overall revenue per matched customer; "
        "C = persona cost to serve per customer / overall cost to serve per customer.",
        "Grade A (core-growth) if R >= 1 and C <= 1; grade C (avoid or fix) if R < 1 and C > 1; "
        "otherwise B. A persona with no matched customer has no R and is graded B.",
        "Exactly one persona is core-growth: the grade-A persona with the highest R/C (when several are "
        "A, the others stay A without the flag); if no persona is A, the persona with the highest R/C "
        "(ties: higher R, then key) is flagged core-growth with a note saying why.",
        "Pond map: lift = share of an account attribute value among core-growth customers / its share "
        "among all matched customers (numeric attributes in quartiles); in the pond: lift >= 1.25 and "
        ">= 5 core-growth customers; out of the pond: the same test among grade-C customers.",
    )


def _channel(value: str) -> str:
    """Normalise a channel name; unknown channels are costed as "other"."""
    value = (value or "").strip().lower()
    return value if value in CHANNELS else "other"


def _known(seconds: float | None) -> bool:
    """A usable duration: present, finite and not negative."""
    return seconds is not None and math.isfinite(seconds) and seconds >= 0


def _median_durations(contacts: Sequence[Contact]) -> tuple[dict[str, float | None], list[str]]:
    """Median known duration per channel, with the fallback for channels that have none."""
    known: dict[str, list[float]] = defaultdict(list)
    for contact in contacts:
        if contact.duration_seconds is not None and _known(contact.duration_seconds):
            known[_channel(contact.channel)].append(float(contact.duration_seconds))
    overall = [d for values in known.values() for d in values]
    overall_median = float(np.median(overall)) if overall else None
    medians: dict[str, float | None] = {}
    notes: list[str] = []
    used = {_channel(c.channel) for c in contacts if not _known(c.duration_seconds)}
    for channel in CHANNELS:
        if known[channel]:
            medians[channel] = float(np.median(known[channel]))
        elif channel == "email":
            medians[channel] = None  # emails are flat-rate: a missing duration changes no cost
        else:
            medians[channel] = overall_median if overall_median is not None else 0.0
            if channel in used:
                fallback = (
                    "the median over all channels" if overall_median is not None else "0 (no durations)"
                )
                notes.append(
                    f"No {channel} contact has a duration: missing {channel} durations use {fallback}."
                )
    return medians, notes


def contact_cost(channel: str, minutes: float, rates: CostRates) -> float:
    """Cost of one contact: minutes x the channel's per-minute rate, or the flat email rate."""
    channel = _channel(channel)
    if channel == "email":
        return rates.per_email
    per_minute = {"call": rates.per_minute_call, "chat": rates.per_minute_chat}.get(
        channel, rates.per_minute_other
    )
    return minutes * per_minute


def _ratio(value: float | None, baseline: float | None) -> float | None:
    """value / baseline; a zero baseline means nobody differs from it, so the index is 1."""
    if value is None or baseline is None:
        return None
    return value / baseline if baseline > 0 else 1.0


def compute_economics(
    contacts: Iterable[Contact],
    accounts: Iterable[Account],
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
            f"{len(all_contacts) - len(run_contacts)} contacts of customers outside the run were ignored."
        )
    medians, median_notes = _median_durations(run_contacts)
    notes.extend(median_notes)

    cost: dict[str, float] = defaultdict(float)
    n_contacts: dict[str, int] = defaultdict(int)
    handle_minutes: dict[str, list[float]] = defaultdict(list)
    for contact in run_contacts:
        channel = _channel(contact.channel)
        seconds = contact.duration_seconds if _known(contact.duration_seconds) else medians[channel]
        minutes = (seconds or 0.0) / 60.0
        cost[contact.customer_id] += contact_cost(channel, minutes, rates)
        n_contacts[contact.customer_id] += 1
        if seconds is not None:  # an email with no duration anywhere has no handle time to average
            handle_minutes[assignments[contact.customer_id]].append(minutes)

    customer_ids = sorted(assignments)
    unmatched = tuple(c for c in customer_ids if c not in accounts_by_id)
    revenue = {c: float(accounts_by_id[c].annual_revenue) for c in customer_ids if c in accounts_by_id}
    total_revenue = sum(revenue.values())
    total_cost = sum(cost[c] for c in customer_ids)
    overall_revenue_pc = total_revenue / len(revenue) if revenue else None
    overall_cost_pc = total_cost / len(customer_ids) if customer_ids else 0.0
    if unmatched:
        notes.append(f"{len(unmatched)} customers have no account: counted in size and cost, not in revenue.")

    members: dict[str, list[str]] = defaultdict(list)
    for customer_id in customer_ids:
        members[assignments[customer_id]].append(customer_id)

    drafts: list[PersonaEconomics] = []
    for key in sorted(members):
        ids = members[key]
        matched = [c for c in ids if c in revenue]
        p_revenue = sum(revenue[c] for c in matched)
        p_cost = sum(cost[c] for c in ids)
        p_contacts = sum(n_contacts[c] for c in ids)
        revenue_pc = p_revenue / len(matched) if matched else None
        handled = handle_minutes[key]
        cost_index = _ratio(p_cost / len(ids), overall_cost_pc)
        indices = Indices(
            _ratio(revenue_pc, overall_revenue_pc), cost_index if cost_index is not None else 1.0
        )
        drafts.append(
            PersonaEconomics(
                key=key,
                customers=len(ids),
                matched_customers=len(matched),
                share=len(ids) / len(customer_ids),
                contacts=p_contacts,
                revenue_total=p_revenue,
                revenue_per_customer=revenue_pc,
                cost_to_serve_total=p_cost,
                cost_per_customer=p_cost / len(ids),
                cost_per_contact=p_cost / p_contacts if p_contacts else None,
                margin_per_customer=sum(revenue[c] - cost[c] for c in matched) / len(matched)
                if matched
                else None,
                contacts_per_customer=p_contacts / len(ids),
                avg_handle_minutes=sum(handled) / len(handled) if handled else None,
                revenue_index=indices.revenue_index,
                cost_index=indices.cost_index,
                grade=grade(indices),
                core_growth=False,
                note="",
            )
        )
    core, grade_notes = pick_core_growth({p.key: Indices(p.revenue_index, p.cost_index) for p in drafts})
    personas = tuple(replace(p, core_growth=p.key == core, note=grade_notes.get(p.key, "")) for p in drafts)
    by_key = {p.key: p for p in personas}
    customers = tuple(
        CustomerEconomics(
            customer_id=c,
            persona_key=assignments[c],
            contacts=n_contacts[c],
            cost_to_serve=cost[c],
            revenue=revenue.get(c),
            margin=revenue[c] - cost[c] if c in revenue else None,
            grade=by_key[assignments[c]].grade,
            core_growth=by_key[assignments[c]].core_growth,
        )
        for c in customer_ids
    )
    totals = EconomicsTotals(
        customers=len(customer_ids),
        matched_customers=len(revenue),
        contacts=len(run_contacts),
        revenue=total_revenue,
        cost_to_serve=total_cost,
        revenue_per_customer=overall_revenue_pc,
        cost_per_customer=overall_cost_pc,
    )
    notes.extend(p.note for p in personas if p.note)
    return EconomicsResult(personas, customers, totals, unmatched, medians, tuple(notes))
