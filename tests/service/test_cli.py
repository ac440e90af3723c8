"""The `personas` CLI: keys, db upgrade, resumable transcript ingest, account ingest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from service.cli import app
from tests.service.builders import transcript_payload
from tests.service.conftest import auth

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
    assert "accepted 3, duplicates 4, rejected lines 1" in second.output
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


@pytest.mark.parametrize("command", [["keys", "list"], ["serve", "--port", "0"]])
def test_a_configuration_error_is_one_line_naming_the_variable(
    command: list[str], database_url: str, tmp_path: Path
) -> None:
    """A real process, as a user starts it: no traceback, the variable named, the (secret) value not echoed."""
    import subprocess
    import sys

    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "PERSONAS_DATABASE_URL": database_url,
        "PERSONAS_BOOTSTRAP_ADMIN_KEY": "abcd1234",
    }
    done = subprocess.run(
        [sys.executable, "-m", "service.cli", *command],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 2, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert "PERSONAS_BOOTSTRAP_ADMIN_KEY" in lines[0] and "16 characters" in lines[0]
    assert "abcd1234" not in done.stderr + done.stdout and "Traceback" not in done.stderr
