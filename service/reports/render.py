"""The HTML persona report: one self-contained file (Plotly inlined once, CSS inlined, no network).

`render_report` is pure: plain dicts in (the `GET /v1/personas` payload, the run, its stored report data and
the top core-growth accounts), a string of HTML out. All text goes through Jinja2 autoescaping: persona
labels can be typed by people and quotes are customer text.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from pipelines.plots import GRADE_COLOURS, PERSONA_PALETTE
from pipelines.pond import finite_number
from service.reports.charts import ChartPersona, map_chart, plotly_js, quadrant_chart, share_chart

TEMPLATES = Path(__file__).parent / "templates"
TEMPLATE_NAME = "report.html.j2"
CSS_NAME = "report.css"
GRADE_NAMES = {"A": "grow", "B": "serve as is", "C": "avoid or fix"}
SENTIMENT_NEUTRAL = 0.05  # VADER's conventional band around 0
UNMATCHED_SHOWN = 20
DASH = "\u2014"


# ---------------------------------------------------------------- formatting (also the template's filters)


def fmt_money(value: Any) -> str:
    """1234567.8 -> "1,234,568"; 12.345 -> "12.35"; None -> an em dash."""
    number = finite_number(value)
    if number is None:
        return DASH
    return f"{number:,.0f}" if abs(number) >= 100 else f"{number:,.2f}"


def fmt_money_short(value: Any) -> str:
    """Compact money for headline figures: 2280000 -> "2.28M", 38250 -> "38.3k"."""
    number = finite_number(value)
    if number is None:
        return DASH
    size = abs(number)
    if size >= 1e9:
        return f"{number / 1e9:.2f}B"
    if size >= 1e6:
        return f"{number / 1e6:.2f}M"
    if size >= 1e4:
        return f"{number / 1e3:.1f}k"
    return fmt_money(number)


def fmt_int(value: Any) -> str:
    number = finite_number(value)
    return DASH if number is None else f"{round(number):,}"


def fmt_pct(value: Any, digits: int = 0) -> str:
    """A share 0..1 as a percentage."""
    number = finite_number(value)
    return DASH if number is None else f"{100 * number:.{digits}f}%"


def fmt_ratio(value: Any, digits: int = 2) -> str:
    number = finite_number(value)
    return DASH if number is None else f"{number:.{digits}f}"


def fmt_lift(value: Any) -> str:
    number = finite_number(value)
    return DASH if number is None else f"\u00d7{number:.2f}"


def fmt_signed(value: Any, digits: int = 2) -> str:
    number = finite_number(value)
    return DASH if number is None else f"{number:+.{digits}f}"


def _as_datetime(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def fmt_date(value: Any) -> str:
    moment = _as_datetime(value)
    if moment is None:
        return DASH if value in (None, "") else str(value)
    return f"{moment.day} {moment:%b %Y}"


def fmt_datetime(value: Any) -> str:
    moment = _as_datetime(value)
    if moment is None:
        return DASH if value in (None, "") else str(value)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
        return f"{moment.day} {moment:%b %Y, %H:%M} UTC"
    return f"{moment.day} {moment:%b %Y, %H:%M}"


def fmt_seconds(value: Any) -> str:
    number = finite_number(value)
    if number is None:
        return DASH
    return f"{number:.1f} s" if number < 90 else f"{number / 60:.1f} min"


def sentiment_word(value: Any) -> str:
    number = finite_number(value)
    if number is None:
        return "unknown"
    if number >= SENTIMENT_NEUTRAL:
        return "positive"
    if number <= -SENTIMENT_NEUTRAL:
        return "negative"
    return "neutral"


def report_filename(run_id: str) -> str:
    """`persona-report-<first 8 characters of the run id>.html` (only letters, digits, - and _ kept)."""
    safe = re.sub(r"[^A-Za-z0-9_-]", "", str(run_id))[:8]
    return f"persona-report-{safe or 'run'}.html"


# ---------------------------------------------------------------- view model


def _display_labels(personas: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Persona id -> a label unique in this report (a repeated or blank label gains part of its id)."""
    raw = {str(p["id"]): (str(p.get("label") or "").strip() or str(p["id"])) for p in personas}
    counts = Counter(raw.values())
    return {pid: (label if counts[label] == 1 else f"{label} ({pid[:8]})") for pid, label in raw.items()}


