"""The dashboard in a real headless Chromium against a live uvicorn server: key form, cards, chart, rename, CSV.

The run, its personas and its customers are hand-built rows, not the output of the ML pipeline: this test is
about the page, so it must not depend on (or wait for) embeddings and clustering.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from service.db import Database
from service.personas.schemas import CustomerRow, Persona
from service.runs.schemas import RunTotals
from tests.service.builders import store_succeeded_run
from tests.service.dashboard.conftest import enter_key, status_text, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"
RUN_ID = "run0dashboard0000000000000000001"


# ---- hand-built run -------------------------------------------------------------------------------------


def persona(
    persona_id: str,
    label: str,
    *,
    grade: str,
    customers: int,
    share: float,
    r: float,
    c: float,
    revenue_pc: float,
    cost_pc: float,
    sentiment: float,
    jobs: list[tuple[str, float]],
    quote: str,
) -> Persona:
    payload = {
        "id": persona_id,
        "label": label,
        "label_is_human": False,
        "grade": grade,
        "core_growth": grade == "A",
        "core_growth_note": None,
        "customers": customers,
        "transcripts": customers * 3,
        "share": share,
        "revenue": {"total": round(revenue_pc * customers, 2), "per_customer": revenue_pc},
        "cost_to_serve": {
            "total": round(cost_pc * customers, 2),
            "per_customer": cost_pc,
            "per_contact": 12.5,
        },
        "margin_per_customer": round(revenue_pc - cost_pc, 2),
        "contacts_per_customer": 3.0,
        "avg_handle_minutes": 9.5,
        "revenue_index": r,
        "cost_index": c,
        "sentiment": sentiment,
        "keywords": [word.lower() for word in label.split()],
        "quotes": [quote],
        "jobs": [
            {
                "label": name,
                "keywords": name.lower().split(),
                "transcripts": int(customers * 3 * s),
                "share": s,
                "customers": int(customers * s),
                "examples": [{"transcript_id": "17", "quote": f"I need to {name.lower()} <b>now</b>"}],
            }
            for name, s in jobs
        ],
        "summary": f"They get in touch to {jobs[0][0].lower()}.",
        "motivations": [{"text": "need it today", "count": 4}],
        "consequences": [{"text": "would cancel the account", "count": 2}],
        "pond": {"in": [{"attribute": "segment", "value": "smb", "lift": 1.6, "customers": 9}], "out": []},
    }
    return Persona.model_validate(payload)  # the API contract, checked


PERSONAS = [
    persona(
        "p-growth",
        "Fast payout sellers",
        grade="A",
        customers=60,
        share=0.5,
        r=1.45,
        c=0.7,
        revenue_pc=14500.0,
        cost_pc=84.0,
        sentiment=0.32,
        jobs=[("Get paid out faster", 0.55), ("Raise card limits", 0.3)],
        quote="I just need the payout to land before payroll on Friday.",
    ),
    persona(
        "p-steady",
        "Card delivery checkers",
        grade="B",
        customers=36,
        share=0.3,
        r=0.82,
        c=0.9,
        revenue_pc=8200.0,
        cost_pc=108.0,
        sentiment=-0.04,
        jobs=[("Track a new card", 0.62), ("Activate the card", 0.25)],
        quote="Where is my card? It has been two weeks.",
    ),
    persona(
        "p-costly",
        "Chargeback chasers",
        grade="C",
        customers=24,
        share=0.2,
        r=0.55,
        c=1.9,
        revenue_pc=5500.0,
        cost_pc=228.0,
        sentiment=-0.41,
        jobs=[("Dispute a charge", 0.7), ("Reverse a fee", 0.2)],
        quote="This is the third time I am calling about the same refund.",
    ),
]
CORE_GROWTH_CUSTOMERS = [f"cust-a-{i:02d}" for i in range(4)]


def insert_succeeded_run(database: Database) -> None:
    rows = [
        (cid, "p-growth", "A", True, 15000.0 + 500 * i, 80.0) for i, cid in enumerate(CORE_GROWTH_CUSTOMERS)
    ]
    rows += [
        ("cust-b-00", "p-steady", "B", False, 8000.0, 110.0),
        ("cust-c-00", "p-costly", "C", False, 5000.0, 230.0),
    ]
    customers = [
        CustomerRow(
            customer_id=customer_id,
            persona_id=persona_id,
            name=f"Account {customer_id}",
            confidence=0.9,
            grade=grade,
            core_growth=core,
            annual_revenue=revenue,
            cost_to_serve=cost,
            margin=revenue - cost,
            contacts=3,
        )
        for customer_id, persona_id, grade, core, revenue, cost in rows
    ]
    totals = RunTotals(customers=120, matched_customers=120, revenue=1_299_200.0, cost_to_serve=14_400.0)
    store_succeeded_run(
        database,
        run_id=RUN_ID,
        personas=PERSONAS,
        customers=customers,
        totals=totals,
        finished_at=datetime.now(UTC) - timedelta(minutes=5),
    )


# ---- the browser ----------------------------------------------------------------------------------------


def card(driver: Any, persona_id: str) -> Any:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.CSS_SELECTOR, f'.persona-card[data-persona-id="{persona_id}"]')


def card_label(driver: Any, persona_id: str) -> str:
    from selenium.webdriver.common.by import By

    return str(card(driver, persona_id).find_element(By.CSS_SELECTOR, ".persona-label").text)


def cards_shown(driver: Any) -> int:
    from selenium.webdriver.common.by import By

    return len(driver.find_elements(By.CSS_SELECTOR, ".persona-card"))


def test_dashboard_click_path(
    browser: Any, live_server: str, db: Database, keys: dict[str, str], tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    driver = browser
    insert_succeeded_run(db)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    driver.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
    )

    driver.get(f"{live_server}/dashboard?poll=1")
    wait_for(lambda: "Enter an API key" in status_text(driver), "the key prompt")

    # A wrong key: a visible 401, nothing shown.
    enter_key(driver, "not-a-real-key")
    wait_for(lambda: "401" in status_text(driver), "the 401 message")
    assert "refused" in status_text(driver)
    assert cards_shown(driver) == 0

    # A read key: cards, chart, totals, core-growth list.
    enter_key(driver, keys["read"])
    wait_for(lambda: cards_shown(driver) == 3, "three persona cards")
    assert [card_label(driver, p.id) for p in PERSONAS] == [p.label for p in PERSONAS]
    growth = card(driver, "p-growth")
    assert growth.find_element(By.CSS_SELECTOR, ".grade-badge").text == "Grade A"
    assert growth.find_element(By.CSS_SELECTOR, ".core-growth-badge").text == "Core growth"
    assert "payroll on Friday" in growth.find_element(By.CSS_SELECTOR, ".quote").text
    assert (
        growth.find_element(By.CSS_SELECTOR, ".summary").text == "They get in touch to get paid out faster."
    )
    # a job opens to its examples (customer text shown as text) and lists its conversations from the API
    growth.find_element(By.CSS_SELECTOR, ".job summary").click()
    assert (
        "I need to get paid out faster <b>now</b>"
        in growth.find_element(By.CSS_SELECTOR, ".job .example").text
    )
    growth.find_element(By.CSS_SELECTOR, ".job-conversations").click()
    wait_for(
        lambda: "No stored conversation" in growth.find_element(By.CSS_SELECTOR, ".conversations").text,
        "the job's conversations (none stored for this hand-built run)",
    )
    assert "Get paid out faster" in growth.text
    assert not card(driver, "p-costly").find_elements(By.CSS_SELECTOR, ".core-growth-badge")
    wait_for(
        lambda: driver.find_elements(By.CSS_SELECTOR, "#quadrant .plot-container"), "the Plotly quadrant"
    )
    assert len(driver.find_elements(By.CSS_SELECTOR, "#quadrant .scatterlayer .point")) == 3
    assert (
        len(driver.find_elements(By.CSS_SELECTOR, "#quadrant .shapelayer path")) == 2
    )  # the dashed lines at 1
    wait_for(
        lambda: (
            len(driver.find_elements(By.CSS_SELECTOR, "#core-growth-list tr")) == len(CORE_GROWTH_CUSTOMERS)
        ),
        "the core-growth accounts",
    )
    assert "cust-a-00" in driver.find_element(By.ID, "core-growth-list").text
    assert RUN_ID in driver.find_element(By.ID, "run-meta").text
    assert "120" in driver.find_element(By.ID, "totals").text

    # The key sits in sessionStorage only, and never in the URL.
    assert driver.execute_script("return Object.values(sessionStorage)") == [keys["read"]]
    assert driver.execute_script("return localStorage.length") == 0
    assert keys["read"] not in driver.current_url

    # Polling revalidates: the unchanged personas come back as 304 and are not redrawn.
    marker = driver.execute_script(
        "const c = document.querySelector('.persona-card'); c.dataset.marker = 'same'; return c.dataset.marker"
    )
    assert marker == "same"
    wait_for(lambda: "Up to date" in status_text(driver), "a 304 poll")
    assert driver.find_element(By.CSS_SELECTOR, ".persona-card").get_attribute("data-marker") == "same"

    # Rename with a read key: a clear 403 message, the name unchanged.
    card(driver, "p-steady").find_element(By.CSS_SELECTOR, ".rename-button").click()
    rename = driver.find_element(By.ID, "rename-input")
    assert rename.get_attribute("value") == "Card delivery checkers"
    rename.clear()
    rename.send_keys("Should not stick")
    driver.find_element(By.ID, "rename-save").click()
    wait_for(lambda: driver.find_element(By.ID, "rename-error").is_displayed(), "the rename error")
    assert "an admin key is needed" in driver.find_element(By.ID, "rename-error").text
    assert card_label(driver, "p-steady") == "Card delivery checkers"
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / "dashboard-rename-403.png"))

    # The admin key: rename for real; the next poll (a 200: the label changed the ETag) shows the new name.
    enter_key(driver, keys["admin"])
    wait_for(lambda: cards_shown(driver) == 3, "the cards with the admin key")
    card(driver, "p-steady").find_element(By.CSS_SELECTOR, ".rename-button").click()
    rename = driver.find_element(By.ID, "rename-input")
    rename.clear()
    rename.send_keys("Budget-conscious switchers")
    driver.find_element(By.ID, "rename-save").click()
    wait_for(
        lambda: card_label(driver, "p-steady") == "Budget-conscious switchers", "the new name on the card"
    )
    assert not driver.find_element(By.ID, "rename-form").is_displayed()
    wait_for(
        lambda: "Budget-conscious switchers" in driver.find_element(By.ID, "quadrant").text,
        "the new name in the chart",
    )
    api = httpx.get(f"{live_server}/v1/personas", headers={"Authorization": f"Bearer {keys['read']}"}).json()
    steady = next(p for p in api["personas"] if p["id"] == "p-steady")
    assert (steady["label"], steady["label_is_human"]) == ("Budget-conscious switchers", True)

    # The CSV download carries the key in a header (fetch + blob), not in the link.
    link = driver.find_element(By.ID, "csv-download")
    assert keys["admin"] not in (link.get_attribute("href") or "")
    link.click()
    csv_file = downloads / f"customers-{RUN_ID}.csv"
    wait_for(csv_file.exists, "the CSV download")
    csv_text = wait_for(lambda: csv_file.read_text() if csv_file.stat().st_size else "", "the CSV content")
    assert csv_text.splitlines()[0].startswith("customer_id,")
    assert all(cid in csv_text for cid in CORE_GROWTH_CUSTOMERS) and "cust-c-00" not in csv_text

    driver.execute_script("window.scrollTo(0, 0)")
    driver.save_screenshot(str(ARTIFACTS / "dashboard.png"))

    # Nothing came from anywhere but this server, and the CSP blocked nothing.
    urls = driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert urls and all(url.startswith(live_server) for url in urls), urls
    statuses = driver.execute_script(
        "return performance.getEntriesByType('resource')"
        ".filter(e => e.name.includes('/v1/personas')).map(e => e.responseStatus)"
    )
    assert 304 in statuses and 200 in statuses, statuses
    logs = driver.get_log("browser")
    problems = [
        entry["message"]
        for entry in logs
        if entry["level"] == "SEVERE"
        and not any(f"status of {code}" in entry["message"] for code in (401, 403))
        # the changes of the first succeeded run: nothing to compare with, as the API says
        and not ("/changes - " in entry["message"] and "status of 409" in entry["message"])
    ]
    assert not problems, json.dumps(logs, indent=1)

    # Forget the key: gone from sessionStorage, data hidden, polling stopped.
    driver.find_element(By.ID, "key-forget").click()
    wait_for(lambda: "Key forgotten" in status_text(driver), "the forget message")
    assert driver.execute_script("return sessionStorage.length") == 0
    assert not driver.find_element(By.ID, "content").is_displayed()
    assert cards_shown(driver) == 0


def test_dashboard_says_when_no_run_has_succeeded(
    browser: Any, live_server: str, db: Database, keys: dict[str, str]
) -> None:
    """Before any run the page says so (404) and keeps checking; once a run exists it shows it."""
    driver = browser
    driver.get(f"{live_server}/dashboard?poll=1")
    enter_key(driver, keys["read"])
    wait_for(lambda: "No personas yet (404)" in status_text(driver), "the 404 message")
    assert cards_shown(driver) == 0
    insert_succeeded_run(db)
    wait_for(lambda: cards_shown(driver) == 3, "the cards after the run appeared")
    # A reload keeps the key for the tab (sessionStorage) and shows the data again.
    driver.refresh()
    wait_for(lambda: cards_shown(driver) == 3, "the cards after a reload")


def test_dashboard_highlights_personas_that_moved(
    browser: Any, live_server: str, db: Database, keys: dict[str, str]
) -> None:
    """Against the previous run: a persona whose share moved 5+ points or whose cost per customer moved 20%+
    is outlined with what moved, a new one is marked new, and the ones gone are named."""
    from selenium.webdriver.common.by import By

    from tests.service.shifts.planted import AVOID, FRESH, LABELS, OLD, STEADY, store_shift

    driver = browser
    store_shift(db)
    driver.get(f"{live_server}/dashboard?poll=1")
    enter_key(driver, keys["read"])
    wait_for(lambda: cards_shown(driver) == 4, "four persona cards")
    wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, ".persona-card.moved"), "the highlighted cards")

    def badges(persona_id: str) -> list[str]:
        return [b.text for b in card(driver, persona_id).find_elements(By.CSS_SELECTOR, ".shift-badge")]

    assert badges(AVOID) == ["▲ 10% → 27% of customers"]
    assert badges(FRESH) == ["New since the last run"]
    assert badges(STEADY)[-1].startswith("Cost / customer +25%")
    assert "moved" in card(driver, AVOID).get_attribute("class")
    assert f"gone since the last run: {LABELS[OLD]}" in driver.find_element(By.ID, "run-meta").text
