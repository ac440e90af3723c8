"""Economics rules on hand-computed examples: costs, revenue join, grades, core-growth and the pond map."""

from __future__ import annotations

import pytest

from pipelines.contact_cost import Contact, contact_cost, economics_rules
from pipelines.economics import compute_economics
from pipelines.pond import attribute_values, lift_table, persona_pond, pond_map
from pipelines.types import AccountInput as Account
from pipelines.types import CostRates

approx = pytest.approx


def four_grades():
    """Two customers per persona; every customer has one 10-minute contact.

    revenue: A 300, B_hi 300, B_lo 100, C 100 per customer -> overall 200 -> R = 1.5, 1.5, 0.5, 0.5
    cost: chat 10 min x 0.50 = 5.00, call 10 min x 1.10 = 11.00 -> overall (10+22+10+22)/8 = 8.00
    -> C = 0.625, 1.375, 0.625, 1.375
    """
    plan = {"A": (300.0, "chat"), "B_hi": (300.0, "call"), "B_lo": (100.0, "chat"), "C": (100.0, "call")}
    contacts, accounts, assignments = [], [], {}
    for key, (revenue, channel) in plan.items():
        for n in (1, 2):
            customer = f"{key}-{n}"
            assignments[customer] = key
            contacts.append(Contact(customer, channel, 600.0))
            accounts.append(Account(customer, revenue))
    return contacts, accounts, assignments


def test_every_grade_branch_with_hand_computed_indices():
    result = compute_economics(*four_grades())
    by_key = {p.key: p for p in result.personas}
    assert result.totals.revenue_per_customer == approx(200.0)
    assert result.totals.cost_per_customer == approx(8.0)
    expected = {
        "A": (1.5, 0.625, "A"),
        "B_hi": (1.5, 1.375, "B"),
        "B_lo": (0.5, 0.625, "B"),
        "C": (0.5, 1.375, "C"),
    }
    for key, (r, c, grade) in expected.items():
        p = by_key[key]
        assert (p.revenue_index, p.cost_index, p.grade) == (approx(r), approx(c), grade), key
    assert result.core_growth_keys == ("A",)
    assert by_key["A"].note is not None and "grade A" in by_key["A"].note.worded("A")
    a = by_key["A"]
    assert a.customers == 2 and a.contacts == 2 and a.share == approx(0.25)
    assert a.revenue_total == approx(600.0) and a.revenue_per_customer == approx(300.0)
    assert a.cost_to_serve_total == approx(10.0) and a.cost_per_customer == approx(5.0)
    assert a.cost_per_contact == approx(5.0) and a.margin_per_customer == approx(295.0)
    assert a.contacts_per_customer == approx(1.0) and a.avg_handle_minutes == approx(10.0)
    assert result.totals.customers == 8 and result.totals.revenue == approx(1600.0)
    assert result.totals.cost_to_serve == approx(64.0)


def test_per_customer_results_carry_their_persona_grade():
    result = compute_economics(*four_grades())
    customer = {c.customer_id: c for c in result.customers}["C-1"]
    assert customer.cost_to_serve == approx(11.0) and customer.revenue == approx(100.0)
    assert customer.margin == approx(89.0) and customer.contacts == 1
    assert customer.grade == "C" and customer.core_growth is False
    assert {c.customer_id for c in result.customers if c.core_growth} == {"A-1", "A-2"}


def test_no_grade_a_flags_highest_revenue_to_cost_with_a_note():
    # X: revenue 300, one 20-min chat = 10.00; Y: revenue 100, one 10-min chat = 5.00.
    # overall revenue 200, cost 7.50 -> X: R 1.5, C 1.333 (B, R/C 1.125); Y: R 0.5, C 0.667 (B, R/C 0.75).
    contacts = [Contact("x", "chat", 1200), Contact("y", "chat", 600)]
    accounts = [Account("x", 300.0), Account("y", 100.0)]
    result = compute_economics(contacts, accounts, {"x": "X", "y": "Y"})
    by_key = {p.key: p for p in result.personas}
    assert [p.grade for p in result.personas] == ["B", "B"]
    assert result.core_growth_keys == ("X",)
    note = by_key["X"].note
    assert note is not None and note.core_growth_key == "X"
    assert note.worded("“Big spenders”").startswith("No persona is grade A; “Big spenders” (grade B)")
    assert "1.12" in note.text and by_key["Y"].note is None
    assert not any("grade A" in n for n in result.notes)  # grade notes belong to personas, not the run


