"""What changed between two runs: personas new, kept or gone (by stable id), their figures before and after,
and which customers moved from which persona to which. Pure arithmetic on plain data."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

Status = Literal["new", "kept", "gone"]


@dataclass(frozen=True)
class PersonaFigures:
    """One persona of one run, as the comparison needs it (per-customer money figures may be unknown)."""

    id: str
    label: str
    grade: str
    core_growth: bool
    customers: int
    share: float
    revenue_per_customer: float | None
    cost_per_customer: float | None


@dataclass(frozen=True)
class PersonaChange:
    """A persona in either run; an absent side has share 0, no customers and no per-customer figures."""

    id: str
    label: str
    status: Status
    grade_before: str | None
    grade_after: str | None
    core_growth_before: bool
    core_growth_after: bool
    share_before: float
    share_after: float
    customers_before: int
    customers_after: int
    revenue_per_customer_before: float | None
    revenue_per_customer_after: float | None
    cost_per_customer_before: float | None
    cost_per_customer_after: float | None

    @property
    def share_points(self) -> float:
        """The move of the share, in percentage points."""
        return (self.share_after - self.share_before) * 100

    @property
    def cost_change(self) -> float | None:
        """Relative move of cost to serve per customer (0.25 = +25 %); None when either side is unknown."""
        before, after = self.cost_per_customer_before, self.cost_per_customer_after
        if before is None or after is None or before <= 0:
            return None
        return after / before - 1


@dataclass(frozen=True)
class Migration:
    """How many customers present in both runs went from one persona to another (from == to: stayed)."""

    from_id: str
    to_id: str
    customers: int


@dataclass(frozen=True)
class Shift:
    personas: tuple[PersonaChange, ...]
    migrations: tuple[Migration, ...]
    # Customers of the previous run's core-growth persona(s), present in both runs.
    core_growth_before: int
    # Those of them now in a persona that is not core growth, and those now in a grade-C persona.
    movers_out_of_core_growth: tuple[str, ...]
    movers_to_grade_c: tuple[str, ...]


def _change(before: PersonaFigures | None, after: PersonaFigures | None) -> PersonaChange:
    either = after or before
    assert either is not None
    status: Status = "kept" if before and after else ("new" if after else "gone")
    return PersonaChange(
        id=either.id,
        label=either.label,
        status=status,
        grade_before=before.grade if before else None,
        grade_after=after.grade if after else None,
        core_growth_before=bool(before and before.core_growth),
        core_growth_after=bool(after and after.core_growth),
        share_before=before.share if before else 0.0,
        share_after=after.share if after else 0.0,
        customers_before=before.customers if before else 0,
        customers_after=after.customers if after else 0,
        revenue_per_customer_before=before.revenue_per_customer if before else None,
        revenue_per_customer_after=after.revenue_per_customer if after else None,
        cost_per_customer_before=before.cost_per_customer if before else None,
        cost_per_customer_after=after.cost_per_customer if after else None,
    )


def migrations(before: Mapping[str, str], after: Mapping[str, str]) -> tuple[Migration, ...]:
    """From-to counts over customers assigned in both runs, largest first (ties by ids)."""
    counts = Counter((before[c], after[c]) for c in before.keys() & after.keys())
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return tuple(Migration(from_id=f, to_id=t, customers=n) for (f, t), n in ordered)


def compare_runs(
    before: Sequence[PersonaFigures],
    after: Sequence[PersonaFigures],
    before_assignments: Mapping[str, str],
    after_assignments: Mapping[str, str],
) -> Shift:
    """Compare a run (`after`) with the previous one (`before`); assignments map customer id -> persona id.
    Personas come in the later run's order, then the ones that are gone."""
    old = {p.id: p for p in before}
    new = {p.id: p for p in after}
    changes = [_change(old.get(p.id), p) for p in after]
    changes += [_change(p, None) for p in before if p.id not in new]
    core_before = {p.id for p in before if p.core_growth}
    core_after = {p.id for p in after if p.core_growth}
    grade_c_after = {p.id for p in after if p.grade == "C"}
    both = sorted(before_assignments.keys() & after_assignments.keys())
    stayed_core = [c for c in both if before_assignments[c] in core_before]
    moved = [c for c in stayed_core if after_assignments[c] != before_assignments[c]]
    return Shift(
        personas=tuple(changes),
        migrations=migrations(before_assignments, after_assignments),
        core_growth_before=len(stayed_core),
        movers_out_of_core_growth=tuple(c for c in moved if after_assignments[c] not in core_after),
        movers_to_grade_c=tuple(c for c in moved if after_assignments[c] in grade_c_after),
    )
