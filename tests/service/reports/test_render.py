"""The HTML persona report: sections, escaping, one inline Plotly, the charts, edge cases and print CSS."""

from __future__ import annotations

import html
import re
import time
from pathlib import Path
from typing import Any

import pytest
from markupsafe import escape
from plotly.offline import get_plotlyjs, get_plotlyjs_version

from service.reports.charts import BASIC_BUNDLE, bundle_version, plotly_js
from service.reports.formatting import fmt_money, fmt_money_short, report_filename
from tests.browser import chromium_driver
from tests.service.reports.report_html import figure_traces
from tests.service.reports.sample_run import RUN_ID, render, sample_inputs

SECTION_IDS = ["summary", "quadrant", "map", "personas", "pond", "share", "accounts", "rules", "how-to-read"]
CHART_IDS = ["chart-quadrant", "chart-map", "chart-share"]
EVIL = "<script>alert('x')</script>"


@pytest.fixture(scope="module")
def sample_html() -> str:
    return render(sample_inputs())


def _figure(page: str, div_id: str) -> dict[str, Any]:
    return {"data": figure_traces(page, div_id)}


def _esc(text: str) -> str:
    """Text as Jinja2 autoescaping writes it."""
    return str(escape(text))


def _text(page: str) -> str:
    """The visible text, roughly: tags and the inline scripts/styles removed, entities decoded."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S | re.I)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


# ---------------------------------------------------------------- structure and content


def test_every_section_is_present_in_order(sample_html: str) -> None:
    positions = [sample_html.find(f'id="{section}"') for section in SECTION_IDS]
    assert all(p > 0 for p in positions), dict(zip(SECTION_IDS, positions, strict=True))
    assert positions == sorted(positions)
    assert sample_html.startswith("<!DOCTYPE html>")
    assert sample_html.rstrip().endswith("</html>")


def test_summary_states_totals_run_date_window_quality_and_model(sample_html: str) -> None:
    inputs = sample_inputs()
    totals = inputs["personas"]["totals"]
    text = _text(sample_html)
    header = text[: text.index("Value versus cost to serve")]
    kpis = re.findall(
        r'<span class="kpi-value">([^<]*)</span><span class="kpi-label">([^<]*)</span>', sample_html
    )
    assert kpis == [
        (f"{totals['customers']:,}", "customers"),
        (f"{totals['transcripts']:,}", "transcripts"),
        (fmt_money_short(totals["revenue"]), "annual revenue"),
        (fmt_money_short(totals["cost_to_serve"]), "cost to serve"),
    ]
    assert "22 Nov 2026, 19:20 UTC" in header  # run date (finished_at)
    assert "3 Jan 2025 – 30 Dec 2025" in header  # data window
    assert "0.41" in header and "silhouette (cosine, customer embedding space)" in header
    assert "sentence-transformers/all-MiniLM-L6-v2" in header
    assert "12 unmatched" in header


def test_every_persona_label_grade_and_card_appears(sample_html: str) -> None:
    text = _text(sample_html)
    personas = sample_inputs()["personas"]["personas"]
    for p in personas:
        assert p["label"] in text
        assert f'id="persona-{p["id"]}"' in sample_html
        card = sample_html[sample_html.index(f'id="persona-{p["id"]}"') :]
        card = card[: card.index("</article>")]
        assert f'class="badge grade grade-{p["grade"]}"' in card
        assert f"Grade {p['grade']}" in card
        assert ("Core growth" in card) is p["core_growth"]
        for quote in p["quotes"]:
            assert _esc(quote) in card
        for job in p["jobs"]:
            assert _esc(job["label"]) in card
        for m in p["motivations"] + p["consequences"]:
            assert _esc(m["text"]) in card
        for entry in p["pond"]["in"] + p["pond"]["out"]:
            assert _esc(entry["value"]) in card
            assert f"×{entry['lift']:.2f}" in card
        assert "Typical of this persona" in card and "Rare in this persona" in card
        assert fmt_money(p["revenue"]["per_customer"]) in card
        assert fmt_money(p["cost_to_serve"]["per_customer"]) in card
        assert fmt_money(p["margin_per_customer"]) in card
    core = next(p for p in personas if p["core_growth"])
    assert _esc(core["core_growth_note"]) in sample_html
    assert {p["grade"] for p in personas} == {"A", "B", "C"}
    # the grade colours of pipelines/plots.py drive the badges
    assert "#2e8b57" in sample_html and "#d9a21b" in sample_html and "#c0392b" in sample_html


def test_global_pond_map_lists_in_and_out_with_lift(sample_html: str) -> None:
    section = sample_html[sample_html.index('id="pond"') : sample_html.index('id="share"')]
    assert "In the pond (core growth)" in section and "Out of the pond (grade C)" in section
    assert "Automotive repair" in section and "×1.92" in section
    assert "Commercial construction" in section and "×2.37" in section


def test_top_accounts_table_lists_the_accounts_in_order(sample_html: str) -> None:
    rows = sample_inputs()["top_accounts"]
    section = sample_html[sample_html.index('id="accounts"') : sample_html.index('id="rules"')]
    assert section.count("<tr>") == len(rows) + 1  # header + one per account
    positions = [section.index(f">{r['customer_id']}<") for r in rows]
    assert positions == sorted(positions)
    assert fmt_money(rows[0]["annual_revenue"]) in section
    assert "Kowalski Auto Body #5" in section
    # every account is in the one core-growth persona: said once, not repeated per row
    assert "(all in Repair shops: fast, easy reorders)" in section


def test_economics_rules_and_notes_appear(sample_html: str) -> None:
    data = sample_inputs()["report_data"]
    section = sample_html[sample_html.index('id="rules"') : sample_html.index('id="how-to-read"')]
    for rule in data["rules"]:
        assert _esc(rule) in section
    for note in data["notes"]:
        assert _esc(note) in section
    assert section.count("<li>") >= len(data["rules"]) + len(data["notes"])
    how = sample_html[sample_html.index('id="how-to-read"') :]
    assert "R and C compare" in how


# ---------------------------------------------------------------- self-contained, escaped


def test_plotly_is_inlined_exactly_once_and_nothing_loads_from_the_network(sample_html: str) -> None:
    library = BASIC_BUNDLE.read_text(encoding="utf-8")  # the sample draws scatter traces only
    assert library.count("plotly.js (basic - minified) v") == 1
    assert sample_html.count("plotly.js (basic - minified) v") == 1
    assert sample_html.count(library[:5000]) == 1
    assert get_plotlyjs()[:5000] not in sample_html
    assert sample_html.count('id="plotly-library"') == 1
    script_tags = re.findall(r"<script\b[^>]*>", sample_html, flags=re.I)
    assert script_tags and not [t for t in script_tags if re.search(r"\bsrc\s*=", t, flags=re.I)]
    assert not re.search(r"<script[^>]+src\s*=\s*[\"']?https?://", sample_html, flags=re.I)
    assert not re.search(r"<link\b[^>]*href\s*=\s*[\"']?https?://", sample_html, flags=re.I)
    assert "cdn.plot.ly" not in sample_html.replace(library, "")
    assert "@import" not in sample_html


def test_the_partial_bundle_is_the_plotly_packages_version_and_used_only_for_its_trace_types() -> None:
    """The basic bundle must match the plotly.js the plotly package writes figures for; upgrading plotly
    without replacing service/reports/static/plotly-basic.min.js fails here."""
    basic, full = BASIC_BUNDLE.read_text(encoding="utf-8"), get_plotlyjs()
    assert bundle_version(basic) == bundle_version(full) == get_plotlyjs_version()
    assert len(basic) < len(full) / 3
    assert plotly_js(["scatter", "bar"]).startswith(basic[:200])
    assert plotly_js(["scatter", "scattergl"]).startswith(full[:200])


def test_quotes_and_labels_are_escaped() -> None:
    inputs = sample_inputs()
    persona = inputs["personas"]["personas"][2]
    persona["quotes"].append(f"Your portal is broken {EVIL} & nobody answers")
    persona["label"] = f'<img src=x onerror="alert(1)"> {EVIL}'
    persona["label_is_human"] = True
    persona["motivations"].append({"text": "<b>bold</b> claim", "count": 3})
    persona["summary"] = f"They get in touch {EVIL}."
    example = {"transcript_id": "<u>7</u>", "quote": f"<em>job</em> {EVIL}"}
    persona["jobs"][0]["examples"] = [example]
    persona["consequences"].append({"text": "<s>lost</s> sales", "count": 2, "examples": [example]})
    inputs["top_accounts"][0]["name"] = "<i>Acme</i> & Co"
    page = render(inputs)
    assert "<script>alert" not in page
    assert "<em>job</em>" not in page and "<u>7</u>" not in page and "<s>lost</s>" not in page
    assert "&lt;em&gt;job&lt;/em&gt;" in page and "They get in touch &lt;script&gt;" in page
    assert "<img src=x" not in page
    assert "<b>bold</b>" not in page and "<i>Acme</i>" not in page
    assert (
        "Your portal is broken &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; nobody answers" in page
    )
    assert "&lt;i&gt;Acme&lt;/i&gt; &amp; Co" in page
    # the chart JSON holds the label entity-escaped for Plotly (which reads a little HTML) and never a raw "<"
    quadrant = _figure(page, "chart-quadrant")
    names = [trace["name"] for trace in quadrant["data"]]
    assert any("&lt;img src=x" in name for name in names)
    assert all("<" not in name for name in names)


def test_chart_divs_exist_inside_chart_containers_with_stable_ids(sample_html: str) -> None:
    for div_id in CHART_IDS:
        assert sample_html.count(f'id="{div_id}"') == 1
        container = re.search(
            rf'<div class="chart" data-chart="{div_id}">\s*<div[^>]*>\s*<div id="{div_id}"', sample_html
        )
        assert container, div_id
        assert re.search(rf'Plotly\.newPlot\(\s*"{div_id}"', sample_html)


def test_charts_label_personas_by_label_not_id(sample_html: str) -> None:
    personas = sample_inputs()["personas"]["personas"]
    labels = [p["label"] for p in personas]
    map_names = [t["name"] for t in _figure(sample_html, "chart-map")["data"]]
    share_names = [t["name"] for t in _figure(sample_html, "chart-share")["data"]]
    quadrant = _figure(sample_html, "chart-quadrant")["data"]
    assert map_names == labels
    assert share_names == labels
    assert [t["text"][0] for t in quadrant] == labels
    assert not any(p["id"] in " ".join(map_names + share_names) for p in personas)
    # the map carries every customer; the share chart every month
    assert sum(len(t["x"]) for t in _figure(sample_html, "chart-map")["data"]) == len(
        sample_inputs()["report_data"]["map"]["points"]
    )
    assert all(len(t["x"]) == 12 for t in _figure(sample_html, "chart-share")["data"])
    # one colour per persona, the same on the map and in the share chart
    map_colours = [t["marker"]["color"] for t in _figure(sample_html, "chart-map")["data"]]
    share_colours = [t["line"]["color"] for t in _figure(sample_html, "chart-share")["data"]]
    assert map_colours == share_colours and len(set(map_colours)) == len(labels)


# ---------------------------------------------------------------- edge cases


def test_a_persona_without_revenue_data_renders_at_r_zero_and_says_so() -> None:
    inputs = sample_inputs()
    persona = inputs["personas"]["personas"][3]
    persona.update(revenue_index=None, margin_per_customer=None, grade="B")
    persona["revenue"] = {"total": 0.0, "per_customer": None}
    page = render(inputs)
    card = page[page.index(f'id="persona-{persona["id"]}"') :]
    card = card[: card.index("</article>")]
    assert "revenue index R is unknown" in card and "R = 0" in card
    assert "n/a (shown at 0)" in page
    assert "No revenue data:" in page
    trace = next(t for t in _figure(page, "chart-quadrant")["data"] if persona["label"] in t["text"][0])
    assert trace["y"] == [0.0]
    assert "no revenue data" in trace["text"][0]


def test_empty_share_over_time_and_empty_lists_render() -> None:
    inputs = sample_inputs()
    inputs["report_data"]["share_over_time"] = {"months": [], "shares": {}}
    inputs["report_data"]["pond"] = {"in": [], "out": []}
    inputs["report_data"]["notes"] = []
    inputs["report_data"]["map"]["points"] = []
    inputs["top_accounts"] = []
    for p in inputs["personas"]["personas"]:
        p.update(quotes=[], jobs=[], motivations=[], consequences=[], pond={"in": [], "out": []}, keywords=[])
        p.update(core_growth_note=None)
    page = render(inputs)
    for div_id in CHART_IDS:
        assert f'id="{div_id}"' in page
    assert "No contact in this run has a start date" in page
    assert "No dated contacts in this run" in page  # the annotation in the empty chart frame
    assert "No customer map was stored for this run." in page
    assert "No core-growth customer has an account" in page
    assert "no attribute value reaches lift 1.25" in page
    assert "Notes on this run" not in page


def test_a_run_with_nothing_optional_renders() -> None:
    """No quotes, jobs, phrases, ponds, map, months, accounts, timings or notes: no crash, dashes for figures."""
    inputs = sample_inputs()
    inputs["personas"]["personas"] = inputs["personas"]["personas"][:1]
    only = inputs["personas"]["personas"][0]
    only.update(
        quotes=[], jobs=[], motivations=[], consequences=[], keywords=[], pond={"in": [], "out": []},
        avg_handle_minutes=None, margin_per_customer=None, core_growth_note=None,
    )  # fmt: skip
    inputs["run"].update(model_name=None, params={})
    inputs["report_data"] = {}
    inputs["top_accounts"] = []
    page = render(inputs)
    assert only["label"] in page and "Grade A" in page
    assert "22 Nov 2026, 19:20 UTC" in page
    for div_id in CHART_IDS:
        assert f'id="{div_id}"' in page


def test_duplicate_labels_are_told_apart() -> None:
    inputs = sample_inputs()
    first, second = inputs["personas"]["personas"][:2]
    second["label"] = first["label"]
    page = render(inputs)
    names = [t["name"] for t in _figure(page, "chart-map")["data"]]
    assert len(set(names)) == len(names) == 4
    assert f"{first['label']} ({first['id'][:8]})" in names


def test_generated_at_may_be_a_datetime_or_an_iso_string() -> None:
    inputs = sample_inputs()
    as_datetime = render(inputs)
    inputs["personas"]["generated_at"] = inputs["personas"]["generated_at"].isoformat()
    assert render(inputs) == as_datetime  # also: rendering is deterministic


# ---------------------------------------------------------------- print and file name


def test_print_stylesheet_keeps_cards_whole_and_charts_in_the_page(sample_html: str) -> None:
    style = re.search(r"<style>(.*?)</style>", sample_html, flags=re.S)
    assert style
    css = style.group(1)
    assert "@media print" in css
    printed = css[css.index("@media print") :]
    assert re.search(r"\.card[^{]*\{[^}]*break-inside:\s*avoid", printed)
    assert "box-shadow: none" in printed
    assert re.search(r"\.chart[^{]*\{[^}]*max-width:\s*100%", printed)
    # charts are redrawn at the page width before printing
    assert "beforeprint" in sample_html and "afterprint" in sample_html


def test_report_filename() -> None:
    assert report_filename(RUN_ID) == "persona-report-3f9c2a71.html"
    assert report_filename("../../etc/passwd") == "persona-report-etcpassw.html"
    assert report_filename("") == "persona-report-run.html"


# ---------------------------------------------------------------- in a real browser


def _driver() -> Any:
    return chromium_driver()


@pytest.mark.browser
def test_charts_render_in_headless_chromium(sample_html: str, tmp_path: Path) -> None:
    page = tmp_path / report_filename(RUN_ID)
    page.write_text(sample_html, encoding="utf-8")
    driver = _driver()
    try:
        driver.get(page.as_uri())
        deadline = time.monotonic() + 30
        rendered = 0
        while time.monotonic() < deadline:
            rendered = driver.execute_script(
                "return document.querySelectorAll('.chart .plot-container').length"
            )
            if rendered == len(CHART_IDS):
                break
            time.sleep(0.2)
        assert rendered == len(CHART_IDS)
        for div_id in CHART_IDS:
            assert driver.execute_script(f"return document.querySelector('#{div_id} .main-svg') !== null"), (
                div_id
            )
        points = driver.execute_script(
            "return document.querySelectorAll('#chart-map .scatterlayer .point').length"
        )
        assert points == len(sample_inputs()["report_data"]["map"]["points"])
        errors = [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
        assert not errors, errors
        # before printing, the charts are redrawn to fit an A4/Letter page
        driver.execute_script("window.dispatchEvent(new Event('beforeprint'))")
        widths = driver.execute_script(
            "return Array.from(document.querySelectorAll('.chart .main-svg:first-child'))"
            ".map(function (s) { return Number(s.getAttribute('width')); })"
        )
        assert widths and max(widths) <= 720
        driver.execute_script("window.dispatchEvent(new Event('afterprint'))")
    finally:
        driver.quit()
