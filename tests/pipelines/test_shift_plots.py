"""The migration chart: one bar per persona before, split by where its customers are now."""

from __future__ import annotations

from pipelines.shift_plots import migration_bars


def test_bars_follow_the_flows() -> None:
    flows = [("a", "a", 40), ("a", "c", 10), ("old", "c", 10), ("b", "b", 0)]
    fig = migration_bars(flows, {"a": "Growth", "c": "Avoid", "old": "Old"}, {"a": "#4c78a8", "c": "#e45756"})
    assert [trace.type for trace in fig.data] == ["bar", "bar"]  # the basic Plotly bundle draws it
    growth_now, avoid_now = fig.data
    assert list(growth_now.y) == ["Growth", "Old"]  # rows: personas before (an empty flow draws no row)
    assert list(growth_now.x) == [40, 0] and list(avoid_now.x) == [10, 10]
    assert growth_now.name == "now Growth" and avoid_now.marker.color == "#e45756"
    # stays are solid and labelled, moves hatched
    assert list(growth_now.text) == ["stayed", ""] and list(avoid_now.text) == ["moved", "moved"]
    assert list(avoid_now.marker.pattern.shape) == ["/", "/"] and growth_now.marker.pattern.shape[0] == ""


def test_a_persona_without_a_colour_is_grey() -> None:
    fig = migration_bars([("gone", "new", 5)], {}, {})
    assert fig.data[0].marker.color == "#9e9e9e" and list(fig.data[0].y) == ["gone"]
