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


CORE_GROWTH_NAME = "{core_growth}"  # where a GradeNote's text names the core-growth persona


@dataclass(frozen=True)
class GradeNote:
    """Why a persona is, or is not, the core-growth one. The text names the core-growth persona by the
    CORE_GROWTH_NAME marker, so a reader's current name for it (a person may rename it) fills it in."""

    text: str
    core_growth_key: str

    def worded(self, core_growth_name: str) -> str:
        """The note with the core-growth persona's name in place."""
        return self.text.replace(CORE_GROWTH_NAME, core_growth_name)


def _ratio_text(indices: Indices) -> str:
    return f"R/C = {value_ratio(indices):.2f} (R = {indices.revenue_index:.2f}, C = {indices.cost_index:.2f})"


def pick_core_growth(personas: Mapping[str, Indices]) -> tuple[str | None, dict[str, GradeNote]]:
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
    best, name = ranked[0], CORE_GROWTH_NAME
    if not a_keys:
        text = (
            f"No persona is grade A; {name} (grade {grade(personas[best])}) has the highest "
            f"revenue-to-cost ratio, {_ratio_text(personas[best])}, so it is flagged core-growth."
        )
        return best, {best: GradeNote(text, best)}
    if len(a_keys) == 1:
        text = f"{name} is grade A (R >= 1 and C <= 1), {_ratio_text(personas[best])}: core-growth."
        return best, {best: GradeNote(text, best)}
    notes = {
        best: GradeNote(
            f"{len(a_keys)} personas are grade A; {name} has the highest {_ratio_text(personas[best])}, "
            "so it is the core-growth persona.",
            best,
        )
    }
    for other in a_keys[1:]:
        text = f"Grade A but not core-growth: {_ratio_text(personas[other])}, below {name}'s."
        notes[other] = GradeNote(text, best)
    return best, notes
