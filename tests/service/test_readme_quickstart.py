"""The bar of issue 17: a new user's walk from the README alone, on fresh data of their own.

The commands, the transcript line, the accounts CSV and the Zendesk test delivery are read from README.md and
docs/webhooks/zendesk.md (their marked fenced blocks), so this test fails when the docs drift from the CLI. Each
command runs as a separate `personas` process in an empty folder with only the README's exports, as in a shell.
Two substitutions, both said here: the server listens on a free port instead of 8000 (tests run side by side),
and `<the key that keys create printed>` is the key `keys create` printed.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shlex
import socket
import subprocess
import sys
import time
from contextlib import redirect_stdout
from pathlib import Path

import httpx
import pytest

from pipelines.synthetic import generate_company
from pipelines.synthetic.export import transcripts_jsonl

ROOT = Path(__file__).resolve().parents[2]
MARKED_BLOCK = re.compile(r"<!-- (?:quickstart|docs): ([\w.-]+) -->\s*```\w*\n(.*?)```", re.DOTALL)
EXPORT = re.compile(r"export (\w+)=(.*)")
REPORT_LIMIT = 2 * 1024 * 1024


def marked_blocks(path: Path) -> dict[str, str]:
    return {name: body for name, body in MARKED_BLOCK.findall(path.read_text(encoding="utf-8"))}


def write_data(folder: Path, blocks: dict[str, str]) -> None:
    """The README's transcript line and accounts CSV, plus a fresh company of 36 customers in the same format."""
    company = generate_company(n_customers=36, seed=23)
    example_line = blocks["transcripts.jsonl"].strip()
    (folder / "transcripts.jsonl").write_text(example_line + "\n" + transcripts_jsonl(company.transcripts))
    example_csv = blocks["accounts.csv"].strip()
    header, example_row = list(csv.reader(example_csv.splitlines()))[:2]
    currency = dict(zip(header, example_row, strict=True))["currency"]  # one company, one currency
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, extrasaction="ignore", lineterminator="\n")
    for account in company.accounts:
        attributes = account.get("attributes", {})
        writer.writerow({**account, **attributes, "plan": attributes.get("size", ""), "currency": currency})
    (folder / "accounts.csv").write_text(example_csv + "\n" + out.getvalue())


class Shell:
    """Runs README lines as a shell would: `export` sets the environment, `personas ...` runs the CLI."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.env = {
            "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
            "HOME": str(folder),
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "PERSONAS_MODEL_CACHE": os.environ.get(
                "PERSONAS_MODEL_CACHE", str(Path.home() / ".cache/personas/onnx")
            ),
            # The machine's compiled kernels, as for the model: a new HOME would compile them again (20 s).
            "NUMBA_CACHE_DIR": os.environ.get("NUMBA_CACHE_DIR", str(Path.home() / ".cache/personas/numba")),
        }

    def export(self, line: str, substitutions: dict[str, str]) -> None:
        match = EXPORT.fullmatch(line)
        assert match, line
        name, value = match.groups()
        value = substitutions.get(value, value).replace("$PWD", str(self.folder))
        self.env[name] = value

    def personas(self, line: str) -> subprocess.CompletedProcess[str]:
        words = shlex.split(line)
        assert words[0] == "personas", line
        done = subprocess.run(
            [sys.executable, "-m", "service.cli", *words[1:]],
            env=self.env,
            cwd=self.folder,
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert done.returncode == 0, f"{line}\n{done.stdout}\n{done.stderr}"
        return done


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def commands(block: str) -> list[str]:
    return [line.split("  #")[0].strip() for line in block.strip().splitlines() if line.strip()]


def walk_to_the_report(shell: Shell, block: str) -> str:
    """Steps 1-3 of the quickstart; returns the admin key `keys create` printed."""
    outputs = {}
    for line in commands(block):
        if line.startswith("export "):
            shell.export(line, {})
        else:
            outputs[" ".join(line.split()[1:3])] = shell.personas(line)
    key = outputs["keys create"].stdout.strip().splitlines()[-1]
    assert key.startswith("pk_")
    assert "rejected rows 0" in outputs["ingest accounts"].stderr
    assert "duplicates 0, rejected lines 0" in outputs["ingest transcripts"].stderr
    ran = outputs["run --wait"]
    assert "Personas of run" in ran.stdout and "HTML report:" in ran.stderr
    report_path = Path(ran.stderr.split("HTML report:")[1].split()[0])
    assert report_path.is_file() and report_path.stat().st_size < REPORT_LIMIT
    assert "Personas of run" in outputs["show"].stdout
    assert (shell.folder / "personas.db").is_file()
    report = (shell.folder / "persona-report.html").read_text(encoding="utf-8")
    assert "\u20ac" in report and "Amounts are in EUR" in report
    return key


@pytest.mark.slow
def test_a_new_user_gets_from_the_readme_to_a_report_and_a_signed_webhook(tmp_path: Path) -> None:
    readme = marked_blocks(ROOT / "README.md")
    zendesk = marked_blocks(ROOT / "docs" / "webhooks" / "zendesk.md")
    write_data(tmp_path, readme)
    shell = Shell(tmp_path)
    key = walk_to_the_report(shell, readme["commands"])

    port, server = free_port(), None
    try:
        for line in commands(readme["serve"]):
            if line.startswith("export "):
                shell.export(line, {"<the key that keys create printed>": key})
            elif line.startswith("personas serve"):
                args = shlex.split(line.replace("--port 8000", f"--port {port}"))
                server = subprocess.Popen(
                    [sys.executable, "-m", "service.cli", *args[1:]], env=shell.env, cwd=tmp_path
                )
                wait_until_up(f"http://127.0.0.1:{port}/healthz")
            else:
                assert line.startswith("curl "), line
                done = subprocess.run(
                    ["bash", "-c", line.replace(":8000", f":{port}")],
                    env=shell.env,
                    capture_output=True,
                    text=True,
                    timeout=60,
                )
                before = json.loads(done.stdout)
        assert set(before) >= {"transcripts", "customers", "embedding", "runs", "unmatched_by_source"}
        assert before["embedding"]["pending"] == 0  # the run embedded everything stored

        answer = deliver_as_the_docs_say(zendesk["zendesk-send"], shell.env, port)
        assert answer == {"accepted": 1, "duplicates": 0, "updated": 0}
        after = httpx.get(
            f"http://127.0.0.1:{port}/v1/status", headers={"Authorization": f"Bearer {key}"}
        ).json()
        assert after["transcripts"] == before["transcripts"] + 1
        # PERSONAS_ZENDESK_CUSTOMER_ID=requester_external_id: the ticket joins the README's account "acme"
        assert "zendesk" not in after["unmatched_by_source"]
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)


def wait_until_up(url: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"the server did not answer {url}")


def deliver_as_the_docs_say(code: str, env: dict[str, str], port: int) -> dict[str, int]:
    """Run the docs' Python snippet with the shell's environment and the test server's URL; its JSON answer."""
    saved = dict(os.environ)
    os.environ.update({**env, "PERSONAS_URL": f"http://127.0.0.1:{port}"})
    printed = io.StringIO()
    try:
        with redirect_stdout(printed):
            exec(compile(code, "docs/webhooks/zendesk.md", "exec"), {})  # noqa: S102 - our own docs
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return dict(json.loads(printed.getvalue()))
