"""The report's "Since the last run" section, on two stored runs with a planted shift; a first run has none."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from service.db import Database
from tests.browser import chromium_driver, wait_for
from tests.service.conftest import auth
from tests.service.shifts.planted import AFTER, AVOID, BEFORE, LABELS, STEADY, store_shift


def report(client: TestClient, key: str, run_id: str) -> str:
    response = client.get(f"/v1/runs/{run_id}/report", headers=auth(key))
    assert response.status_code == 200, response.text
    return response.text


def section(html: str) -> str:
    found = re.search(r'<section id="since-last-run".*?</section>', html, re.DOTALL)
    assert found, "no Since the last run section"
    return found.group(0)


def test_the_report_says_what_changed(client: TestClient, db: Database, keys: dict[str, str]) -> None:
    store_shift(db)
    page = report(client, keys["read"], AFTER)
    html = section(page)
    assert BEFORE in html
    # The migration chart is inlined as its chart (not as text) and drawn with bars, so the page keeps the
    # basic Plotly bundle and stays small (a Sankey needs the full 4.8 MB bundle).
    assert "ChartFragment" not in page and "(basic - minified)" in page and len(page) < 2 * 1024 * 1024
    assert "20 of the 100 customers present in both runs changed persona" in html
    assert f"“{LABELS[AVOID]}” grew from 10.0% to 27.3%" in html
    assert f"Cost to serve per customer of “{LABELS[STEADY]}” rose 25%" in html
    assert 'data-chart="chart-migration"' in html and '"type":"bar"' in html
    movers = re.search(r'<table class="since-movers">.*?</table>', html, re.DOTALL)
    assert movers is not None
    assert set(re.findall(r"<code class=\"id\">(c\d+)</code>", movers.group(0))) == {
        f"c{n:03d}" for n in range(40, 50)
    }
    assert "10 of 50 core-growth customers of the previous run now talk like another persona" in html


def test_a_first_run_has_no_such_section(client: TestClient, db: Database, keys: dict[str, str]) -> None:
    store_shift(db)
    assert 'id="since-last-run"' not in report(client, keys["read"], BEFORE)


def test_the_migration_chart_draws_in_a_browser(
    client: TestClient, db: Database, keys: dict[str, str], tmp_path: Path
) -> None:
    """The three charts of every report and the migration chart of "Since the last run" all draw, no errors."""
    store_shift(db)
    page = tmp_path / "report.html"
    page.write_text(report(client, keys["read"], AFTER), encoding="utf-8")
    driver = chromium_driver()
    try:
        driver.get(page.as_uri())
        assert wait_for(driver, "return document.querySelectorAll('.chart .plot-container').length", 4) == 4
        assert (
            driver.execute_script(
                "return document.querySelectorAll('#chart-migration .barlayer .point').length"
            )
            >= 3
        )
        errors = [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
        assert not errors, errors
    finally:
        driver.quit()
