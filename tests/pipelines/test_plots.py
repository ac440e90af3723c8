"""Plot builders: the traces, lines, sizes and titles the report and dashboard rely on."""

from __future__ import annotations

import plotly.io as pio
import pytest

from pipelines.plots import (
    GRADE_COLOURS,
    TEMPLATE,
    QuadrantPoint,
    persona_map,
    persona_share_over_time,
    value_cost_quadrant,
)

POINTS = [
    QuadrantPoint("Repair shops", r=1.25, c=0.3, customers=84, grade="A", core_growth=True),
    QuadrantPoint("Distributors", r=1.6, c=1.3, customers=60, grade="B"),
    QuadrantPoint("Project contractors", r=0.4, c=2.9, customers=53, grade="C"),
    QuadrantPoint("Plant maintenance", r=0.4, c=0.35, customers=43, grade="B"),
]


def assert_titled(fig) -> None:
    assert fig.layout.title.text
    assert fig.layout.xaxis.title.text and fig.layout.yaxis.title.text
    assert fig.layout.template.to_plotly_json() == pio.templates[TEMPLATE].to_plotly_json()


def test_persona_map_has_one_trace_per_persona_with_its_points():
    labels = ["a", "b", "a", "c", "b", "a"]
    x = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    y = [5.0, 4.0, 3.0, 2.0, 1.0, 0.0]
    fig = persona_map(x, y, labels, hover_texts=[f"cust-{i}" for i in range(6)])
    assert [trace.name for trace in fig.data] == ["a", "b", "c"]
    assert list(fig.data[0].x) == [0.0, 2.0, 5.0] and list(fig.data[0].text) == ["cust-0", "cust-2", "cust-5"]
    assert len({trace.marker.color for trace in fig.data}) == 3
    assert_titled(fig)


def test_persona_map_switches_to_webgl_for_many_points_and_checks_lengths():
    n = 6000
    fig = persona_map([float(i) for i in range(n)], [0.0] * n, ["x"] * n)
    assert fig.data[0].type == "scattergl"
    with pytest.raises(ValueError):
        persona_map([0.0], [0.0, 1.0], ["a"])


def test_quadrant_has_a_bubble_per_persona_coloured_by_grade():
    fig = value_cost_quadrant(POINTS)
    assert len(fig.data) == 4
    for trace, point in zip(fig.data, POINTS, strict=True):
        assert list(trace.x) == [point.c] and list(trace.y) == [point.r]
        assert trace.marker.color == GRADE_COLOURS[point.grade]
    assert "core growth" in fig.data[0].name
    assert fig.data[0].marker.line.width > fig.data[1].marker.line.width
    assert_titled(fig)


def test_quadrant_draws_dashed_lines_at_one():
    fig = value_cost_quadrant(POINTS)
    vertical = [s for s in fig.layout.shapes if s.x0 == 1 and s.x1 == 1]
    horizontal = [s for s in fig.layout.shapes if s.y0 == 1 and s.y1 == 1]
    assert len(vertical) == 1 and len(horizontal) == 1
    assert vertical[0].line.dash == "dash" and horizontal[0].line.dash == "dash"
    texts = " ".join(a.text for a in fig.layout.annotations).lower()
    assert "core growth" in texts and "avoid" in texts
    assert fig.layout.xaxis.range[1] >= 2.9 and fig.layout.yaxis.range[1] >= 1.6


def test_quadrant_bubble_sizes_follow_customers():
    fig = value_cost_quadrant(POINTS)
    sizes = {point.customers: trace.marker.size[0] for point, trace in zip(POINTS, fig.data, strict=True)}
    ordered = [sizes[n] for n in sorted(sizes)]
    assert ordered == sorted(ordered) and len(set(ordered)) == 4


def test_share_over_time_stacks_one_area_per_persona():
    months = ["2025-01", "2025-02", "2025-03"]
    shares = {"A": [0.5, 0.4, 0.3], "B": [0.3, 0.3, 0.3], "C": [0.2, 0.3, 0.4]}
    fig = persona_share_over_time(months, shares)
    assert [trace.name for trace in fig.data] == ["A", "B", "C"]
    assert all(trace.stackgroup == "share" for trace in fig.data)
    assert list(fig.data[2].y) == [0.2, 0.3, 0.4] and list(fig.data[0].x) == months
    assert fig.layout.yaxis.tickformat == ".0%"
    assert_titled(fig)
    lines = persona_share_over_time(months, shares, stacked=False)
    assert all(trace.stackgroup is None for trace in lines.data)


def test_share_over_time_rejects_ragged_series():
    with pytest.raises(ValueError):
        persona_share_over_time(["2025-01", "2025-02"], {"A": [1.0]})


def test_figures_share_one_look_and_need_no_external_resources():
    figs = [
        persona_map([0.0, 1.0], [1.0, 0.0], ["a", "b"]),
        value_cost_quadrant(POINTS),
        persona_share_over_time(["2025-01"], {"A": [1.0]}),
    ]
    for fig in figs:
        assert_titled(fig)
        assert not fig.layout.images  # no remote pictures: the report must render offline
        assert "http" not in fig.to_json().replace("https://plot.ly", "")
    assert len({fig.layout.font.family for fig in figs}) == 1