def test_several_grade_a_only_the_best_ratio_is_core_growth():
    # P: 400 revenue, 10-min chat 5.00; Q: 250, 16-min chat 8.00; Z: 50, 40-min chat 20.00.
    # overall revenue 233.33, cost 11.00 -> P R 1.714 C 0.455 (A, R/C 3.77); Q R 1.071 C 0.727 (A, 1.47); Z C.
    contacts = [Contact("p", "chat", 600), Contact("q", "chat", 960), Contact("z", "chat", 2400)]
    accounts = [Account("p", 400.0), Account("q", 250.0), Account("z", 50.0)]
    result = compute_economics(contacts, accounts, {"p": "P", "q": "Q", "z": "Z"})
    by_key = {p.key: p for p in result.personas}
    assert [by_key[k].grade for k in "PQZ"] == ["A", "A", "C"]
    assert result.core_growth_keys == ("P",)
    assert by_key["P"].note is not None and by_key["Q"].note is not None
    assert "2 personas are grade A; P has the highest" in by_key["P"].note.worded("P")
    assert (
        by_key["Q"].note.worded("P").startswith("Grade A but not core-growth")
        and by_key["Q"].note.core_growth_key == "P"
    )


def test_unmatched_customers_count_in_size_and_cost_but_not_revenue():
    contacts = [Contact("a", "chat", 600), Contact("b", "chat", 600), Contact("ghost", "call", 600)]
    accounts = [Account("a", 100.0), Account("b", 300.0), Account("not-in-run", 9999.0)]
    result = compute_economics(contacts, accounts, {"a": "P", "b": "P", "ghost": "P"})
    p = result.personas[0]
    assert result.unmatched_customer_ids == ("ghost",)
    assert p.customers == 3 and p.matched_customers == 2
    assert p.revenue_total == approx(400.0) and p.revenue_per_customer == approx(200.0)
    assert p.cost_to_serve_total == approx(5.0 + 5.0 + 11.0) and p.cost_per_customer == approx(7.0)
    assert p.margin_per_customer == approx(((100 - 5) + (300 - 5)) / 2)
    ghost = {c.customer_id: c for c in result.customers}["ghost"]
    assert ghost.revenue is None and ghost.margin is None and ghost.cost_to_serve == approx(11.0)
    assert result.totals.customers == 3 and result.totals.matched_customers == 2
    assert result.totals.revenue == approx(400.0) and result.totals.revenue_per_customer == approx(200.0)
    assert any("no account" in note for note in result.notes)


def test_missing_durations_use_channel_median_and_email_is_flat():
    contacts = [
        Contact("a", "chat", 120), Contact("a", "chat", 240), Contact("a", "chat", 360),
        Contact("a", "chat", None),  # chat median 240 s = 4 min -> 2.00
        Contact("b", "call", 60), Contact("b", "call", None),  # call median 60 s -> 1.10 each
        Contact("c", "email", None), Contact("c", "email", 999),  # flat 4.00 each, duration ignored
        Contact("d", "other", None),  # no "other" durations: overall median of 60..999 = 240 s -> 3.20
    ]  # fmt: skip
    result = compute_economics(contacts, [], {"a": "P", "b": "P", "c": "P", "d": "P"})
    cost = {c.customer_id: c.cost_to_serve for c in result.customers}
    assert cost["a"] == approx(1.0 + 2.0 + 3.0 + 2.0)
    assert cost["b"] == approx(1.10 + 1.10)
    assert cost["c"] == approx(8.0)
    assert cost["d"] == approx(3.2)
    assert result.median_duration_seconds["chat"] == approx(240.0)
    assert result.median_duration_seconds["other"] == approx(240.0)
    assert any("No other contact has a duration" in note for note in result.notes)
    # Handle time averages the filled minutes of every contact; the missing email takes the email median.
    minutes = [2, 4, 6, 4, 1, 1, 999 / 60, 999 / 60, 4]
    assert result.personas[0].avg_handle_minutes == approx(sum(minutes) / len(minutes))


def test_no_duration_anywhere_costs_zero_minutes_with_a_note():
    result = compute_economics([Contact("a", "call", None), Contact("a", "email", None)], [], {"a": "P"})
    assert result.customers[0].cost_to_serve == approx(4.0)
    assert any("0 (no durations)" in note for note in result.notes)


def test_custom_rates_and_unknown_channel_costed_as_other():
    rates = CostRates(per_minute_call=2.0, per_minute_chat=1.0, per_minute_other=0.5, per_email=7.0)
    assert contact_cost("call", 3.0, rates) == approx(6.0)
    assert contact_cost("sms", 3.0, rates) == approx(1.5)
    assert contact_cost("email", 30.0, rates) == approx(7.0)


def test_rules_text_states_rates_and_thresholds():
    text = " ".join(economics_rules(CostRates()))
    for fragment in ("1.10", "0.50", "0.80", "4.00", "median", "R >= 1 and C <= 1", "1.25", ">= 5"):
        assert fragment in text


