"""Settings that would weaken the service are refused at start, in one line that names the variable and never
repeats its value (issue 16: webhook shared secrets have a minimum length)."""

from __future__ import annotations

import base64
import subprocess
import sys

import pytest

from service.config import ConfigurationError, get_settings

SHORT_VENDOR = "s3cr3t-short"  # 12 characters
SHORT_GENERIC = "whsec_" + base64.b64encode(b"twelve-bytes").decode()
LONG_ENOUGH = {
    "generic": "whsec_" + base64.b64encode(b"sixteen-bytes-ok").decode(),
    "zendesk": "z" * 16,
    "intercom": "i" * 40,
    "freshdesk": "f" * 16,
}


@pytest.fixture(autouse=True)
def fresh_settings() -> None:
    get_settings.cache_clear()
    yield  # type: ignore[misc]
    get_settings.cache_clear()


@pytest.mark.parametrize(
    ("source", "secret"),
    [("zendesk", SHORT_VENDOR), ("intercom", SHORT_VENDOR), ("freshdesk", SHORT_VENDOR),
     ("generic", SHORT_GENERIC), ("generic", "whsec_not*base64*at*all*but-long")],
)  # fmt: skip
def test_a_short_webhook_secret_is_a_configuration_error_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, source: str, secret: str
) -> None:
    monkeypatch.setenv(f"PERSONAS_WEBHOOK_SECRET_{source.upper()}", secret)
    with pytest.raises(ConfigurationError) as raised:
        get_settings()
    message = str(raised.value)
    assert message.startswith(f"PERSONAS_WEBHOOK_SECRET_{source.upper()} ")
    assert secret not in message and secret.removeprefix("whsec_") not in message and "\n" not in message


def test_long_enough_secrets_are_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    for source, secret in LONG_ENOUGH.items():
        monkeypatch.setenv(f"PERSONAS_WEBHOOK_SECRET_{source.upper()}", secret)
    assert get_settings().webhook_secrets == LONG_ENOUGH


def test_the_cli_prints_one_line_and_exits_2(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {"PERSONAS_WEBHOOK_SECRET_ZENDESK": SHORT_VENDOR, "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-m", "service.cli", "keys", "list"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "configuration error: PERSONAS_WEBHOOK_SECRET_ZENDESK must be at least 16 characters"
    ]
    assert SHORT_VENDOR not in done.stderr + done.stdout
