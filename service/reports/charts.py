"""The report's three charts as HTML fragments, built from the pure figures in `pipelines.plots`.

Every fragment is `<div class="chart">` around Plotly's own div (stable id) and its `newPlot` script; the
Plotly library itself is inlined once by the page (see `plotly_js`), never fetched from a CDN: plotly.js's own
"basic" partial bundle (scatter, bar, pie: 1.2 MB instead of 4.8 MB; `static/`, from the npm package
plotly.js-basic-dist-min at the plotly.js version the plotly package bundles) when every trace is one of those,
else the full bundle of the plotly package (a map of more than `WEBGL_ABOVE` customers is drawn with WebGL).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from pipelines.plots import QuadrantPoint, persona_map, persona_share_over_time, value_cost_quadrant

QUADRANT_ID, MAP_ID, SHARE_ID = "chart-quadrant", "chart-map", "chart-share"
HEIGHTS = {QUADRANT_ID: 500, MAP_ID: 500, SHARE_ID: 380}
EMPTY_HEIGHT = 170
# No Plotly logo link, no "edit in Chart Studio": the file must work offline and link nowhere.
UNKNOWN_COLOUR = "#9e9e9e"
PLOT_CONFIG = {"displaylogo": False, "responsive": True, "showSendToCloud": False}


@dataclass(frozen=True)
class ChartPersona:
    """What a chart needs of one persona; `label` is the unique display label."""

    id: str
    label: str
    r: float | None
    c: float
    customers: int
    grade: str
    core_growth: bool


BASIC_BUNDLE = Path(__file__).parent / "static" / "plotly-basic.min.js"
BASIC_TRACES = frozenset({"scatter", "bar", "pie"})


@dataclass(frozen=True)
class ChartFragment:
    """A chart's HTML and the Plotly trace types it draws (which decide the bundle the page needs)."""

    html: str
    trace_types: frozenset[str]


def bundle_version(source: str) -> str | None:
    """The plotly.js version a bundle's licence header names ("plotly.js (basic - minified) v4.1.1")."""
    match = re.search(r"plotly\.js[^\n]*? v(\d+\.\d+\.\d+)", source[:400])
    return match.group(1) if match else None


def _inline_safe(source: str) -> str:
    # A literal "</script" would end the element early; "<\/" means the same inside JS strings and regexes.
    return source.replace("</script", "<\\/script").replace("</SCRIPT", "<\\/SCRIPT")


@lru_cache(maxsize=2)
def _bundle(basic: bool) -> str:
    return _inline_safe(BASIC_BUNDLE.read_text(encoding="utf-8") if basic else get_plotlyjs())


def plotly_js(trace_types: Iterable[str] = ()) -> str:
    """The smallest Plotly bundle that draws these trace types, safe inside one inline <script> element."""
    return _bundle(set(trace_types) <= BASIC_TRACES)


def plot_text(text: str) -> str:
    """Text for Plotly to draw: Plotly reads a subset of HTML (<b>, <a href>, ...) in labels, so customer
    and user text is entity-escaped; Plotly turns the entities back into the characters when it draws."""
    return html.escape(text, quote=False)


def chart_fragment(fig: go.Figure, div_id: str, height: int | None = None) -> ChartFragment:
    height = height or HEIGHTS[div_id]
    fig.update_layout(height=height, autosize=True)
    # Plotly writes the figure as JSON with "<" escaped to \u003c, so no label can close the script.
    inner = fig.to_html(
        full_html=False,
        include_plotlyjs=False,
        include_mathjax=False,
        div_id=div_id,
        config=PLOT_CONFIG,
        default_width="100%",
        default_height=f"{height}px",
    )
    types = frozenset(str(trace.type) for trace in fig.data)
    return ChartFragment(f'<div class="chart" data-chart="{div_id}">{inner}</div>', types)


