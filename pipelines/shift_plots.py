"""The migration of customers between two runs' personas as a pure Plotly figure function.

Stacked horizontal bars, one per persona of the previous run, split by the persona its customers belong to now:
"of X's customers, 40 stayed and 10 now talk like Y" reads at a glance, and bars need only the basic Plotly
bundle the report inlines (a Sankey would need the full 4.8 MB one)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import plotly.graph_objects as go

from pipelines.plots import FONT, TEMPLATE

UNKNOWN_COLOUR = "#9e9e9e"


def migration_bars(
    flows: Sequence[tuple[str, str, int]],
    labels: Mapping[str, str],
    colours: Mapping[str, str],
    title: str = "Where each persona's customers are now",
) -> go.Figure:
    """`flows`: (persona id before, persona id now, customers). One bar per persona before (top to bottom in
    first-seen order), one trace per persona now (its colour; the customers who stayed are drawn solid and
    labelled "stayed", moves hatched)."""
    kept = [(f, t, n) for f, t, n in flows if n > 0]
    before = list(dict.fromkeys(f for f, _, _ in kept))
    after = list(dict.fromkeys(t for _, t, _ in kept))
    rows = [labels.get(p, p) for p in before]
    fig = go.Figure()
    for target in after:
        counts = {f: n for f, t, n in kept if t == target}
        fig.add_bar(
            name=f"now {labels.get(target, target)}",
            y=rows,
            x=[counts.get(f, 0) for f in before],
            orientation="h",
            marker={
                "color": colours.get(target, UNKNOWN_COLOUR),
                "pattern": {"shape": ["" if f == target else "/" for f in before]},
            },
            text=[("stayed" if f == target else "moved") if counts.get(f) else "" for f in before],
            hovertemplate="%{x} customers: %{y} -> " + labels.get(target, target) + "<extra></extra>",
        )
    fig.update_layout(
        template=TEMPLATE,
        barmode="stack",
        title={"text": title, "x": 0.02, "xanchor": "left"},
        font=FONT,
        xaxis={"title": {"text": "customers present in both runs"}},
        yaxis={"autorange": "reversed", "title": {"text": "persona in the previous run"}},
        legend={"orientation": "h", "y": -0.25},
        margin={"l": 20, "r": 20, "t": 60, "b": 20},
    )
    return fig
