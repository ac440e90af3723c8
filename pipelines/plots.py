"""Plotly figures for the persona report and dashboard: pure functions from plain data to figures."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import plotly.graph_objects as go

TEMPLATE = "plotly_white"
FONT = {"family": "Inter, Helvetica, Arial, sans-serif", "size": 13}
GRADE_COLOURS = {"A": "#2e8b57", "B": "#d9a21b", "C": "#c0392b"}
PERSONA_PALETTE = ("#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2", "#9d755d", "#bab0ac")
WEBGL_ABOVE = 5000  # SVG scatter gets slow past a few thousand points; WebGL ships in the bundled plotly.js
MIN_BUBBLE_PX, MAX_BUBBLE_PX = 18.0, 70.0


@dataclass(frozen=True)
class QuadrantPoint:
    """One persona on the value/cost quadrant: R and C are ratios to the all-customer average."""

    label: str
    r: float  # revenue per customer / overall revenue per customer
    c: float  # cost to serve per customer / overall cost per customer
    customers: int
    grade: str  # "A" | "B" | "C"
    core_growth: bool = False


def persona_colours(labels: Sequence[str]) -> dict[str, str]:
    """A stable colour per persona label, in order of first appearance."""
    ordered = list(dict.fromkeys(labels))
    return {label: PERSONA_PALETTE[i % len(PERSONA_PALETTE)] for i, label in enumerate(ordered)}


def _styled(fig: go.Figure, title: str, x_title: str, y_title: str) -> go.Figure:
    """The look every figure shares, so report and dashboard match."""
    fig.update_layout(
        template=TEMPLATE,
        title={"text": title, "x": 0.02, "xanchor": "left"},
        font=FONT,
        margin={"l": 60, "r": 20, "t": 60, "b": 50},
        legend={"title": {"text": ""}, "itemsizing": "constant"},
        xaxis_title=x_title,
        yaxis_title=y_title,
    )
    return fig


def persona_map(
    x: Sequence[float],
    y: Sequence[float],
    persona_labels: Sequence[str],
    hover_texts: Sequence[str] | None = None,
    title: str = "Customers by persona",
) -> go.Figure:
    """2-D map of customers (e.g. UMAP coordinates), one trace per persona."""
    n = len(persona_labels)
    if len(x) != n or len(y) != n or (hover_texts is not None and len(hover_texts) != n):
        raise ValueError("x, y, persona_labels and hover_texts must have the same length")
    colours = persona_colours(persona_labels)
    scatter = go.Scattergl if n > WEBGL_ABOVE else go.Scatter
    fig = go.Figure()
    for label, colour in colours.items():
        rows = [i for i in range(n) if persona_labels[i] == label]
        fig.add_trace(
            scatter(
                x=[float(x[i]) for i in rows],
                y=[float(y[i]) for i in rows],
                mode="markers",
                name=label,
                marker={"color": colour, "size": 7, "opacity": 0.8},
                text=[hover_texts[i] for i in rows] if hover_texts is not None else None,
                hovertemplate=("%{text}" if hover_texts is not None else label)
                + "<extra>"
                + label
                + "</extra>",
            )
        )
    fig = _styled(fig, title, "dimension 1", "dimension 2")
    # the coordinates of a 2-D embedding carry no units, so the tick labels would only distract
    fig.update_xaxes(showticklabels=False, zeroline=False)
    fig.update_yaxes(showticklabels=False, zeroline=False)
    return fig


def bubble_sizes(customers: Sequence[int]) -> list[float]:
    """Marker diameters in pixels whose areas follow the customer counts."""
    largest = max([*customers, 1])
    return [
        MIN_BUBBLE_PX + (MAX_BUBBLE_PX - MIN_BUBBLE_PX) * math.sqrt(max(n, 0) / largest) for n in customers
    ]


def _quadrant_annotations(x_max: float, y_max: float) -> list[dict[str, object]]:
    corners = (
        (0.0, y_max, "left", "top", "Core growth: high value, low cost", GRADE_COLOURS["A"]),
        (x_max, y_max, "right", "top", "High value, high cost", "#666666"),
        (0.0, 0.0, "left", "bottom", "Low value, low cost", "#666666"),
        (x_max, 0.0, "right", "bottom", "Avoid / fix: low value, high cost", GRADE_COLOURS["C"]),
    )
    return [
        {
            "x": x,
            "y": y,
            "xanchor": xa,
            "yanchor": ya,
            "text": text,
            "showarrow": False,
            "font": {"color": colour, "size": 12},
        }
        for x, y, xa, ya, text, colour in corners
    ]


def value_cost_quadrant(
    personas: Sequence[QuadrantPoint], title: str = "Personas by value and cost to serve"
) -> go.Figure:
    """Bubble chart: x = C (cost ratio), y = R (revenue ratio), size = customers, colour = grade."""
    x_max = max([2.0, *(1.15 * p.c for p in personas)])
    y_max = max([2.0, *(1.15 * p.r for p in personas)])
    sizes = bubble_sizes([p.customers for p in personas])
    fig = go.Figure()
    for point, size in zip(personas, sizes, strict=True):
        grade_text = f"{point.grade}, core growth" if point.core_growth else point.grade
        fig.add_trace(
            go.Scatter(
                x=[point.c],
                y=[point.r],
                mode="markers+text",
                name=f"{point.label} ({grade_text})",
                text=[point.label],
                textposition="top center",
                marker={
                    "size": [size],
                    "color": GRADE_COLOURS.get(point.grade, "#888888"),
                    "opacity": 0.75,
                    "line": {"width": 3 if point.core_growth else 1, "color": "#1f1f1f"},
                },
                customdata=[[point.customers, grade_text]],
                hovertemplate=(
                    f"<b>{point.label}</b><br>R = %{{y:.2f}}<br>C = %{{x:.2f}}"
                    "<br>customers: %{customdata[0]}<br>grade: %{customdata[1]}<extra></extra>"
                ),
            )
        )
    dashed = {"color": "#555555", "width": 1.5, "dash": "dash"}
    fig.add_shape(type="line", x0=1, x1=1, y0=0, y1=y_max, line=dashed, layer="below")
    fig.add_shape(type="line", x0=0, x1=x_max, y0=1, y1=1, line=dashed, layer="below")
    fig = _styled(
        fig, title, "C: cost to serve per customer (x average)", "R: revenue per customer (x average)"
    )
    fig.update_layout(annotations=_quadrant_annotations(x_max, y_max))
    fig.update_xaxes(range=[0, x_max], zeroline=False)
    fig.update_yaxes(range=[0, y_max], zeroline=False)
    return fig


def persona_share_over_time(
    months: Sequence[str],
    shares: Mapping[str, Sequence[float]],
    stacked: bool = True,
    title: str = "Persona share over time",
) -> go.Figure:
    """Share of customers (or contacts) per persona by month: stacked areas, or lines if not stacked."""
    for label, values in shares.items():
        if len(values) != len(months):
            raise ValueError(f"{label!r} has {len(values)} values for {len(months)} months")
    colours = persona_colours(list(shares))
    fig = go.Figure()
    for label, values in shares.items():
        fig.add_trace(
            go.Scatter(
                x=list(months),
                y=[float(v) for v in values],
                name=label,
                mode="lines",
                line={"color": colours[label], "width": 2 if not stacked else 0.5},
                stackgroup="share" if stacked else None,
                hovertemplate=f"{label}<br>%{{x}}: %{{y:.1%}}<extra></extra>",
            )
        )
    fig = _styled(fig, title, "month", "share")
    fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    fig.update_xaxes(type="category")
    return fig
