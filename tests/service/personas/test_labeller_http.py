"""The OpenAI-compatible labeller against a small local server that speaks /v1/chat/completions: a good one, a
failing one and a lying one, and a whole service run that shows what leaves the building (redacted text only)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from pipelines.labeller import EXAMPLES_PER_PERSONA, CardEvidence, CardWords, ExtractiveLabeller
from service.app import create_app
from service.config import Settings
from service.db import Database
from service.personas.labeller import OpenAICompatibleLabeller, chat_url, labeller_for
from tests.service.builders import batch, transcript_payload
from tests.service.conftest import auth
from tests.service.runs.helpers import start_run, wait_for_run

EVIDENCE = CardEvidence(
    label="Customers topping up by card",
    summary="They get in touch to top up by card.",
    keywords=("top", "card"),
    job_labels=("Top up by card", "Check top-up fees"),
    job_keywords=(("top", "card"), ("fee",)),
    motivations=("because I need the money",),
    consequences=("my top up is still pending",),
    quotes=tuple(f"quote {n}" for n in range(EXAMPLES_PER_PERSONA)),
)


class ChatServer:
    """A local OpenAI-compatible chat server; `mode` decides its answers, `requests` records what it got."""

    def __init__(self) -> None:
        self.mode = "good"
        self.requests: list[dict[str, Any]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append(
                    {"path": self.path, "auth": self.headers.get("Authorization"), "body": body}
                )
                status, answer = server.answer(body)
                payload = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def answer(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if self.mode == "failing":
            return 500, {"error": {"message": "model not loaded"}}
        evidence = json.loads(body["messages"][1]["content"])
        jobs = [f"Handle {j['label'].lower()}" for j in evidence["jobs"]]
        n = len(self.requests)
        label = f"Top {n}00 spenders" if self.mode == "lying" else f"Readable name number {'I' * n}"
        summary = "They want their requests handled quickly because the money matters to them."
        content = json.dumps({"label": label, "summary": summary, "jobs": jobs})
        return 200, {"choices": [{"index": 0, "message": {"role": "assistant", "content": content}}]}


@pytest.fixture
def chat_server() -> Iterator[ChatServer]:
    server = ChatServer()
    thread = threading.Thread(target=server.httpd.serve_forever, daemon=True)
    thread.start()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


def test_the_client_posts_the_evidence_and_reads_the_answer(chat_server: ChatServer) -> None:
    labeller = OpenAICompatibleLabeller(chat_server.url, "tiny-model", api_key="sk-test")
    words = labeller.words(EVIDENCE)
    assert words == CardWords(
        "Readable name number I",
        "They want their requests handled quickly because the money matters to them.",
        ("Handle top up by card", "Handle check top-up fees"),
    )
    [request] = chat_server.requests
    assert request["path"] == "/v1/chat/completions" and request["auth"] == "Bearer sk-test"
    body = request["body"]
    assert body["model"] == "tiny-model" and body["temperature"] == 0
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert json.loads(body["messages"][1]["content"])["customer_quotes"] == list(EVIDENCE.quotes)


def test_a_failing_server_raises_so_the_extractive_card_is_kept(chat_server: ChatServer) -> None:
    chat_server.mode = "failing"
    with pytest.raises(Exception, match="500"):
        OpenAICompatibleLabeller(chat_server.url, "m").words(EVIDENCE)


def test_settings_choose_the_labeller() -> None:
    assert isinstance(labeller_for(Settings(webhook_secrets={})), ExtractiveLabeller)
    chosen = labeller_for(
        Settings(webhook_secrets={}, labeller="openai", labeller_url="http://h:1/v1/", labeller_model="m")
    )
    assert isinstance(chosen, OpenAICompatibleLabeller) and chosen.url == "http://h:1/v1/chat/completions"
    assert chat_url("http://h/v1/chat/completions") == "http://h/v1/chat/completions"
    with pytest.raises(ValidationError, match="PERSONAS_LABELLER_URL"):
        Settings(webhook_secrets={}, labeller="openai")
    with pytest.raises(ValidationError, match="PERSONAS_LABELLER must be one of"):
        Settings(webhook_secrets={}, labeller="gpt")


def _ingest(client: TestClient, key: str) -> None:
    """Three kinds of customers; one line carries an email address that redaction must remove."""
    lines = {
        "cards": ["How do I top up by card?", "Why did my top-up fail? Mail me at jo.doe@example.com"],
        "travel": ["What is the exchange rate abroad?", "Can I use my card in Japan?"],
        "mortgage": ["Can I overpay my mortgage?", "What is the rate on a fixed mortgage?"],
    }
    transcripts = [
        transcript_payload(external_id=f"{kind}-{i}", customer_id=f"{kind}-{i // 2}", text=lines[kind][i % 2])
        for kind in lines
        for i in range(16)
    ]
    assert client.post("/v1/transcripts", json=batch(*transcripts), headers=auth(key)).status_code == 202


@pytest.mark.parametrize("mode", ["good", "lying"])
def test_a_run_sends_only_redacted_text_and_uses_only_checked_answers(
    mode: str, chat_server: ChatServer, settings: Settings, db: Database, keys: dict[str, str]
) -> None:
    chat_server.mode = mode
    settings = settings.model_copy(
        update={"labeller": "openai", "labeller_url": chat_server.url, "labeller_model": "m"}
    )
    with TestClient(create_app(settings, db)) as client:
        _ingest(client, keys["ingest"])
        run = wait_for_run(client, keys["read"], start_run(client, keys["admin"]))
        assert run["status"] == "succeeded", run["error"]
        personas = client.get("/v1/personas", headers=auth(keys["read"])).json()["personas"]
    sent = json.dumps([r["body"] for r in chat_server.requests])
    assert chat_server.requests and "jo.doe@example.com" not in sent
    for request in chat_server.requests:
        evidence = json.loads(request["body"]["messages"][1]["content"])
        assert len(evidence["customer_quotes"]) <= EXAMPLES_PER_PERSONA
    names = [p["label"] for p in personas]
    if mode == "good":
        assert all(name.startswith("Readable name number") for name in names)
        assert all(j["label"].startswith("Handle ") for p in personas for j in p["jobs"])
    else:  # invented numbers: every persona keeps its extractive card
        assert not any("00 spenders" in name for name in names)
        assert all(name.startswith(("Customers", "customers")) or " customers " in name for name in names)
