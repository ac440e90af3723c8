"""The A/B/C grade rule and the choice of the one core-growth persona, on the R and C indices alone."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Indices:
    """A persona's revenue index R (None when no customer has revenue) and cost index C."""

    revenue_index: float | None
    cost_index: float


def grade(indices: Indices) -> str:
    """A if R >= 1 and C <= 1, C if R < 1 and C > 1, else B (and B when R is unknown)."""
    r, c = indices.revenue_index, indices.cost_index
    if r is None:
        return "B"
    if r >= 1 and c <= 1:
        return "A"
    if r < 1 and c > 1:
        return "C"
    return "B"


def value_ratio(indices: Indices) -> float:
    """R/C, the revenue earned per unit of cost; zero cost counts as infinitely good, unknown R as worst."""
    r, c = indices.revenue_index, indices.cost_index
    if r is None:
        return -math.inf
    return r / c if c > 0 else math.inf


def pick_core_growth(personas: Mapping[str, Indices]) -> tuple[str | None, dict[str, str]]:
    """The one core-growth persona and a note per persona that needs one.

    Rule: the grade-A persona with the highest R/C; if several are A, the others stay A without the
    flag (one ideal customer profile, one target list); if none is A, the persona with the highest R/C.
    Ties: higher R, then key.
    """

    def order(key: str) -> tuple[float, float, str]:
        r = personas[key].revenue_index
        return (-value_ratio(personas[key]), -(r if r is not None else -math.inf), key)

    a_keys = sorted((k for k, i in personas.items() if grade(i) == "A"), key=order)
    ranked = a_keys or sorted((k for k, i in personas.items() if i.revenue_index is not None), key=order)
    if not ranked:
        return None, {}
    best = ranked[0]

    def describe(key: str) -> str:
        i = personas[key]
        return f"R/C = {value_ratio(i):.2f} (R = {i.revenue_index:.2f}, C = {i.cost_index:.2f})"

    if not a_keys:
        return best, {
            best: f"No persona is grade A; {best} (grade {grade(personas[best])}) has the highest "
            f"revenue-to-cost ratio, {describe(best)}, so it is flagged core-growth."
        }
    if len(a_keys) == 1:
        return best, {best: f"{best} is grade A (R >= 1 and C <= 1), {describe(best)}: core-growth."}
    notes = {
        best: f"{len(a_keys)} personas are grade A; {best} has the highest {describe(best)}, "
        "so it is the core-growth persona."
    }
    for other in a_keys[1:]:
        notes[other] = f"Grade A but not core-growth: {describe(other)}, below {best}'s."
    return best, notes
