"""Reading the rendered persona report in tests: a chart's Plotly traces and one section's HTML."""

from __future__ import annotations

import json
import re
from typing import Any


def figure_traces(page: str, div_id: str) -> list[dict[str, Any]]:
    """The data traces Plotly.newPlot receives for one chart (the JSON array after the div id)."""
    call = re.search(rf'Plotly\.newPlot\(\s*"{div_id}",\s*\[', page)
    assert call, div_id
    data, _ = json.JSONDecoder().raw_decode(page, call.end() - 1)
    return list(data)


def section(page: str, section_id: str, next_id: str) -> str:
    """The HTML from `id="section_id"` up to the next section's id."""
    return page[page.index(f'id="{section_id}"') : page.index(f'id="{next_id}"')]
