"""The report is served with a Content-Security-Policy that lets exactly its own inline scripts run, and
every answer says `X-Content-Type-Options: nosniff` (issue 16, item 6)."""

from __future__ import annotations

import base64
import hashlib
import re
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.db import Database
from service.reports.formatting import report_filename
from service.reports.policy import content_security_policy, script_hashes
from tests.browser import chromium_driver
from tests.service.conftest import auth
from tests.service.reports.sample_run import RUN_ID, render, sample_inputs
from tests.service.security.handbuilt import RUN_ID as STORED_RUN_ID
from tests.service.security.handbuilt import insert_run


def _directives(policy: str) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in policy.split(";"))


def test_the_report_routes_send_a_hash_based_policy_and_nosniff(
    client: TestClient, db: Database, keys: dict[str, str]
) -> None:
    insert_run(db)
    for path in (f"/v1/runs/{STORED_RUN_ID}/report", "/v1/reports/latest"):
        response = client.get(path, headers=auth(keys["read"]))
        assert response.status_code == 200
        assert response.headers["x-content-type-options"] == "nosniff"
        policy = _directives(response.headers["content-security-policy"])
        assert policy["default-src"] == "'none'" and policy["frame-ancestors"] == "'none'"
        scripts = re.findall(r"<script[^>]*>(.*?)</script>", response.text, re.DOTALL)
        assert len(scripts) >= 3  # the Plotly library, its config and the charts
        expected = {
            "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'" for s in scripts
        }
        assert set(policy["script-src"].split()) == expected
        assert "unsafe-inline" not in policy["script-src"] and "unsafe-eval" not in policy["script-src"]


def test_a_script_that_is_not_the_reports_own_is_not_allowed() -> None:
    page = "<script>draw()</script><p>hi</p>"
    injected = page + "<script>steal()</script>"
    assert not set(script_hashes(injected)) <= set(script_hashes(page))
    assert "'sha256-" not in content_security_policy("<p>no scripts</p>")


def test_every_answer_says_nosniff(client: TestClient, keys: dict[str, str]) -> None:
    answers = [
        client.get("/healthz"),
        client.get("/v1/runs", headers=auth(keys["read"])),
        client.get("/v1/runs"),  # 401 from the key check
        client.get("/v1/runs/nope", headers=auth(keys["read"])),  # 404 problem
        client.get("/v1/customers?format=csv", headers=auth(keys["read"])),
        client.get("/dashboard"),
    ]
    for answer in answers:
        assert answer.headers.get("x-content-type-options") == "nosniff", (
            answer.request.url,
            answer.status_code,
        )


@pytest.mark.browser
def test_the_report_renders_its_charts_under_its_policy(tmp_path: Path) -> None:
    """The policy the route sends, given to Chromium as a meta tag: the charts draw and nothing is blocked."""
    page = render(sample_inputs())
    policy = content_security_policy(page).replace("; frame-ancestors 'none'", "")  # header-only directive
    meta = f'<meta http-equiv="Content-Security-Policy" content="{policy}">'
    path = tmp_path / report_filename(RUN_ID)
    path.write_text(page.replace("<head>", "<head>" + meta, 1), encoding="utf-8")
    driver = chromium_driver()
    try:
        driver.get(path.as_uri())
        deadline, drawn = time.monotonic() + 30, 0
        while time.monotonic() < deadline and not drawn:
            drawn = driver.execute_script("return document.querySelectorAll('.chart .main-svg').length")
            time.sleep(0.2)
        assert drawn > 0
        errors = [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
        assert not errors, errors
        # The check is real: a script the policy does not list is blocked.
        driver.execute_script(
            "var s = document.createElement('script'); s.textContent = 'window.ran = 1';"
            "document.body.appendChild(s);"
        )
        assert driver.execute_script("return window.ran === undefined")
    finally:
        driver.quit()
