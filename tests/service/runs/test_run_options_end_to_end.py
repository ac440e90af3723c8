"""Run options end to end through the HTTP API, with the real embedding model on a small synthetic company:
the data window (since/until), persona bounds, cost rates from the environment, the report built from a real
run (share by month, top accounts), and runs queued while no executor ran.

Every expectation is computed from the generated company and the API's own answers, never from the
clustering's luck: a forced persona count, costs that do not depend on the personas, and report figures
checked against the assignments the API reports.
"""

from __future__ import annotations

import re
import statistics
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from service.app import create_app
from service.cli import app as cli
from service.config import Settings
from service.db import Database
from tests.service.conftest import auth
from tests.service.reports.report_html import figure_traces, section
from tests.service.runs.helpers import ingest_company, start_run, wait_for_run

# Not the defaults (1.10 / 0.50 / 0.80 / 4.00), and far enough apart that a swapped rate shows.
RATES = {"call": 2.5, "chat": 0.3, "other": 1.7, "email": 9.0}
RATE_ENV = {
    **{
        f"PERSONAS_COST_PER_MINUTE_{channel.upper()}": str(RATES[channel])
        for channel in ("call", "chat", "other")
    },
    "PERSONAS_COST_PER_EMAIL": str(RATES["email"]),
}


