"""The dashboard's data freshness strip (GET /v1/status) in a real headless Chromium: how many stored
transcripts the next run can reuse, the backlog, active runs; and a short message, with the rest of the page
still working, when the status cannot be read.

Cached vectors are inserted rows under the key /v1/status counts, not the output of a model: this is about
the page.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest
from sqlalchemy import select

from service.config import Settings
from service.db import Database
from service.embedding.cache import cache_key
from service.ingest.models import Transcript, TranscriptEmbedding
from service.ingest.schemas import TranscriptIn
from service.ingest.service import store_transcripts
from service.runs.models import Run
from service.runs.schemas import RunStatus
from service.runs.worker import shared_embedder
from tests.service.builders import transcript_payload
from tests.service.dashboard.conftest import enter_key, status_text, wait_for
from tests.service.dashboard.test_dashboard_browser import ARTIFACTS, cards_shown, insert_succeeded_run

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

TRANSCRIPTS = 5


def model_key(settings: Settings) -> str:
    """The cache key GET /v1/status counts vectors of (service/status/routes.py)."""
    return cache_key(shared_embedder(settings.embedding_model, settings.embedding_backend))


def store_backlog(db: Database) -> list[int]:
    """Stored transcripts of three customers, none embedded yet; their ids."""
    payloads = [transcript_payload(f"fresh-{i}", customer_id=f"c{i % 3}") for i in range(TRANSCRIPTS)]
    with db.transaction() as session:
        store_transcripts(
            session, source="api", transcripts=[TranscriptIn.model_validate(p) for p in payloads]
        )
    with db.transaction(write=False) as session:
        return list(session.scalars(select(Transcript.id).order_by(Transcript.id)))


def cache_vectors(db: Database, transcript_ids: list[int], model: str) -> None:
    vector = np.ones(4, dtype=np.float32).tobytes()
    with db.transaction() as session:
        for transcript_id in transcript_ids:
            session.add(TranscriptEmbedding(transcript_id=transcript_id, model=model, dim=4, vector=vector))


def start_running_run(db: Database) -> None:
    """A run row marked running. Only after the server started: the inline executor marks runs it finds
    running at start as interrupted (and would pick up a queued one, loading the real model)."""
    started = datetime.now(UTC)
    with db.transaction() as session:
        session.add(
            Run(
                id="run0freshness0000000000000000001",
                status=RunStatus.running,
                progress=0.2,
                params={"min_personas": 2, "max_personas": 4},
                created_at=started,
                started_at=started,
                heartbeat_at=started,
            )
        )


def strip(driver: Any) -> dict[str, Any]:
    return dict(
        driver.execute_script(
            "const bar = document.getElementById('freshness-bar');"
            "const text = (id) => document.getElementById(id).textContent;"
            "return {shown: !document.getElementById('freshness').hidden,"
            " value: bar.value, max: bar.max, count: text('freshness-count'),"
            " pending: text('freshness-pending'), runs: text('freshness-runs'), model: text('freshness-model'),"
            " error: document.getElementById('freshness-error').hidden ? null : text('freshness-error')}"
        )
    )


def test_the_strip_shows_the_backlog_and_follows_it(
    browser: Any, live_server: str, db: Database, settings: Settings, keys: dict[str, str]
) -> None:
    """Before any run (personas 404) the strip already counts: 2 of 5 embedded, 3 waiting, one run running;
    once the rest are embedded the next poll says the next run needs only clustering."""
    from selenium.webdriver.common.by import By

    driver = browser
    model = model_key(settings)
    ids = store_backlog(db)
    cache_vectors(db, ids[:2], model)
    cache_vectors(db, ids[2:], "another-model|another-recipe")  # vectors of another model do not count
    start_running_run(db)

    driver.get(f"{live_server}/dashboard?poll=1")
    assert strip(driver)["shown"] is False  # no key, no strip
    enter_key(driver, keys["read"])
    wait_for(lambda: strip(driver)["count"] == "2 of 5 transcripts embedded", "the backlog in the strip")
    shown = strip(driver)
    assert (shown["value"], shown["max"]) == (2, 5)
    assert shown["pending"] == "3 waiting"
    assert shown["runs"] == "Runs: 1 running, 0 queued"
    assert shown["model"] == f"model {model.split('|')[0]}" and "all-MiniLM-L6-v2" in shown["model"]
    assert shown["error"] is None
    wait_for(lambda: "No personas yet (404)" in status_text(driver), "the personas' own 404 message")
    assert strip(driver)["shown"] is True  # the strip does not depend on a run having succeeded
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / "dashboard-freshness-waiting.png"))

    cache_vectors(db, ids[2:], model)
    wait_for(lambda: strip(driver)["count"] == "5 of 5 transcripts embedded", "the strip after the next poll")
    shown = strip(driver)
    assert (shown["value"], shown["max"]) == (5, 5)
    assert shown["pending"] == "all embedded: the next run needs only clustering"
    driver.save_screenshot(str(ARTIFACTS / "dashboard-freshness-all-embedded.png"))

    # Forgetting the key hides it.
    driver.find_element(By.ID, "key-forget").click()
    wait_for(lambda: strip(driver)["shown"] is False, "the strip hidden without a key")


def test_the_strip_says_when_the_status_cannot_be_read_and_the_rest_still_works(
    browser: Any, live_server: str, db: Database, keys: dict[str, str]
) -> None:
    from selenium.webdriver.common.by import By

    driver = browser
    insert_succeeded_run(db)
    driver.get(f"{live_server}/dashboard?poll=1")

    # A key without read scope: a short 403 in the strip.
    enter_key(driver, keys["ingest"])
    wait_for(lambda: strip(driver)["error"], "the strip's 403 message")
    assert strip(driver)["error"] == "Not shown: this key may not read the service status (403)."
    assert not driver.find_element(By.ID, "freshness-body").is_displayed()

    # The status unreachable (the request fails in the browser), the personas fine: cards and a short message.
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["*/v1/status*"]})
    enter_key(driver, keys["read"])
    wait_for(lambda: cards_shown(driver) == 3, "the persona cards")
    wait_for(
        lambda: strip(driver)["error"] == "Not available: cannot reach the service.",
        "the strip's network message",
    )
    driver.save_screenshot(str(ARTIFACTS / "dashboard-freshness-unreachable.png"))
    assert "Updated" in status_text(driver) or "Up to date" in status_text(driver)

    # Reachable again: the next poll shows the numbers (no transcripts stored in this test).
    driver.execute_cdp_cmd("Network.setBlockedURLs", {"urls": []})
    wait_for(
        lambda: strip(driver)["count"] == "No transcripts stored yet", "the strip once the status answers"
    )
    shown = strip(driver)
    assert shown["error"] is None and shown["pending"] == "" and shown["value"] == 0
    assert cards_shown(driver) == 3
