"""Builds the demo company: customers with accounts, then their support transcripts, all by seed."""

from __future__ import annotations

import math
import random
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import accumulate
from typing import Any

import pipelines.synthetic.slots as slots
from pipelines.synthetic.conversation import compose_conversation
from pipelines.synthetic.personas import PERSONA_SPECS, REGIONS, PersonaSpec, size_band
from pipelines.synthetic.phrases import PERSONA_PHRASES
from pipelines.synthetic.slots import pick

DEFAULT_START = "2025-01-01T00:00:00+00:00"
MISSING_DURATION_RATE = 0.03
CSAT_RESPONSE_RATE = 0.55
HANDLE_TIME_SIGMA = 0.45
_SPECS = {spec.name: spec for spec in PERSONA_SPECS}


@dataclass(frozen=True)
class SyntheticCustomer:
    """One customer of the demo company; `account` is None for the few the CRM export lacks."""

    customer_id: str
    persona: str
    contact_weight: float
    account: dict[str, Any] | None


@dataclass
class SyntheticCompany:
    """Generated demo data plus the planted truth to check a persona run against."""

    transcripts: list[dict[str, Any]]
    accounts: list[dict[str, Any]]
    truth: dict[str, str]  # customer_id -> planted persona name
    planted_grades: dict[str, str]  # persona name -> "A" | "B" | "C"
    persona_labels: dict[str, str] = field(default_factory=dict)  # persona name -> readable label


def _persona_counts(n_customers: int) -> list[int]:
    """Customers per persona matching the planted shares exactly (largest remainder)."""
    raw = [spec.share * n_customers for spec in PERSONA_SPECS]
    counts = [math.floor(x) for x in raw]
    by_remainder = sorted(range(len(raw)), key=lambda i: raw[i] - counts[i], reverse=True)
    for i in by_remainder[: n_customers - sum(counts)]:
        counts[i] += 1
    return counts


def _account(rng: random.Random, customer_id: str, spec: PersonaSpec) -> dict[str, Any]:
    employees = max(1, round(spec.employees_median * rng.lognormvariate(0.0, 0.6)))
    # 15% of customers sit in an industry typical of another persona: pond maps should show lift, not purity
    industry_pool = spec.industries if rng.random() < 0.85 else pick(rng, PERSONA_SPECS).industries
    name = pick(rng, spec.name_patterns).format(
        surname=pick(rng, slots.SURNAMES), surname2=pick(rng, slots.SURNAMES), town=pick(rng, slots.TOWNS)
    )
    return {
        "customer_id": customer_id,
        "name": name,
        "annual_revenue": round(spec.revenue_median * rng.lognormvariate(0.0, spec.revenue_sigma), 2),
        "currency": "USD",
        "attributes": {
            "industry": pick(rng, industry_pool),
            "size": size_band(employees),
            "region": rng.choices(REGIONS, weights=spec.region_weights)[0],
            "employees": employees,
        },
    }


def build_customers(n_customers: int, seed: int, unmatched_share: float = 0.03) -> list[SyntheticCustomer]:
    """The customer roster: planted persona, contact propensity and account (None when unmatched)."""
    rng = random.Random(f"synthetic-customers-{seed}")
    personas = [
        spec.name
        for spec, k in zip(PERSONA_SPECS, _persona_counts(n_customers), strict=True)
        for _ in range(k)
    ]
    rng.shuffle(personas)
    n_unmatched = round(n_customers * unmatched_share)
    if unmatched_share > 0 and n_customers >= 10:
        n_unmatched = max(1, n_unmatched)
    unmatched = set(rng.sample(range(n_customers), n_unmatched))
    width = max(5, len(str(n_customers)))
    customers = []
    for i, persona in enumerate(personas):
        spec = _SPECS[persona]
        customer_id = f"cust-{i:0{width}d}"
        account = _account(rng, customer_id, spec)
        # gamma noise: some customers of a persona contact support far more often than others
        weight = spec.contact_weight * rng.gammavariate(2.0, 0.5)
        customers.append(SyntheticCustomer(customer_id, persona, weight, None if i in unmatched else account))
    return customers


