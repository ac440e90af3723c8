"""The report an executive reads (issue 17): money with the accounts' currency, one number format, titles in
words, run time that does not count the total twice, and a "how to read this" for what could be misread."""

from __future__ import annotations

import re

from service.reports.formatting import fmt_money, fmt_money_short
from tests.service.reports.report_html import figure_traces, section
from tests.service.reports.sample_run import render, sample_inputs


def _layout_title(page: str, div_id: str) -> str:
    """The title text in a chart's Plotly layout (the JSON object after the data array)."""
    start = page.index(f'"{div_id}"')
    match = re.search(r'"title":\{"text":"([^"]*)"', page[start : start + 200_000])
    assert match, div_id
    return match.group(1)


def test_money_carries_the_accounts_currency() -> None:
    inputs = sample_inputs()
    inputs["currencies"] = {"EUR": 588}
    page = render(inputs)
    revenue = inputs["personas"]["totals"]["revenue"]
    assert f'{fmt_money_short(revenue, "EUR")}</span><span class="kpi-label">annual revenue' in page
    assert fmt_money_short(revenue, "EUR").startswith("\u20ac")
    card = inputs["personas"]["personas"][0]
    assert fmt_money(card["revenue"]["per_customer"], "EUR") in page
    assert "Amounts are in EUR" in page
    assert fmt_money(1234.5, "CHF") == "CHF\u00a01,234" and fmt_money(-50, "USD") == "-$50"


def test_mixed_currencies_are_said_plainly_and_no_symbol_is_guessed() -> None:
    inputs = sample_inputs()
    inputs["currencies"] = {"USD": 500, "EUR": 88}
    page = render(inputs)
    header = page[: page.index('id="quadrant"')]
    assert "Mixed currencies: the accounts are in USD (500 accounts), EUR (88 accounts)" in header
    assert "$" not in section(page, "summary", "quadrant") and "\u20ac" not in header


def test_money_has_one_format_whole_units_and_cents_only_below_ten() -> None:
    assert [fmt_money(v) for v in (127.4, 72.33, 1_302.6, 4.5, 0)] == ["127", "72", "1,303", "4.50", "0.00"]


def test_titles_are_words_without_method_parameters() -> None:
    inputs = sample_inputs()
    inputs["report_data"]["map"]["method"] = "UMAP(cosine, n_neighbors=15, n_components=5, min_dist=0.0)"
    page = render(inputs)
    assert _layout_title(page, "chart-map") == "Customers by persona"
    lede = section(page, "map", "personas")
    assert "n_neighbors" not in lede and "a UMAP projection of their conversations" in lede
    assert len(figure_traces(page, "chart-map")) == 4
    assert "n_neighbors=15" in section(page, "rules", "how-to-read")  # the method stays for those who ask


def test_run_time_is_the_sum_of_the_stages_not_counting_the_total_again() -> None:
    inputs = sample_inputs()
    inputs["run"]["summary"]["timings"] = {"loading": 1.0, "embedding": 6.0, "clustering": 5.3, "total": 12.3}
    page = render(inputs)
    run_time = re.search(r"<dt>Run time</dt><dd>([^<]*)</dd>", page)
    assert run_time and run_time.group(1).startswith(
        "12.3 s (loading 1.0 s, embedding 6.0 s, clustering 5.3 s)"
    )
    assert "total" not in run_time.group(1)


def test_how_to_read_explains_a_fallback_grow_persona_and_a_weak_quality_figure() -> None:
    inputs = sample_inputs()
    plain = render(inputs)
    assert "marked Grow only because" not in plain and "quality figure" not in plain
    for persona in inputs["personas"]["personas"]:
        if persona["grade"] == "A":
            persona["grade"] = "B"  # no grade A: the core-growth flag falls back to the best R/C
    inputs["run"]["summary"]["quality"] = 0.08
    inputs["report_data"]["quality"] = 0.08
    page = render(inputs)
    how = page[page.index('id="how-to-read"') :]
    core = next(p for p in inputs["personas"]["personas"] if p["core_growth"])
    assert "is marked Grow only because it has the best revenue-to-cost ratio" in how
    assert core["label"] in how
    assert "The quality figure (0.08) is low" in how
