"""The migration Sankey: nodes per side, links as thick as the customers they carry."""

from __future__ import annotations

from pipelines.shift_plots import migration_sankey


def test_sankey_links_follow_the_flows() -> None:
    flows = [("a", "a", 40), ("a", "c", 10), ("old", "c", 10), ("b", "b", 0)]
    fig = migration_sankey(
        flows, {"a": "Growth", "c": "Avoid", "old": "Old"}, {"a": "#4c78a8", "c": "#e45756"}
    )
    sankey = fig.data[0]
    assert list(sankey.node.label) == ["Growth (before)", "Old (before)", "Growth (now)", "Avoid (now)"]
    assert list(zip(sankey.link.source, sankey.link.target, sankey.link.value, strict=True)) == [
        (0, 2, 40),
        (0, 3, 10),
        (1, 3, 10),
    ]
    # a persona without a colour (gone) is drawn grey; moves are drawn stronger than stays
    assert sankey.node.color[1] == "#9e9e9e"
    assert sankey.link.color[0].endswith("0.35)") and sankey.link.color[1].endswith("0.75)")