def _months_later(moment: datetime, months: int) -> datetime:
    """The same day `months` calendar months later (clamped to the 28th), so the period is whole months."""
    index = moment.month - 1 + months
    return moment.replace(year=moment.year + index // 12, month=index % 12 + 1, day=min(moment.day, 28))


def _started_at(rng: random.Random, start: datetime, days: int, spec: PersonaSpec) -> datetime:
    """A business-hours timestamp; `time_skew` lets a persona's share drift over the period."""
    day = min(days - 1, int(rng.random() ** spec.time_skew * days))
    moment = start + timedelta(days=day)
    if moment.weekday() >= 5 and rng.random() < 0.85:
        shift = moment.weekday() - 4  # back to Friday, or on to Monday at the start of the period
        moment = (
            moment - timedelta(days=shift) if day >= shift else moment + timedelta(days=7 - moment.weekday())
        )
    hour = pick(rng, (13, 14, 14, 15, 15, 16, 17, 17, 18, 19, 20, 21, 22))  # US business hours in UTC
    return moment.replace(hour=hour, minute=rng.randrange(60), second=rng.randrange(60))


def _duration_seconds(rng: random.Random, spec: PersonaSpec, channel: str) -> int | None:
    if channel != "email" and rng.random() < MISSING_DURATION_RATE:
        return None
    minutes = spec.minutes_median[channel] * rng.lognormvariate(0.0, HANDLE_TIME_SIGMA)
    return max(20, round(minutes * 60))


def _metadata(rng: random.Random, spec: PersonaSpec, escalated: bool, tags: list[str]) -> dict[str, Any]:
    metadata: dict[str, Any] = {"escalated": escalated, "tags": sorted(set(tags))}
    if rng.random() < CSAT_RESPONSE_RATE:
        score = rng.choices((1, 2, 3, 4, 5), weights=spec.csat_weights)[0]
        metadata["csat"] = max(1, score - 1) if escalated else score
    return metadata


def iter_transcripts(
    customers: Sequence[SyntheticCustomer],
    n_transcripts: int,
    seed: int,
    start: str = DEFAULT_START,
    months: int = 6,
) -> Iterator[dict[str, Any]]:
    """Stream transcripts (TranscriptIn dicts): every customer gets one first, the rest by contact weight."""
    rng = random.Random(f"synthetic-transcripts-{seed}")
    start_at = datetime.fromisoformat(start)
    days = max(1, (_months_later(start_at, months) - start_at).days)
    first_contact_order = list(range(len(customers)))
    rng.shuffle(first_contact_order)
    cum_weights = list(accumulate(c.contact_weight for c in customers))
    total_weight = cum_weights[-1] if cum_weights else 0.0
    others = {name: [p for other, p in PERSONA_PHRASES.items() if other != name] for name in PERSONA_PHRASES}
    for k in range(n_transcripts):
        if k < len(first_contact_order):
            customer = customers[first_contact_order[k]]
        else:
            customer = customers[
                min(len(customers) - 1, bisect_right(cum_weights, rng.random() * total_weight))
            ]
        spec = _SPECS[customer.persona]
        channel = rng.choices(tuple(spec.channel_mix), weights=tuple(spec.channel_mix.values()))[0]
        escalated = rng.random() < spec.escalation_rate
        turns, tags = compose_conversation(
            rng, spec, PERSONA_PHRASES[customer.persona], others[customer.persona], channel, escalated
        )
        yield {
            "external_id": f"syn{seed}-{k:07d}",
            "customer_id": customer.customer_id,
            "channel": channel,
            "started_at": _started_at(rng, start_at, days, spec).isoformat(),
            "duration_seconds": _duration_seconds(rng, spec, channel),
            "turns": turns,
            "metadata": _metadata(rng, spec, escalated, tags),
        }


def generate_company(
    n_customers: int = 240,
    seed: int = 7,
    n_transcripts: int | None = None,
    transcripts_per_customer: float = 5.0,
    start: str = DEFAULT_START,
    months: int = 6,
    unmatched_share: float = 0.03,
) -> SyntheticCompany:
    """The whole demo company in memory; for very large data stream `iter_transcripts` instead."""
    customers = build_customers(n_customers, seed, unmatched_share)
    total = n_transcripts if n_transcripts is not None else round(n_customers * transcripts_per_customer)
    return SyntheticCompany(
        transcripts=list(iter_transcripts(customers, total, seed, start, months)),
        accounts=[c.account for c in customers if c.account is not None],
        truth={c.customer_id: c.persona for c in customers},
        planted_grades={spec.name: spec.grade for spec in PERSONA_SPECS},
        persona_labels={spec.name: spec.label for spec in PERSONA_SPECS},
    )
