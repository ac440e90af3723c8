"""Which persona shifts are worth an alert, and how to say them in words a CCO reads. Pure functions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pipelines.shift import PersonaChange, Shift

Rule = Literal["share", "cost", "new", "gone", "core_growth_to_c"]


@dataclass(frozen=True)
class Thresholds:
    """The default rules; each is configurable (service/config.py, PERSONAS_ALERT_*)."""

    share_points: float = 5.0  # a persona's share of customers moves by this many points or more
    cost_change: float = 0.20  # its cost to serve per customer moves by this fraction or more
    core_growth_fraction: float = (
        0.05  # this fraction of core-growth customers moves to a grade-C persona ...
    )
    core_growth_min: int = 3  # ... and at least this many


@dataclass(frozen=True)
class Finding:
    """One rule that fired: the persona it is about, the figures before and after, and one sentence."""

    rule: Rule
    persona_id: str
    label: str
    before: float | None
    after: float | None
    text: str


def percent(share: float) -> str:
    return f"{share * 100:.1f}%"


def money(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.2f}"


def _share(change: PersonaChange) -> Finding:
    verb = "grew" if change.share_points > 0 else "shrank"
    text = (
        f"“{change.label}” {verb} from {percent(change.share_before)} to {percent(change.share_after)} "
        f"of customers ({change.share_points:+.1f} points; {change.customers_before} -> "
        f"{change.customers_after} customers)."
    )
    return Finding("share", change.id, change.label, change.share_before, change.share_after, text)


def _cost(change: PersonaChange, moved: float) -> Finding:
    verb = "rose" if moved > 0 else "fell"
    text = (
        f"Cost to serve per customer of “{change.label}” {verb} {abs(moved) * 100:.0f}%, from "
        f"{money(change.cost_per_customer_before)} to {money(change.cost_per_customer_after)}."
    )
    before, after = change.cost_per_customer_before, change.cost_per_customer_after
    return Finding("cost", change.id, change.label, before, after, text)


def _presence(change: PersonaChange) -> Finding:
    if change.status == "new":
        text = f"A new persona appeared: “{change.label}”, {percent(change.share_after)} of customers."
        return Finding("new", change.id, change.label, None, change.share_after, text)
    text = f"“{change.label}” disappeared; it had {percent(change.share_before)} of customers."
    return Finding("gone", change.id, change.label, change.share_before, None, text)


def _persona_findings(change: PersonaChange, thresholds: Thresholds) -> list[Finding]:
    if change.status != "kept":
        return [_presence(change)]
    found = []
    # Rounding guard: 5.0 points computed from shares can come out as 4.999999.
    if abs(change.share_points) >= thresholds.share_points - 1e-9:
        found.append(_share(change))
    moved = change.cost_change
    if moved is not None and abs(moved) >= thresholds.cost_change - 1e-9:
        found.append(_cost(change, moved))
    return found


def _core_growth_finding(shift: Shift, labels: dict[str, str], thresholds: Thresholds) -> Finding | None:
    movers, base = len(shift.movers_to_grade_c), shift.core_growth_before
    if (
        base == 0
        or movers < thresholds.core_growth_min
        or movers / base < thresholds.core_growth_fraction - 1e-9
    ):
        return None
    grade_c = [c for c in shift.personas if c.grade_after == "C"]
    names = " and ".join(f"“{c.label}”" for c in grade_c) or "a grade-C persona"
    text = (
        f"{movers} core-growth customers ({movers / base * 100:.0f}% of them) now talk like {names} "
        f"(grade C, avoid or fix)."
    )
    first = grade_c[0] if grade_c else None
    persona_id, label = (first.id, first.label) if first else ("", names)
    return Finding("core_growth_to_c", persona_id, labels.get(persona_id, label), base, movers, text)


def findings(shift: Shift, thresholds: Thresholds | None = None) -> list[Finding]:
    """Every rule that fires, in the order of the personas, then the core-growth movers."""
    thresholds = thresholds or Thresholds()
    found = [f for change in shift.personas for f in _persona_findings(change, thresholds)]
    core = _core_growth_finding(shift, {c.id: c.label for c in shift.personas}, thresholds)
    return found + ([core] if core else [])


def alert_text(found: list[Finding], report_url: str | None) -> str:
    """The message a Slack or Teams incoming webhook shows as is."""
    lines = ["Personas shifted since the last run:"] + [f"• {f.text}" for f in found]
    if report_url:
        lines.append(f"Report: {report_url}")
    return "\n".join(lines)
