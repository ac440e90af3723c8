"""`personas import`: each vendor's export format through the adapters into storage, a summary with the
reasons records were skipped, resuming from the checkpoint, and a re-import that adds nothing."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from service.cli import app
from tests.service.conftest import FIXTURES, auth

runner = CliRunner()
IMPORTS = FIXTURES / "import"


def stored(client: TestClient, key: str) -> dict[str, dict[str, Any]]:
    items = client.get("/v1/transcripts", params={"limit": 500}, headers=auth(key)).json()["items"]
    return {item["external_id"]: item for item in items}


def run_import(*args: str) -> Any:
    return runner.invoke(app, ["import", *args])


def test_zendesk_export_with_inline_comments(cli_env: None, client: TestClient, keys: dict[str, str]) -> None:
    result = run_import("zendesk", str(IMPORTS / "zendesk_tickets.json"))
    # Ticket 9104 has no requester: skipped with its record, line and field; 9103 only has a private note.
    assert result.exit_code == 1, result.output
    assert "skipped record 4 (line 1): ticket.requester_id: is required" in result.output
    assert "1 records had no customer-visible text" in result.output
    items = stored(client, keys["read"])
    assert set(items) == {"zendesk-ticket-9101", "zendesk-ticket-9102"}
    vat = items["zendesk-ticket-9101"]
    assert vat["source"] == "zendesk" and [t["speaker"] for t in vat["turns"]] == ["customer", "agent"]
    assert "[EMAIL]" in vat["turns"][0]["text"] and "ap@example.com" not in vat["turns"][0]["text"]
    assert items["zendesk-ticket-9102"]["channel"] == "chat"


def test_zendesk_side_loaded_comment_events_are_joined_to_their_tickets(
    cli_env: None, client: TestClient, keys: dict[str, str]
) -> None:
    result = run_import("zendesk", str(IMPORTS / "zendesk_side_loaded.jsonl"))
    assert result.exit_code == 0, result.output
    items = stored(client, keys["read"])
    outage = items["zendesk-ticket-9201"]
    assert [t["speaker"] for t in outage["turns"]] == ["customer", "agent"]
    assert outage["turns"][1]["text"].startswith("Access is restored") and outage["channel"] == "call"
    assert items["zendesk-ticket-9202"]["turns"][0]["text"].startswith("Can we move our renewal")


def test_intercom_conversations_export(cli_env: None, client: TestClient, keys: dict[str, str]) -> None:
    result = run_import("intercom", str(IMPORTS / "intercom_conversations.jsonl"))
    assert result.exit_code == 0, result.output
    items = stored(client, keys["read"])
    first = items["intercom-conv-3300001"]
    assert [t["speaker"] for t in first["turns"]] == ["customer", "agent", "customer"]  # the note is dropped
    assert first["customer_id"] == "acct-001"
    assert len(items["intercom-conv-3300002"]["turns"]) == 2


def test_freshdesk_tickets_export(cli_env: None, client: TestClient, keys: dict[str, str]) -> None:
    result = run_import("freshdesk", str(IMPORTS / "freshdesk_tickets.json"))
    assert result.exit_code == 0, result.output
    items = stored(client, keys["read"])
    pallet = items["freshdesk-ticket-6101"]
    assert [t["text"] for t in pallet["turns"]] == [
        "Pallet 12 arrived crushed.",
        "Sorry about that, a replacement ships tomorrow.",
        "Replacement received, all good.",
    ]  # the private note is dropped
    assert pallet["channel"] == "email"
    quote = items["freshdesk-ticket-6102"]
    assert quote["channel"] == "call" and "555" not in quote["turns"][0]["text"]


def test_csv_rows_become_transcripts_and_bad_records_are_named(
    cli_env: None, client: TestClient, keys: dict[str, str]
) -> None:
    result = run_import("csv", str(IMPORTS / "transcripts.csv"))
    assert result.exit_code == 1, result.output
    assert "skipped record 3 (line 7): turns.0.speaker:" in result.output
    items = stored(client, keys["read"])
    assert set(items) == {"csv-1", "csv-2", "csv-4"}
    assert [t["speaker"] for t in items["csv-2"]["turns"]] == ["customer", "agent", "customer"]
    assert items["csv-1"]["duration_seconds"] == 420 and items["csv-1"]["source"] == "api"


def test_reimporting_a_file_adds_nothing(cli_env: None, client: TestClient, keys: dict[str, str]) -> None:
    path = str(IMPORTS / "intercom_conversations.jsonl")
    assert run_import("intercom", path).exit_code == 0
    before = stored(client, keys["read"])
    again = run_import("intercom", path)
    assert again.exit_code == 0 and "imported already" in again.output
    restarted = run_import("intercom", path, "--restart")
    assert restarted.exit_code == 0, restarted.output
    assert "│        0 │       0 │          2 │" in restarted.output  # accepted 0, updated 0, duplicates 2
    assert stored(client, keys["read"]) == before


def test_an_interrupted_import_resumes_after_its_checkpoint(
    cli_env: None, client: TestClient, keys: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "history.csv"
    shutil.copy(IMPORTS / "transcripts.csv", path)
    from service.ingest import service as ingest_service

    real, calls = ingest_service.store_transcripts, []

    def crash_on_second_batch(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("the machine went away")
        return real(*args, **kwargs)

    # A fault injected into storage: this test is about the checkpoint, not about storing.
    monkeypatch.setattr("service.cli.imports.store_transcripts", crash_on_second_batch)
    crashed = run_import("csv", str(path), "--batch-size", "1")
    assert crashed.exit_code != 0 and set(stored(client, keys["read"])) == {"csv-1"}
    monkeypatch.setattr("service.cli.imports.store_transcripts", real)
    resumed = run_import("csv", str(path), "--batch-size", "1")
    assert "resuming after record 1" in resumed.output, resumed.output
    assert set(stored(client, keys["read"])) == {"csv-1", "csv-2", "csv-4"}
    assert "│        2 │       0 │          0 │" in resumed.output  # csv-1 was not read again


def test_a_batch_over_the_redaction_budget_is_stored_one_record_at_a_time(
    cli_env: None, client: TestClient, keys: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from service.ingest.redaction import budget

    monkeypatch.setattr(budget, "MAX_PHONE_CHECK_CHARS", 4_000)  # small, as in test_transcripts_api
    path = tmp_path / "dense.csv"
    dense = "1/" * 2_400  # alone more phone-number checking than the budget allows
    path.write_text(
        "external_id,customer_id,speaker,text\n"
        "d-1,acme,customer,Where is my order?\n"
        f"d-2,acme,customer,{dense}\n"
        "d-3,acme,customer,The lid was cracked.\n"
    )
    result = run_import("csv", str(path))
    assert result.exit_code == 1
    assert "skipped record 2 (line 3): transcript:" in result.output and "phone numbers" in result.output
    assert set(stored(client, keys["read"])) == {"d-1", "d-3"}


@pytest.mark.parametrize(("rule", "expected"), [("organization", "7001"), ("requester", "3301")])
def test_imports_choose_the_customer_id_like_the_webhooks(
    cli_env: None,
    client: TestClient,
    keys: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    rule: str,
    expected: str,
) -> None:
    """PERSONAS_ZENDESK_CUSTOMER_ID decides for the export as for the webhook (ticket 9101: organization 7001,
    requester 3301), so imported and pushed transcripts of one customer join the same account."""
    from service.config import get_settings

    monkeypatch.setenv("PERSONAS_ZENDESK_CUSTOMER_ID", rule)
    get_settings.cache_clear()
    run_import("zendesk", str(IMPORTS / "zendesk_tickets.json"))
    ticket = stored(client, keys["read"])["zendesk-ticket-9101"]
    assert ticket["customer_id"].endswith(expected), ticket["customer_id"]
    assert ticket["customer_id"] != stored(client, keys["read"])["zendesk-ticket-9102"]["customer_id"]
