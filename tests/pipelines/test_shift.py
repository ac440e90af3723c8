"""The comparison of two runs and the alert rules, on small hand-made runs whose answers are worked out."""

from __future__ import annotations

from pipelines.shift import PersonaFigures, compare_runs, migrations
from pipelines.shift_rules import Thresholds, alert_text, findings


def figures(
    pid: str, share: float, cost: float | None = 100.0, *, grade: str = "B", core: bool = False
) -> PersonaFigures:
    return PersonaFigures(
        id=pid,
        label=f"Persona {pid}",
        grade=grade,
        core_growth=core,
        customers=round(share * 100),
        share=share,
        revenue_per_customer=1000.0,
        cost_per_customer=cost,
    )


def test_statuses_order_and_absent_sides() -> None:
    shift = compare_runs(
        [figures("a", 0.6), figures("gone", 0.4)], [figures("new", 0.3), figures("a", 0.7)], {}, {}
    )
    assert [(c.id, c.status) for c in shift.personas] == [("new", "new"), ("a", "kept"), ("gone", "gone")]
    new, kept, gone = shift.personas
    assert (new.share_before, new.cost_per_customer_before, new.grade_before) == (0.0, None, None)
    assert (gone.share_after, gone.customers_after, gone.cost_per_customer_after) == (0.0, 0, None)
    assert round(kept.share_points, 6) == 10.0


def test_migrations_count_customers_in_both_runs() -> None:
    before = {"c1": "a", "c2": "a", "c3": "b", "c4": "b", "c5": "b", "left": "b"}
    after = {"c1": "a", "c2": "b", "c3": "b", "c4": "b", "c5": "a", "joined": "a"}
    found = [(m.from_id, m.to_id, m.customers) for m in migrations(before, after)]
    assert found == [("b", "b", 2), ("a", "a", 1), ("a", "b", 1), ("b", "a", 1)]  # largest first, then by ids


def test_movers_out_of_core_growth() -> None:
    before = [
        figures("core", 0.5, grade="A", core=True),
        figures("avoid", 0.25, grade="C"),
        figures("b", 0.25),
    ]
    after = [
        figures("core", 0.4, grade="A", core=True),
        figures("avoid", 0.35, grade="C"),
        figures("b", 0.25),
    ]
    old = {f"c{i}": "core" for i in range(10)} | {"x": "avoid", "y": "b"}
    new = dict(old) | {"c0": "avoid", "c1": "avoid", "c2": "b", "x": "core"}
    shift = compare_runs(before, after, old, new)
    assert shift.core_growth_before == 10
    assert shift.movers_out_of_core_growth == ("c0", "c1", "c2")
    assert shift.movers_to_grade_c == ("c0", "c1")


def test_share_and_cost_thresholds_are_inclusive() -> None:
    before = [figures("a", 0.30, 100.0), figures("b", 0.30, 100.0), figures("c", 0.40, 100.0)]
    after = [figures("a", 0.35, 120.0), figures("b", 0.349, 119.0), figures("c", 0.301, 100.0)]
    fired = {(f.rule, f.persona_id) for f in findings(compare_runs(before, after, {}, {}))}
    assert fired == {("share", "a"), ("cost", "a"), ("share", "c")}
    strict = Thresholds(share_points=10.0, cost_change=0.5)
    assert findings(compare_runs(before, after, {}, {}), strict) == []


def test_core_growth_rule_needs_both_the_fraction_and_the_count() -> None:
    before = [figures("core", 0.5, grade="A", core=True), figures("avoid", 0.5, grade="C")]
    after = before

    def fired(base: int, movers: int) -> bool:
        old = {f"c{i}": "core" for i in range(base)}
        new = old | {f"c{i}": "avoid" for i in range(movers)}
        return any(f.rule == "core_growth_to_c" for f in findings(compare_runs(before, after, old, new)))

    assert fired(60, 3)  # 5% and 3
    assert not fired(10, 2)  # 20% but only 2
    assert not fired(100, 3)  # 3 but only 3%
    assert fired(100, 5)


def test_text_names_personas_and_figures() -> None:
    before = [figures("a", 0.08, 100.0, grade="C"), figures("b", 0.92)]
    after = [figures("a", 0.30, 125.0, grade="C"), figures("b", 0.70)]
    found = findings(compare_runs(before, after, {}, {}))
    text = alert_text(found, "https://personas.example.com/v1/runs/r2/report")
    assert "“Persona a” grew from 8.0% to 30.0% of customers (+22.0 points; 8 -> 30 customers)." in text
    assert "Cost to serve per customer of “Persona a” rose 25%, from 100.00 to 125.00." in text
    assert "“Persona b” shrank from 92.0% to 70.0%" in text
    assert text.endswith("Report: https://personas.example.com/v1/runs/r2/report")
