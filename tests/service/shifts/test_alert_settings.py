"""Alert and schedule settings: a usable value passes, an unusable one is a one-line ConfigurationError that
names the variable and never repeats a secret."""

from __future__ import annotations

import base64

import pytest

from service.config import ConfigurationError, get_settings

GOOD_SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123").decode()


def settings_error(monkeypatch: pytest.MonkeyPatch, **env: str) -> str:
    for name, value in env.items():
        monkeypatch.setenv(f"PERSONAS_{name}", value)
    get_settings.cache_clear()
    try:
        with pytest.raises(ConfigurationError) as raised:
            get_settings()
    finally:
        get_settings.cache_clear()
    message = str(raised.value)
    assert "\n" not in message
    return message


def test_alert_and_schedule_settings_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PERSONAS_ALERT_WEBHOOK_URL", "https://hooks.example.com/T0/B0")
    monkeypatch.setenv("PERSONAS_ALERT_WEBHOOK_SECRET", GOOD_SECRET)
    monkeypatch.setenv("PERSONAS_ALERT_SHARE_POINTS", "8")
    monkeypatch.setenv("PERSONAS_RUN_SCHEDULE", "0 6 * * 1")
    get_settings.cache_clear()
    try:
        settings = get_settings()
    finally:
        get_settings.cache_clear()
    assert settings.alert_webhook_secret is not None
    assert settings.alert_webhook_secret.get_secret_value() == GOOD_SECRET
    assert settings.alert_thresholds.share_points == 8.0
    assert settings.alert_thresholds.cost_change == 0.20
    assert settings.run_schedule == "0 6 * * 1"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        (
            {"ALERT_WEBHOOK_URL": "ftp://hooks.example.com", "ALERT_WEBHOOK_SECRET": GOOD_SECRET},
            "ALERT_WEBHOOK_URL",
        ),
        ({"ALERT_WEBHOOK_URL": "https://hooks.example.com"}, "ALERT_WEBHOOK_SECRET"),
        ({"ALERT_WEBHOOK_SECRET": GOOD_SECRET}, "ALERT_WEBHOOK_URL"),
        (
            {"ALERT_WEBHOOK_URL": "https://h.example.com", "ALERT_WEBHOOK_SECRET": "hunter2hunter2"},
            "ALERT_WEBHOOK_SECRET",
        ),
        (
            {"ALERT_WEBHOOK_URL": "https://h.example.com", "ALERT_WEBHOOK_SECRET": "whsec_!!!"},
            "ALERT_WEBHOOK_SECRET",
        ),
        ({"RUN_SCHEDULE": "every monday"}, "RUN_SCHEDULE"),
        ({"RUN_SCHEDULE": "0 6 * * 1 2026"}, "RUN_SCHEDULE"),
        ({"ALERT_SHARE_POINTS": "-1"}, "ALERT_SHARE_POINTS"),
    ],
)
def test_unusable_values_are_one_line_errors(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], named: str
) -> None:
    message = settings_error(monkeypatch, **env)
    assert f"PERSONAS_{named}" in message
    assert "hunter2" not in message and "!!!" not in message
