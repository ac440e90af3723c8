"""Pond map: which account attribute values are over-represented among a group of customers (lift)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from pipelines.economics import EconomicsResult
from pipelines.types import AccountInput, AttributeValue

MIN_LIFT = 1.25
MIN_CUSTOMERS = 5
# A numeric attribute with this many distinct values or fewer reads better as categories than as quartiles.
MAX_DISTINCT_FOR_CATEGORICAL = 4


@dataclass(frozen=True)
class PondEntry:
    """One attribute value, its lift in a group and how many of the group's customers have it."""

    attribute: str
    value: str
    lift: float
    customers: int  # customers of the group with this value
    group_share: float
    overall_share: float


@dataclass(frozen=True)
class PondMap:
    """Values that mark the pond (where to fish) and the ones that mark outside it."""

    in_pond: tuple[PondEntry, ...]
    out_of_pond: tuple[PondEntry, ...]


def finite_number(value: Any) -> float | None:
    """The value as a finite float, or None for text, booleans, blanks, NaN and infinities."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _blank(value: AttributeValue) -> bool:
    """Missing values take no part in shares."""
    return value is None or (isinstance(value, str) and not value.strip())


def _format(number: float) -> str:
    """Compact number for bucket labels: 1200 -> 1,200; 0.5 -> 0.5."""
    return f"{number:,.0f}" if abs(number) >= 100 or float(number).is_integer() else f"{number:.3g}"


def _quartile_labeller(values: list[float]) -> dict[float, str]:
    """Map each number to its quartile bucket label, e.g. "Q2 (1,200-5,000)"; tied edges merge buckets."""
    edges = np.unique(np.quantile(np.asarray(values), [0.25, 0.5, 0.75]))
    buckets: dict[int, list[float]] = {}
    for number in values:
        # searchsorted(side="left") puts a value equal to an edge in the lower bucket: [min, q1], (q1, q2] ...
        buckets.setdefault(int(np.searchsorted(edges, number, side="left")), []).append(number)
    labels: dict[float, str] = {}
    for rank, bucket in enumerate(sorted(buckets), start=1):
        low, high = min(buckets[bucket]), max(buckets[bucket])
        label = (
            f"Q{rank} ({_format(low)}-{_format(high)})"
            if len(edges) == 3
            else f"{_format(low)}-{_format(high)}"
        )
        for number in buckets[bucket]:
            labels[number] = label
    return labels


def attribute_values(accounts: Iterable[AccountInput]) -> dict[str, dict[str, str]]:
    """customer_id -> attribute -> value label; numeric attributes in quartiles of these accounts."""
    accounts = list(accounts)
    names = sorted({name for a in accounts for name in a.attributes})
    result: dict[str, dict[str, str]] = {a.customer_id: {} for a in accounts}
    for name in names:
        present = [
            (a.customer_id, a.attributes[name]) for a in accounts if not _blank(a.attributes.get(name))
        ]
        numbers = [finite_number(v) for _, v in present]
        numeric = bool(present) and all(n is not None for n in numbers)
        if numeric and len(set(numbers)) > MAX_DISTINCT_FOR_CATEGORICAL:
            labels = _quartile_labeller([n for n in numbers if n is not None])
            for (customer_id, _), number in zip(present, numbers, strict=True):
                result[customer_id][name] = labels[number]  # type: ignore[index]
        else:
            for customer_id, value in present:
                result[customer_id][name] = _format(float(value)) if numeric else str(value).strip()  # type: ignore[arg-type]
    return result


def _lifts(values: Mapping[str, Mapping[str, str]], group: Collection[str]) -> list[tuple[PondEntry, int]]:
    """Every (attribute, value) of the population with its lift in the group and its overall holder count.

    Shares are per attribute, over customers with a non-blank value for it; values absent from the group
    get lift 0.
    """
    group_ids = [c for c in sorted(set(group)) if c in values]
    rows: list[tuple[PondEntry, int]] = []
    for name in sorted({n for row in values.values() for n in row}):
        overall = Counter(row[name] for row in values.values() if name in row)
        inside = Counter(values[c][name] for c in group_ids if name in values[c])
        overall_n, inside_n = sum(overall.values()), sum(inside.values())
        if not inside_n:
            continue
        for value in sorted(overall):
            group_share, overall_share = inside[value] / inside_n, overall[value] / overall_n
            entry = PondEntry(
                name, value, group_share / overall_share, inside[value], group_share, overall_share
            )
            rows.append((entry, overall[value]))
    return rows


def lift_table(
    accounts: Iterable[AccountInput],
    group: Collection[str],
    *,
    min_lift: float = MIN_LIFT,
    min_customers: int = MIN_CUSTOMERS,
) -> tuple[PondEntry, ...]:
    """Attribute values over-represented in `group` relative to all `accounts` (the population).

    lift = share among the group's customers / share among all; kept if lift >= min_lift and at least
    min_customers group customers have the value. Sorted by lift, then customers, attribute, value.
    """
    rows = _lifts(attribute_values(accounts), group)
    entries = [e for e, _ in rows if e.lift >= min_lift and e.customers >= min_customers]
    entries.sort(key=lambda e: (-e.lift, -e.customers, e.attribute, e.value))
    return tuple(entries)


def _run_accounts(accounts: Iterable[AccountInput], result: EconomicsResult) -> list[AccountInput]:
    """Accounts of the run's customers: the population every share is taken over."""
    by_id = {a.customer_id: a for a in accounts}
    return [by_id[c.customer_id] for c in result.customers if c.customer_id in by_id]


def pond_map(accounts: Iterable[AccountInput], result: EconomicsResult) -> PondMap:
    """In the pond: values over-represented among core-growth customers; out: among grade-C customers."""
    population = _run_accounts(accounts, result)
    core = [c.customer_id for c in result.customers if c.core_growth]
    avoid = [c.customer_id for c in result.customers if c.grade == "C"]
    return PondMap(in_pond=lift_table(population, core), out_of_pond=lift_table(population, avoid))


def persona_pond(accounts: Iterable[AccountInput], result: EconomicsResult, persona_key: str) -> PondMap:
    """One persona's pond: values over-represented among its customers (in) and under-represented (out).

    In: lift >= 1.25 with >= 5 of the persona's customers. Out: values held by >= 5 run customers whose
    lift in the persona is <= 1 / 1.25 = 0.8, i.e. where this persona is rarely found.
    """
    population = _run_accounts(accounts, result)
    members = [c.customer_id for c in result.customers if c.persona_key == persona_key]
    rows = _lifts(attribute_values(population), members)
    over = [e for e, _ in rows if e.lift >= MIN_LIFT and e.customers >= MIN_CUSTOMERS]
    under = [e for e, holders in rows if e.lift <= 1 / MIN_LIFT and holders >= MIN_CUSTOMERS]
    over.sort(key=lambda e: (-e.lift, -e.customers, e.attribute, e.value))
    under.sort(key=lambda e: (e.lift, -e.overall_share, e.attribute, e.value))
    return PondMap(in_pond=tuple(over), out_of_pond=tuple(under))
