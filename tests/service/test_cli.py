"""The `personas` CLI: keys, db upgrade, resumable transcript ingest, account ingest."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from service.accounts.schemas import AccountIn
from service.accounts.service import upsert_accounts
from service.cli import app
from service.db import Database
from tests.service.builders import transcript_payload
from tests.service.conftest import auth
from tests.service.security.handbuilt import insert_run

runner = CliRunner()


def test_keys_create_prints_a_working_key_once(cli_env: None, client: TestClient) -> None:
    result = runner.invoke(app, ["keys", "create", "--name", "dashboard", "--scope", "read"])
    assert result.exit_code == 0, result.output
    key = result.stdout.strip().splitlines()[-1]
    assert key.startswith("pk_")
    assert client.get("/v1/transcripts", headers=auth(key)).status_code == 200
    listing = runner.invoke(app, ["keys", "list"]).stdout
    assert "dashboard" in listing and key not in listing
    bad = runner.invoke(app, ["keys", "create", "--name", "x", "--scope", "root"])
    assert bad.exit_code != 0


def test_ingest_transcripts_is_resumable(
    cli_env: None, client: TestClient, keys: dict[str, str], tmp_path: Path
) -> None:
    path = tmp_path / "t.jsonl"
    lines = [json.dumps(transcript_payload(f"f{i}")) for i in range(7)]
    path.write_text("\n".join(lines[:4]) + "\n")
    first = runner.invoke(app, ["ingest", "transcripts", str(path), "--batch-size", "3"])
    assert first.exit_code == 0, first.output
    path.write_text("\n".join(lines) + "\n{not json}\n")
    second = runner.invoke(app, ["ingest", "transcripts", str(path), "--batch-size", "3"])
    assert "accepted 3, updated 0, duplicates 4, rejected lines 1" in second.output
    assert "rejected line 8: not valid JSON" in second.output
    assert second.exit_code == 1
    items = client.get("/v1/transcripts", headers=auth(keys["read"])).json()["items"]
    assert sorted(i["external_id"] for i in items) == sorted(f"f{i}" for i in range(7))


def test_ingest_accounts_csv(cli_env: None, client: TestClient, keys: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("customer_id,annual_revenue,industry\nc-9,500.5,retail\n")
    result = runner.invoke(app, ["ingest", "accounts", str(path)])
    assert result.exit_code == 0 and "upserted 1" in result.output
    assert client.get("/v1/accounts/c-9", headers=auth(keys["read"])).json()["attributes"] == {
        "industry": "retail"
    }
    path.write_text("customer_id,annual_revenue\nc-9,abc\n")
    assert runner.invoke(app, ["ingest", "accounts", str(path)]).exit_code == 1


def personas_process(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """`personas ...` as a user starts it: a real process, only the given environment."""
    return subprocess.run(
        [sys.executable, "-m", "service.cli", *args],
        env={"PATH": "/usr/bin:/bin", "HOME": str(cwd), **env},
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
    )


def one_line(done: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    return lines[0]


@pytest.mark.parametrize("command", [["keys", "list"], ["serve", "--port", "0"]])
def test_a_short_bootstrap_key_is_one_line_naming_the_variable_and_never_echoed(
    command: list[str], database_url: str, tmp_path: Path
) -> None:
    """No traceback, the variable and its rule named, exit 2, the (secret) value nowhere in the output."""
    key = "abcd1234"
    env = {"PERSONAS_DATABASE_URL": database_url, "PERSONAS_BOOTSTRAP_ADMIN_KEY": key}
    done = personas_process(command, env, tmp_path)
    assert done.returncode == 2, done.stderr
    line = one_line(done)
    assert "PERSONAS_BOOTSTRAP_ADMIN_KEY" in line and "16 characters" in line
    assert key not in done.stderr + done.stdout


def test_an_unknown_customer_id_field_is_a_configuration_error(database_url: str, tmp_path: Path) -> None:
    env = {"PERSONAS_DATABASE_URL": database_url, "PERSONAS_INTERCOM_CUSTOMER_ID": "organization"}
    done = personas_process(["keys", "list"], env, tmp_path)
    assert done.returncode == 2
    line = one_line(done)
    assert "PERSONAS_INTERCOM_CUSTOMER_ID must be one of requester, requester_external_id, email_hash" in line


def test_commands_never_create_an_empty_database_only_db_upgrade_does(tmp_path: Path) -> None:
    """Without PERSONAS_DATABASE_URL in the shell: one line naming the database and the fix, exit 2, no file."""
    done = personas_process(["keys", "create", "--name", "me", "--scope", "admin"], {}, tmp_path)
    assert done.returncode == 2
    line = one_line(done)
    assert "PERSONAS_DATABASE_URL=sqlite:///./personas.db" in line and str(tmp_path / "personas.db") in line
    assert "personas db upgrade" in line
    assert not (tmp_path / "personas.db").exists()

    assert personas_process(["db", "upgrade"], {}, tmp_path).returncode == 0
    created = personas_process(["keys", "create", "--name", "me", "--scope", "admin"], {}, tmp_path)
    assert created.returncode == 0, created.stderr
    assert created.stdout.strip().startswith("pk_")
    assert "database: sqlite:///./personas.db" in created.stderr


def test_a_database_url_password_is_never_printed(tmp_path: Path) -> None:
    url = "postgresql+psycopg://user:s3cret-pw@127.0.0.1:1/none"
    done = personas_process(["keys", "list"], {"PERSONAS_DATABASE_URL": url}, tmp_path)
    assert done.returncode == 2
    line = one_line(done)
    assert "cannot connect" in line and "user:***@127.0.0.1:1/none" in line
    assert "s3cret-pw" not in done.stderr + done.stdout
    upgrade = personas_process(["db", "upgrade"], {"PERSONAS_DATABASE_URL": url}, tmp_path)
    assert upgrade.returncode == 2 and "cannot upgrade" in one_line(upgrade)
    assert "s3cret-pw" not in upgrade.stderr + upgrade.stdout


def test_a_bad_transcript_line_is_reported_by_line_and_field_and_the_rest_stored(
    cli_env: None, client: TestClient, keys: dict[str, str], tmp_path: Path
) -> None:
    lines = [json.dumps(transcript_payload(f"t{i}", customer_id=f"c{i}")) for i in range(5)]
    bad = transcript_payload("t-bad")
    bad["turns"][1]["speaker"] = "robot"
    lines.insert(2, json.dumps(bad))  # file line 3
    path = tmp_path / "t.jsonl"
    path.write_text("\n".join(lines) + "\n")
    result = runner.invoke(app, ["ingest", "transcripts", str(path)])
    assert result.exit_code == 1
    assert (
        "rejected line 3: turns.1.speaker: Input should be 'customer', 'agent', 'bot' or 'system'"
        in result.output
    )
    assert "transcripts: accepted 5, updated 0, duplicates 0, rejected lines 1" in result.output
    items = client.get("/v1/transcripts", headers=auth(keys["read"])).json()["items"]
    assert sorted(i["external_id"] for i in items) == [f"t{i}" for i in range(5)]


def test_a_bad_account_row_is_reported_by_line_and_field_and_the_rest_stored(
    cli_env: None, client: TestClient, keys: dict[str, str], tmp_path: Path
) -> None:
    path = tmp_path / "a.csv"
    path.write_text(
        "customer_id,name,annual_revenue,currency,plan\n"
        "acme,Acme Ltd,120000,EUR,pro\n"
        '"globex","Globex,\nInc.",80000,EUR,basic\n'  # a quoted cell over two lines: the row starts on line 3
        "initech,Initech,lots,EUR,pro\n"  # file line 5
        "hooli,Hooli,50000,EUR,basic\n"
    )
    result = runner.invoke(app, ["ingest", "accounts", str(path)])
    assert result.exit_code == 1
    assert "rejected line 5: annual_revenue: Input should be a valid number" in result.output
    assert "accounts: upserted 3, rejected rows 1" in result.output
    read = auth(keys["read"])
    assert client.get("/v1/accounts/initech", headers=read).status_code == 404
    for customer_id in ("acme", "globex", "hooli"):
        assert client.get(f"/v1/accounts/{customer_id}", headers=read).status_code == 200


def test_show_prints_the_latest_personas_and_report_writes_amounts_in_the_accounts_currency(
    cli_env: None, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # a terminal wide enough that Rich does not wrap the labels
    assert runner.invoke(app, ["show"]).exit_code == 1  # no run yet: said, not a traceback
    insert_run(db)
    with db.transaction() as session:
        upsert_accounts(
            session,
            accounts=[
                AccountIn(customer_id=c, annual_revenue=10000.0, currency="EUR") for c in ("cust-1", "cust-2")
            ],
        )
    shown = runner.invoke(app, ["show"])
    assert shown.exit_code == 0, shown.output
    assert "Fast payout sellers" in shown.output and "core-growth" in shown.output
    assert "revenue / customer (EUR)" in shown.output
    out = tmp_path / "report.html"
    assert runner.invoke(app, ["report", "--out", str(out)]).exit_code == 0
    assert "\u20ac10,000" in out.read_text(encoding="utf-8") and "Amounts are in EUR" in out.read_text()