def started(transcript: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(transcript["started_at"]).astimezone(UTC)


def expected_costs(transcripts: list[dict[str, Any]], rates: dict[str, float]) -> dict[str, float]:
    """DESIGN.md's rule, written out again: minutes x the channel rate, an email flat, a missing duration
    costed at its channel's median duration; a customer's cost is the sum over its contacts."""
    known: dict[str, list[float]] = defaultdict(list)
    for t in transcripts:
        if t["duration_seconds"] is not None:
            known[t["channel"]].append(t["duration_seconds"])
    cost: dict[str, float] = defaultdict(float)
    for t in transcripts:
        if t["channel"] == "email":
            cost[t["customer_id"]] += rates["email"]
        else:
            seconds = t["duration_seconds"]
            seconds = statistics.median(known[t["channel"]]) if seconds is None else seconds
            cost[t["customer_id"]] += seconds / 60 * rates[t["channel"]]
    return dict(cost)


def all_customers(client: TestClient, key: str, run_id: str) -> list[dict[str, Any]]:
    page = client.get("/v1/customers", params={"run_id": run_id, "limit": 1000}, headers=auth(key)).json()
    assert page["next_cursor"] is None
    return list(page["items"])


def test_window_and_persona_bounds_decide_what_a_run_uses(client: TestClient, keys: dict[str, str]) -> None:
    company = ingest_company(client, keys["ingest"])
    moments = sorted(started(t) for t in company.transcripts)
    # The bounds are transcripts' own start times: `since` takes in the transcript started at its instant,
    # `until` leaves out the one started at its. `since` is written in another time zone (the same instant).
    since, until = moments[len(moments) // 4], moments[3 * len(moments) // 4]
    inside = [t for t in company.transcripts if since <= started(t) < until]
    assert 0 < len(inside) < len(company.transcripts)
    run_id = start_run(
        client,
        keys["admin"],
        min_personas=3,
        max_personas=3,
        since=since.astimezone(timezone(timedelta(hours=2))).isoformat(),
        until=until.isoformat().replace("+00:00", "Z"),
    )
    run = wait_for_run(client, keys["read"], run_id)
    assert run["status"] == "succeeded", run["error"]
    assert run["summary"]["transcripts"] == len(inside)
    assert run["summary"]["customers"] == len({t["customer_id"] for t in inside})
    assert run["summary"]["personas"] == 3  # the default 2..4 would have chosen by silhouette
    personas = client.get("/v1/personas", params={"run_id": run_id}, headers=auth(keys["read"])).json()
    assert len(personas["personas"]) == 3
    customers = all_customers(client, keys["read"], run_id)
    assert {c["customer_id"] for c in customers} == {t["customer_id"] for t in inside}
    contacts = Counter(t["customer_id"] for t in inside)
    assert {c["customer_id"]: c["contacts"] for c in customers} == contacts
    # The report's months are the window's months only.
    html = client.get(f"/v1/runs/{run_id}/report", headers=auth(keys["read"])).text
    months = {x for trace in figure_traces(html, "chart-share") for x in trace["x"]}
    assert months == {started(t).strftime("%Y-%m") for t in inside}


def test_cost_rates_from_the_environment_price_every_contact_and_the_report_shows_the_run(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, db: Database, keys: dict[str, str]
) -> None:
    for name, value in RATE_ENV.items():
        monkeypatch.setenv(name, value)
    # As `personas serve` builds them: from the environment (the fixture's explicit values stay).
    priced = Settings(
        **settings.model_dump(
            exclude={
                "cost_per_minute_call",
                "cost_per_minute_chat",
                "cost_per_minute_other",
                "cost_per_email",
            }
        )
    )
    assert priced.cost_per_email == RATES["email"]
    read = auth(keys["read"])
    with TestClient(create_app(priced, db)) as client:
        company = ingest_company(client, keys["ingest"])
        run_id = start_run(client, keys["admin"], min_personas=2, max_personas=2)
        run = wait_for_run(client, keys["read"], run_id)
        assert run["status"] == "succeeded", run["error"]
        customers = all_customers(client, keys["read"], run_id)
        personas = client.get("/v1/personas", params={"run_id": run_id}, headers=read).json()
        html = client.get(f"/v1/runs/{run_id}/report", headers=read).text
    assert run["summary"]["personas"] == 2 and len(personas["personas"]) == 2

    # Cost to serve does not depend on the personas: every customer's is known in advance.
    expected = expected_costs(company.transcripts, RATES)
    assert {c["customer_id"] for c in customers} == set(expected)
    wrong = {
        c["customer_id"]: (c["cost_to_serve"], round(expected[c["customer_id"]], 2))
        for c in customers
        if abs(c["cost_to_serve"] - expected[c["customer_id"]]) > 0.006
    }
    assert not wrong, wrong
    assert personas["totals"]["cost_to_serve"] == pytest.approx(sum(expected.values()), abs=0.05)
    rules = section(html, "rules", "how-to-read")
    assert "call 2.50/min, chat 0.30/min, other 1.70/min" in rules and "flat 9.00" in rules

    # Share by month: each month's contacts split by the personas the API assigned their customers to.
    label_of = {p["id"]: p["label"] for p in personas["personas"]}
    persona_of = {c["customer_id"]: label_of[c["persona_id"]] for c in customers}
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for t in company.transcripts:
        counts[started(t).strftime("%Y-%m")][persona_of[t["customer_id"]]] += 1
    traces = figure_traces(html, "chart-share")
    assert sorted(t["name"] for t in traces) == sorted(label_of.values())
    for trace in traces:
        assert trace["x"] == sorted(counts)
        want = [counts[m][trace["name"]] / sum(counts[m].values()) for m in trace["x"]]
        assert trace["y"] == pytest.approx(want, abs=1e-4), trace["name"]

    # Top accounts: the core-growth customers with an account, largest revenue first.
    core = [c for c in customers if c["core_growth"] and c["annual_revenue"] is not None]
    ranked = [c["customer_id"] for c in sorted(core, key=lambda c: (-c["annual_revenue"], c["customer_id"]))]
    assert ranked, "the run has no core-growth customer with an account"
    table = section(html, "accounts", "rules")
    assert re.findall(r"<code[^>]*>([^<]+)</code>", table) == ranked[:25]  # the report lists 25


def test_runs_queued_while_no_executor_ran_are_executed_by_the_next_app(
    settings: Settings, db: Database, keys: dict[str, str], cli_env: None
) -> None:
    # An app whose executor never started (no lifespan: like a process that died before running it).
    stopped = TestClient(create_app(settings, db))
    ingest_company(stopped, keys["ingest"])
    from_api = start_run(stopped, keys["admin"], min_personas=2, max_personas=3)
    # `personas run` without --wait only queues the run, for a server to pick up.
    queued = CliRunner().invoke(cli, ["run", "--min-personas", "3", "--max-personas", "3"])
    assert queued.exit_code == 0, queued.output
    printed = re.search(r"run ([0-9a-f]{32}) queued", queued.output)
    assert printed, queued.output
    from_cli = printed.group(1)
    time.sleep(3)  # longer than the inline executor's polling interval: nobody is polling
    for run_id in (from_api, from_cli):
        assert stopped.get(f"/v1/runs/{run_id}", headers=auth(keys["read"])).json()["status"] == "queued"

    with TestClient(create_app(settings, db)) as restarted:
        runs = {run_id: wait_for_run(restarted, keys["read"], run_id) for run_id in (from_api, from_cli)}
    assert {r["status"] for r in runs.values()} == {"succeeded"}, [r["error"] for r in runs.values()]
    assert runs[from_cli]["summary"]["personas"] == 3
    assert 2 <= runs[from_api]["summary"]["personas"] <= 3
    assert runs[from_cli]["params"] == {"min_personas": 3, "max_personas": 3}