def _persona_view(p: Mapping[str, Any], label: str, colour: str) -> dict[str, Any]:
    revenue = p.get("revenue") or {}
    cost = p.get("cost_to_serve") or {}
    pond = p.get("pond") or {}
    grade = str(p.get("grade") or "B")
    jobs = sorted(p.get("jobs") or [], key=lambda j: -(finite_number(j.get("share")) or 0.0))
    return {
        "id": str(p["id"]),
        "anchor": "persona-" + re.sub(r"[^A-Za-z0-9_-]", "-", str(p["id"])),
        "label": label,
        "label_is_human": bool(p.get("label_is_human")),
        "colour": colour,
        "grade": grade,
        "grade_name": GRADE_NAMES.get(grade, ""),
        "core_growth": bool(p.get("core_growth")),
        "core_growth_note": p.get("core_growth_note"),
        "customers": p.get("customers", 0),
        "transcripts": p.get("transcripts", 0),
        "share": p.get("share"),
        "revenue_total": revenue.get("total"),
        "revenue_per_customer": revenue.get("per_customer"),
        "cost_total": cost.get("total"),
        "cost_per_customer": cost.get("per_customer"),
        "cost_per_contact": cost.get("per_contact"),
        "margin_per_customer": p.get("margin_per_customer"),
        "contacts_per_customer": p.get("contacts_per_customer"),
        "avg_handle_minutes": p.get("avg_handle_minutes"),
        "r": finite_number(p.get("revenue_index")),
        "c": finite_number(p.get("cost_index")),
        "sentiment": p.get("sentiment"),
        "sentiment_word": sentiment_word(p.get("sentiment")),
        "keywords": [str(k) for k in p.get("keywords") or []],
        "quotes": [str(q) for q in p.get("quotes") or []],
        "jobs": [
            {
                "label": str(j.get("label", "")),
                "keywords": [str(k) for k in j.get("keywords") or []],
                "transcripts": j.get("transcripts"),
                "share": finite_number(j.get("share")) or 0.0,
            }
            for j in jobs
        ],
        "motivations": list(p.get("motivations") or []),
        "consequences": list(p.get("consequences") or []),
        "pond_in": list(pond.get("in") or []),
        "pond_out": list(pond.get("out") or []),
    }


