"""The HTML persona report: one self-contained file (Plotly inlined once, CSS inlined, no network).

`render_report` is pure: the run's persona list, the run, its report data and the top core-growth accounts in
(typed, as the API serves them), a string of HTML out. All text goes through Jinja2 autoescaping: persona
labels can be typed by people and quotes are customer text.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from pipelines.plots import GRADE_COLOURS, PERSONA_PALETTE
from service.personas.schemas import CustomerRow, PersonaList
from service.reports import formatting, view
from service.reports.charts import ChartPersona, map_chart, plotly_js, quadrant_chart, share_chart
from service.reports.schemas import ReportData
from service.runs.schemas import RunRead

TEMPLATES = Path(__file__).parent / "templates"
TEMPLATE_NAME = "report.html.j2"
CSS_NAME = "report.css"


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        money=formatting.fmt_money,
        money_short=formatting.fmt_money_short,
        int=formatting.fmt_int,
        pct=formatting.fmt_pct,
        ratio=formatting.fmt_ratio,
        lift=formatting.fmt_lift,
        signed=formatting.fmt_signed,
        date=formatting.fmt_date,
        datetime=formatting.fmt_datetime,
        seconds=formatting.fmt_seconds,
    )
    return env


@lru_cache(maxsize=1)
def _css() -> str:
    return (TEMPLATES / CSS_NAME).read_text(encoding="utf-8")


def _charts(
    views: list[dict[str, Any]],
    label_of: dict[str, str],
    colour_of: dict[str, str],
    data: ReportData,
    other_traces: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """The three chart fragments and what the template says about them; `other_traces`: trace types drawn
    elsewhere on the page (the migration chart of "Since the last run"), which the inlined Plotly bundle must draw too."""
    colour_by_label = {label_of[pid]: colour for pid, colour in colour_of.items()}
    quadrant = [
        ChartPersona(
            v["id"], v["label"], v["r"], v["c"] or 0.0, int(v["customers"]), v["grade"], v["core_growth"]
        )
        for v in views
    ]
    points = [p.model_dump() for p in data.map.points]
    months, raw = data.share_over_time.months, data.share_over_time.shares
    # persona order, then any ids the personas list does not know (kept under their id)
    share_ids = [pid for pid in label_of if pid in raw] + [pid for pid in raw if pid not in label_of]
    shares = {label_of.get(pid, pid): list(raw[pid]) for pid in share_ids}
    charts = {
        "quadrant_chart": quadrant_chart(quadrant),
        "map_chart": map_chart(points, label_of, colour_by_label),
        "share_chart": share_chart(months, shares, colour_by_label),
    }
    return {
        **{name: Markup(chart.html) for name, chart in charts.items()},
        "plotly_js": Markup(
            plotly_js({t for chart in charts.values() for t in chart.trace_types} | other_traces)
        ),
        "map_points": len(points),
        "share_months": months,
        "has_share": bool(months) and any(len(v) == len(months) for v in shares.values()),
    }


def render_report(
    *,
    personas: PersonaList,
    run: RunRead,
    report_data: ReportData,
    top_accounts: list[CustomerRow],
    currencies: Mapping[str, int] | None = None,
    since_last_run: dict[str, Any] | None = None,
) -> str:
    """The persona report of one run as a self-contained HTML page (works offline, prints on A4/Letter);
    `since_last_run`: service/reports/changes.py's section, None for a first run."""
    label_of = view.display_labels(personas.personas)
    colour_of = {pid: PERSONA_PALETTE[i % len(PERSONA_PALETTE)] for i, pid in enumerate(label_of)}
    views = [view.persona_view(p, label_of[p.id], colour_of[p.id]) for p in personas.personas]
    accounts = view.accounts(top_accounts, label_of)
    money = view.currency(currencies or {})
    run_summary = view.summary(personas, run, report_data)
    context = {
        "currency_code": money["code"],
        "currency_note": money["note"],
        "currency_mixed": money["mixed"],
        "run_id": personas.run_id or run.id,
        "css": Markup(_css()),
        "summary": run_summary,
        "how_to_read": view.how_to_read(views, run_summary),
        "headline": view.headline(views),
        "personas": views,
        "grade_colours": GRADE_COLOURS,
        "grade_names": view.GRADE_NAMES,
        **_charts(
            views, label_of, colour_of, report_data, (since_last_run or {}).get("trace_types", frozenset())
        ),
        "pond_in": [e.model_dump() for e in report_data.pond.in_],
        "pond_out": [e.model_dump() for e in report_data.pond.out],
        "accounts": accounts,
        "account_personas": list(dict.fromkeys(a["persona_label"] for a in accounts)),
        "rules": list(report_data.rules),
        "notes": view.notes(personas.personas, report_data),
        "since": since_last_run,
    }
    return _environment().get_template(TEMPLATE_NAME).render(**context)
