"""The migration of customers between two runs' personas as a Plotly Sankey: a pure figure function."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import plotly.graph_objects as go

from pipelines.plots import FONT, TEMPLATE

UNKNOWN_COLOUR = "#9e9e9e"


def _rgba(hex_colour: str, alpha: float) -> str:
    value = hex_colour.lstrip("#")
    if len(value) != 6:
        return f"rgba(158,158,158,{alpha})"
    red, green, blue = (int(value[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({red},{green},{blue},{alpha})"


def migration_sankey(
    flows: Sequence[tuple[str, str, int]],
    labels: Mapping[str, str],
    colours: Mapping[str, str],
    title: str = "Where customers went since the last run",
) -> go.Figure:
    """`flows`: (persona id before, persona id now, customers). Left nodes are the previous run's personas,
    right nodes this run's; a link is as thick as the customers it carries and coloured by where they went."""
    before = list(dict.fromkeys(f for f, _, n in flows if n > 0))
    after = list(dict.fromkeys(t for _, t, n in flows if n > 0))
    index = {("before", pid): i for i, pid in enumerate(before)}
    index |= {("after", pid): len(before) + i for i, pid in enumerate(after)}
    node_ids = before + after
    kept = [(f, t, n) for f, t, n in flows if n > 0]
    fig = go.Figure(
        go.Sankey(
            arrangement="fixed",
            node={
                "label": [f"{labels.get(p, p)} (before)" for p in before]
                + [f"{labels.get(p, p)} (now)" for p in after],
                "color": [colours.get(p, UNKNOWN_COLOUR) for p in node_ids],
                "pad": 14,
                "thickness": 16,
            },
            link={
                "source": [index[("before", f)] for f, _, _ in kept],
                "target": [index[("after", t)] for _, t, _ in kept],
                "value": [n for _, _, n in kept],
                "color": [
                    _rgba(colours.get(t, UNKNOWN_COLOUR), 0.35 if f == t else 0.75) for f, t, _ in kept
                ],
                "hovertemplate": "%{value} customers<extra></extra>",
            },
        )
    )
    fig.update_layout(
        template=TEMPLATE,
        title={"text": title, "x": 0.02, "xanchor": "left"},
        font=FONT,
        margin={"l": 20, "r": 20, "t": 60, "b": 20},
    )
    return fig