# --- pond map ---------------------------------------------------------------------------------------------


def accounts_with(attribute: str, values: list[str]) -> list[Account]:
    return [Account(f"c{i:02d}", 100.0, attributes={attribute: v}) for i, v in enumerate(values)]


def test_lift_threshold_is_inclusive_at_1_25():
    # Population 40: "pro" 20 (share 0.5). Group of 16: "pro" 10 -> 0.625 / 0.5 = 1.25 exactly: kept.
    values = ["pro"] * 10 + ["basic"] * 6 + ["pro"] * 10 + ["basic"] * 14
    accounts = accounts_with("plan", values)
    group = [f"c{i:02d}" for i in range(16)]
    entries = lift_table(accounts, group)
    assert [(e.attribute, e.value, e.customers) for e in entries] == [("plan", "pro", 10)]
    assert entries[0].lift == approx(1.25)
    # A group of 20 with 12 "pro" has lift 0.6 / 0.5 = 1.2: below the threshold.
    group = (
        [f"c{i:02d}" for i in range(10)]
        + [f"c{i:02d}" for i in range(16, 18)]
        + [f"c{i:02d}" for i in range(30, 38)]
    )
    assert lift_table(accounts, group) == ()


def test_lift_needs_at_least_five_group_customers():
    # "north" is 4 of a 5-customer group (lift 4.0) but only 4 customers: out; 5 of 6 passes.
    values = ["north"] * 4 + ["south"] + ["south"] * 15
    assert lift_table(accounts_with("region", values), [f"c{i:02d}" for i in range(5)]) == ()
    values = ["north"] * 5 + ["south"] + ["south"] * 14
    entries = lift_table(accounts_with("region", values), [f"c{i:02d}" for i in range(6)])
    assert [(e.value, e.customers) for e in entries] == [("north", 5)]
    assert entries[0].lift == approx((5 / 6) / (5 / 20))


def test_numeric_attributes_are_bucketed_into_labelled_quartiles():
    # employees 1..20: quartile edges 5.75, 10.5, 15.25 -> 1-5, 6-10, 11-15, 16-20.
    accounts = [Account(f"c{i:02d}", 1.0, attributes={"employees": i + 1}) for i in range(20)]
    values = attribute_values(accounts)
    assert values["c00"]["employees"] == "Q1 (1-5)" and values["c05"]["employees"] == "Q2 (6-10)"
    assert values["c14"]["employees"] == "Q3 (11-15)" and values["c19"]["employees"] == "Q4 (16-20)"
    entries = lift_table(accounts, [f"c{i:02d}" for i in range(15, 20)])
    assert [(e.value, e.customers, e.lift) for e in entries] == [("Q4 (16-20)", 5, approx(4.0))]


def test_numeric_strings_from_csv_are_numeric_and_blanks_are_ignored():
    raw = [str(1000 * (i + 1)) for i in range(19)] + [""]
    accounts = [Account(f"c{i:02d}", 1.0, attributes={"revenue_band": v}) for i, v in enumerate(raw)]
    values = attribute_values(accounts)
    assert values["c00"]["revenue_band"].startswith("Q1 (1,000-")
    assert "revenue_band" not in values["c19"]


def test_pond_map_in_from_core_growth_and_out_from_grade_c():
    contacts, accounts, assignments = four_grades()
    # Widen to 5 customers per persona so the >= 5 rule can pass; same per-customer economics.
    for key, revenue, channel in (
        ("A", 300.0, "chat"),
        ("B_hi", 300.0, "call"),
        ("B_lo", 100.0, "chat"),
        ("C", 100.0, "call"),
    ):
        for n in (3, 4, 5):
            customer = f"{key}-{n}"
            assignments[customer] = key
            contacts.append(Contact(customer, channel, 600.0))
            accounts.append(Account(customer, revenue))
    industry = {"A": "tech", "B_hi": "retail", "B_lo": "retail", "C": "farming"}
    accounts = [
        Account(
            a.customer_id, a.annual_revenue, attributes={"industry": industry[assignments[a.customer_id]]}
        )
        for a in accounts
    ]
    result = compute_economics(contacts, accounts, assignments)
    pond = pond_map(accounts, result)
    assert [(e.attribute, e.value, e.customers, e.lift) for e in pond.in_pond] == [
        ("industry", "tech", 5, approx(4.0))
    ]
    assert [(e.value, e.lift) for e in pond.out_of_pond] == [("farming", approx(4.0))]
    persona = persona_pond(accounts, result, "B_lo")
    assert [(e.value, e.lift) for e in persona.in_pond] == [("retail", approx(2.0))]
    assert {e.value for e in persona.out_of_pond} == {"tech", "farming"}
    assert all(e.lift == 0.0 and e.customers == 0 for e in persona.out_of_pond)