def _headline(views: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The few sentences a CX leader reads first: who to grow, who to fix."""
    core = next((v for v in views if v["core_growth"]), None)
    return {
        "core": core,
        "grade_a": [v for v in views if v["grade"] == "A"],
        "grade_c": [v for v in views if v["grade"] == "C"],
        "no_revenue": [v for v in views if v["r"] is None],
    }


def _summary(personas: Mapping[str, Any], run: Mapping[str, Any], data: Mapping[str, Any]) -> dict[str, Any]:
    totals = personas.get("totals") or {}
    run_summary = run.get("summary") or {}
    params = run.get("params") or {}
    customers = finite_number(totals.get("customers")) or 0.0
    matched = finite_number(totals.get("matched_customers"))
    revenue = finite_number(totals.get("revenue"))
    cost = finite_number(totals.get("cost_to_serve"))
    window = list(data.get("data_window") or [None, None]) + [None, None]
    unmatched_ids = [str(c) for c in data.get("unmatched_customer_ids") or []]
    unmatched = run_summary.get("unmatched_customers")
    if unmatched is None:
        unmatched = len(unmatched_ids) if unmatched_ids or matched is None else customers - matched
    timings = {str(k): v for k, v in (data.get("timings") or {}).items() if finite_number(v) is not None}
    return {
        "customers": totals.get("customers"),
        "matched_customers": matched,
        "unmatched_customers": unmatched,
        "unmatched_ids": unmatched_ids[:UNMATCHED_SHOWN],
        "unmatched_more": max(len(unmatched_ids) - UNMATCHED_SHOWN, 0),
        "transcripts": totals.get("transcripts", run_summary.get("transcripts")),
        "revenue": revenue,
        "cost_to_serve": cost,
        "revenue_per_customer": revenue / matched if revenue is not None and matched else None,
        "cost_per_customer": cost / customers if cost is not None and customers else None,
        "margin": revenue - cost if revenue is not None and cost is not None else None,
        "run_date": run.get("finished_at") or run.get("created_at"),
        "generated_at": personas.get("generated_at"),
        "window_from": window[0] or params.get("since"),
        "window_to": window[1] or params.get("until"),
        "quality": data.get("quality", run_summary.get("quality")),
        "quality_metric": data.get("quality_metric") or run_summary.get("quality_metric") or "",
        "criterion": data.get("criterion") or "",
        "chosen_k": data.get("chosen_k"),
        "min_personas": params.get("min_personas"),
        "max_personas": params.get("max_personas"),
        "model_name": run.get("model_name") or DASH,
        "map_method": (data.get("map") or {}).get("method") or "",
        "timings": timings,
        "total_seconds": sum(float(v) for v in timings.values()) if timings else None,
    }


def _accounts(rows: Sequence[Mapping[str, Any]], label_of: Mapping[str, str]) -> list[dict[str, Any]]:
    return [
        {
            **row,
            "persona_label": label_of.get(str(row.get("persona_id")), str(row.get("persona_id") or DASH)),
            "name": row.get("name") or None,
        }
        for row in rows
    ]


# ---------------------------------------------------------------- rendering


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
        money=fmt_money,
        money_short=fmt_money_short,
        int=fmt_int,
        pct=fmt_pct,
        ratio=fmt_ratio,
        lift=fmt_lift,
        signed=fmt_signed,
        date=fmt_date,
        datetime=fmt_datetime,
        seconds=fmt_seconds,
    )
    return env


@lru_cache(maxsize=1)
def _css() -> str:
    return (TEMPLATES / CSS_NAME).read_text(encoding="utf-8")


def render_report(
    *,
    personas: dict[str, Any],
    run: dict[str, Any],
    report_data: dict[str, Any],
    top_accounts: list[dict[str, Any]],
) -> str:
    """The persona report of one run as a self-contained HTML page (works offline, prints on A4/Letter)."""
    items: list[Mapping[str, Any]] = list(personas.get("personas") or [])
    label_of = _display_labels(items)
    colour_of = {pid: PERSONA_PALETTE[i % len(PERSONA_PALETTE)] for i, pid in enumerate(label_of)}
    views = [_persona_view(p, label_of[str(p["id"])], colour_of[str(p["id"])]) for p in items]
    colour_by_label = {label_of[pid]: colour for pid, colour in colour_of.items()}

    chart_personas = [
        ChartPersona(
            v["id"], v["label"], v["r"], v["c"] or 0.0, int(v["customers"] or 0), v["grade"], v["core_growth"]
        )
        for v in views
    ]
    map_data = report_data.get("map") or {}
    share = report_data.get("share_over_time") or {}
    months = [str(m) for m in share.get("months") or []]
    raw_shares: Mapping[str, Sequence[float]] = share.get("shares") or {}
    # persona order, then any ids the personas list does not know (kept under their id)
    share_ids = [pid for pid in label_of if pid in raw_shares] + [
        pid for pid in raw_shares if pid not in label_of
    ]
    shares = {label_of.get(pid, pid): [finite_number(v) or 0.0 for v in raw_shares[pid]] for pid in share_ids}

    accounts = _accounts(top_accounts, label_of)
    context = {
        "run_id": str(personas.get("run_id") or run.get("id") or ""),
        "css": Markup(_css()),
        "plotly_js": Markup(plotly_js()),
        "summary": _summary(personas, run, report_data),
        "headline": _headline(views),
        "personas": views,
        "grade_colours": GRADE_COLOURS,
        "grade_names": GRADE_NAMES,
        "quadrant_chart": Markup(quadrant_chart(chart_personas)),
        "map_chart": Markup(
            map_chart(
                map_data.get("points") or [], label_of, colour_by_label, str(map_data.get("method") or "")
            )
        ),
        "map_points": len(map_data.get("points") or []),
        "share_chart": Markup(share_chart(months, shares, colour_by_label)),
        "share_months": months,
        "has_share": bool(months) and any(len(v) == len(months) for v in shares.values()),
        "pond_in": list((report_data.get("pond") or {}).get("in") or []),
        "pond_out": list((report_data.get("pond") or {}).get("out") or []),
        "accounts": accounts,
        "account_personas": list(dict.fromkeys(a["persona_label"] for a in accounts)),
        "rules": [str(r) for r in report_data.get("rules") or []],
        "notes": [str(n) for n in report_data.get("notes") or []],
    }
    return _environment().get_template(TEMPLATE_NAME).render(**context)
