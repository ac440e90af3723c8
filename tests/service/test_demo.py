"""`personas demo` end to end on a small company: real ingest path, real run, a report that draws in Chromium."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console

from service.cli.results import persona_table
from service.config import Settings
from service.demo import run_demo
from tests.browser import chromium_driver, wait_for


@pytest.mark.slow
def test_demo_produces_personas_and_a_report_that_draws(tmp_path: Path) -> None:
    console = Console(record=True, width=120)
    outcome = run_demo(Settings(webhook_secrets={}), workdir=tmp_path, customers=80, seed=7, console=console)
    assert outcome.run.status == "succeeded"
    personas = outcome.personas.personas
    assert 2 <= len(personas) <= 4 and any(p.core_growth for p in personas)
    console.print(persona_table(outcome.personas))
    table = console.export_text()
    for p in personas:
        assert p.grade in table
    assert outcome.report_path.exists() and 100_000 < outcome.report_path.stat().st_size < 2 * 1024 * 1024
    page = outcome.report_path.read_text(encoding="utf-8")
    assert "Amounts are in USD" in page and ">$" in page  # the synthetic accounts are in USD

    driver = chromium_driver()
    try:
        driver.get(outcome.report_path.as_uri())
        drawn = wait_for(driver, "return document.querySelectorAll('.chart .plot-container').length", 3)
        assert drawn == 3
        errors = [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
        assert not errors, errors
        Path("test-artifacts").mkdir(exist_ok=True)
        driver.save_screenshot("test-artifacts/demo-report.png")
    finally:
        driver.quit()
