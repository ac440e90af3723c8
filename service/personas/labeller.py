"""The optional language-model labeller: persona names, summaries and job labels from an OpenAI-compatible server.

`PERSONAS_LABELLER=openai` posts, per persona, one chat completion to `PERSONAS_LABELLER_URL` (`.../v1`; the
path `/chat/completions` is added) with `PERSONAS_LABELLER_MODEL` and, when set, `PERSONAS_LABELLER_API_KEY` as a
bearer token. What is sent is `pipelines.labeller.CardEvidence`: the persona's extractive card and at most
`EXAMPLES_PER_PERSONA` customer quotes, all redacted at ingest, and the account attribute most of its customers
share. The answer is checked (`pipelines.labeller.check_words`) before it is used; anything else keeps the
extractive card (pipelines.labeller.name_personas logs why).
"""

from __future__ import annotations

from typing import Any

import httpx

from pipelines.labeller import (
    CardEvidence,
    CardWords,
    ExtractiveLabeller,
    Labeller,
    chat_messages,
    parse_answer,
)
from service.config import Settings

CHAT_PATH = "/chat/completions"


def chat_url(base: str) -> str:
    """The chat completions URL of an OpenAI-compatible base URL (given either way)."""
    base = base.rstrip("/")
    return base if base.endswith(CHAT_PATH) else base + CHAT_PATH


class OpenAICompatibleLabeller:
    """Asks any server that speaks OpenAI's /v1/chat/completions (Ollama, vLLM, a hosted API)."""

    name = "openai"

    def __init__(
        self,
        url: str,
        model: str,
        *,
        api_key: str | None = None,
        timeout_s: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url, self.model = chat_url(url), model
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(timeout=timeout_s, headers=headers, transport=transport)

    def request_body(self, evidence: CardEvidence) -> dict[str, Any]:
        """The JSON posted for one persona (deterministic: temperature 0)."""
        return {
            "model": self.model,
            "messages": chat_messages(evidence),
            "temperature": 0,
            "response_format": {"type": "json_object"},
        }

    def words(self, evidence: CardEvidence) -> CardWords:
        """The server's answer for one persona; raises on any transport, status or shape problem."""
        response = self._client.post(self.url, json=self.request_body(evidence))
        response.raise_for_status()
        choices = response.json().get("choices") or []
        if not choices:
            raise ValueError("the answer has no choices")
        content = choices[0].get("message", {}).get("content")
        if not isinstance(content, str):
            raise ValueError("the answer has no message content")
        return parse_answer(content)


def labeller_for(settings: Settings) -> Labeller:
    """The labeller the settings ask for: extractive (offline) unless PERSONAS_LABELLER=openai."""
    if settings.labeller != "openai" or not settings.labeller_url or not settings.labeller_model:
        return ExtractiveLabeller()
    key = settings.labeller_api_key.get_secret_value() if settings.labeller_api_key else None
    return OpenAICompatibleLabeller(
        settings.labeller_url, settings.labeller_model, api_key=key, timeout_s=settings.labeller_timeout_s
    )