def quadrant_chart(personas: Sequence[ChartPersona]) -> ChartFragment:
    """Value (R) against cost (C) bubbles; a persona with no revenue data sits at R = 0, marked as such."""
    points = [
        QuadrantPoint(
            label=plot_text(p.label if p.r is not None else f"{p.label} (no revenue data: R shown as 0)"),
            r=p.r if p.r is not None else 0.0,
            c=p.c,
            customers=p.customers,
            grade=p.grade,
            core_growth=p.core_growth,
        )
        for p in personas
    ]
    fig = value_cost_quadrant(points)
    fig.update_traces(cliponaxis=False)  # a label near an edge may run into the margin rather than be cut
    fig.update_layout(legend={"orientation": "h", "yanchor": "top", "y": -0.14, "x": 0})
    return chart_fragment(fig, QUADRANT_ID)


def _empty_note(text: str) -> dict[str, object]:
    """A centred note in place of an empty chart's plot area."""
    return {
        "text": text,
        "xref": "paper",
        "yref": "paper",
        "x": 0.5,
        "y": 0.5,
        "showarrow": False,
        "font": {"size": 14, "color": "#666666"},
    }


def _recolour(fig: go.Figure, colour_of: Mapping[str, str], *, lines: bool) -> None:
    """Give each persona's trace the colour the rest of the report uses for it (matched by trace name)."""
    for trace in fig.data:
        colour = colour_of.get(trace.name, UNKNOWN_COLOUR)
        if lines:
            trace.update(line={"color": colour})
        else:
            trace.update(marker={"color": colour})


def map_chart(
    points: Sequence[Mapping[str, object]],
    label_of: Mapping[str, str],
    colour_of: Mapping[str, str],
) -> ChartFragment:
    """Every customer on the 2-D map, coloured by persona (`label_of`: persona id -> display label)."""
    order = {persona_id: i for i, persona_id in enumerate(label_of)}
    ordered = sorted(points, key=lambda p: order.get(str(p["persona_id"]), len(order)))
    labels = [plot_text(label_of.get(str(p["persona_id"]), str(p["persona_id"]))) for p in ordered]
    fig = persona_map(
        [float(str(p["x"])) for p in ordered],
        [float(str(p["y"])) for p in ordered],
        labels,
        hover_texts=[plot_text(str(p["customer_id"])) for p in ordered],
        # Short, in words: the method's parameters are in the report's Method section, and a long title would
        # run under Plotly's toolbar (top right).
        title="Customers by persona",
    )
    _recolour(fig, {plot_text(label): colour for label, colour in colour_of.items()}, lines=False)
    if not ordered:
        fig.update_xaxes(visible=False)
        fig.update_yaxes(visible=False)
        fig.update_layout(annotations=[_empty_note("No customer map was stored for this run.")])
        return chart_fragment(fig, MAP_ID, height=EMPTY_HEIGHT)
    return chart_fragment(fig, MAP_ID)


def share_chart(
    months: Sequence[str], shares: Mapping[str, Sequence[float]], colour_of: Mapping[str, str]
) -> ChartFragment:
    """Stacked monthly share per persona; with no dated contacts, an empty frame saying so."""
    usable = {
        plot_text(label): list(values) for label, values in shares.items() if len(values) == len(months)
    }
    if not months or not usable:
        fig = persona_share_over_time([], {})
        fig.update_xaxes(visible=False)
        fig.update_yaxes(visible=False)
        fig.update_layout(
            annotations=[_empty_note("No dated contacts in this run: share by month cannot be shown.")]
        )
        return chart_fragment(fig, SHARE_ID, height=EMPTY_HEIGHT)
    fig = persona_share_over_time(list(months), usable, title="Persona share of contacts by month")
    fig.update_layout(
        legend={"orientation": "h", "yanchor": "top", "y": -0.22, "x": 0, "traceorder": "normal"}
    )
    _recolour(fig, {plot_text(label): colour for label, colour in colour_of.items()}, lines=True)
    return chart_fragment(fig, SHARE_ID)
