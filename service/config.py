"""Validated settings from the environment (prefix PERSONAS_)."""

from __future__ import annotations

import base64
import binascii
import os
from datetime import UTC, datetime
from functools import lru_cache

from cronsim import CronSim, CronSimError
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from standardwebhooks.webhooks import EmptyWebhookSecretError, Webhook

from pipelines.embed import BACKENDS
from pipelines.shift_rules import Thresholds
from pipelines.types import CostRates
from service.ingest.vendors.identity import CUSTOMER_ID_CHOICES, DEFAULT_CUSTOMER_ID

WEBHOOK_SOURCES = ("generic", "zendesk", "intercom", "freshdesk")
MIN_WEBHOOK_SECRET_BYTES = 16
LABELLERS = ("extractive", "openai")  # pipelines.labeller.ExtractiveLabeller, service.personas.labeller
# `auto`: the fastest backend for this CPU's features within the quality bars whose vectors do not depend on the
# batch (pipelines.embed.resolve_backend, resolved when the embedder is made): a transcript gets the same vector
# however it is embedded, so the same data in any order gives the same personas (bench/bench_embedding.py;
# BENCHMARKS.md "Embedding backends").
DEFAULT_EMBEDDING_BACKEND = "auto"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PERSONAS_", extra="ignore")

    database_url: str = "sqlite:///./personas.db"
    bootstrap_admin_key: str | None = None
    key_hash_secret: SecretStr | None = Field(
        default=None,
        description="keys the hash of stored API keys (32+ characters); unset = a secret generated per install "
        "and stored in the database",
    )
    embedding_model: str | None = Field(default=None, description="sentence-transformers name or path")
    embedding_backend: str = Field(
        default=DEFAULT_EMBEDDING_BACKEND, description=f"embedding inference engine: {', '.join(BACKENDS)}"
    )
    queue: str = "inline"
    warm_up: bool = Field(
        default=True, description="load the model and compile the clustering kernels when a worker starts"
    )
    embed_in_background: bool = Field(
        default=True,
        description="embed transcripts as they arrive (the inline worker thread, or Celery's `embed` queue), so "
        "a run finds them embedded",
    )
    broker_url: str = "redis://127.0.0.1:6379/0"
    cost_per_minute_call: float = Field(default=CostRates.per_minute_call, ge=0, allow_inf_nan=False)
    cost_per_minute_chat: float = Field(default=CostRates.per_minute_chat, ge=0, allow_inf_nan=False)
    cost_per_minute_other: float = Field(default=CostRates.per_minute_other, ge=0, allow_inf_nan=False)
    cost_per_email: float = Field(default=CostRates.per_email, ge=0, allow_inf_nan=False)
    max_body_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    max_turn_chars: int = Field(default=20_000, gt=0)
    retention_days: int | None = Field(
        default=None,
        ge=1,
        le=36_500,
        description="transcripts older than this are purged daily; unset = keep",
    )
    auth_failures_per_minute: int = Field(
        default=20, ge=1, description="401s one client IP may get per minute before it gets 429 (in memory)"
    )
    max_queued_runs: int = Field(
        default=3, ge=1, description="runs that may wait in the queue; more are refused with 429"
    )
    labeller: str = Field(
        default="extractive",
        description="who names personas and jobs: extractive (offline, default) or openai (any OpenAI-compatible "
        "chat completions server; only redacted text is sent)",
    )
    labeller_url: str | None = Field(default=None, description="base URL, e.g. http://127.0.0.1:11434/v1")
    labeller_model: str | None = None
    labeller_api_key: SecretStr | None = None
    labeller_timeout_s: float = Field(default=30.0, gt=0, le=600)
    zendesk_customer_id: str = Field(
        default=DEFAULT_CUSTOMER_ID["zendesk"], description="which Zendesk field becomes customer_id"
    )
    intercom_customer_id: str = Field(
        default=DEFAULT_CUSTOMER_ID["intercom"], description="which Intercom field becomes customer_id"
    )
    freshdesk_customer_id: str = Field(
        default=DEFAULT_CUSTOMER_ID["freshdesk"], description="which Freshdesk field becomes customer_id"
    )
    alert_webhook_url: str | None = Field(default=None, description="where persona-shift events are POSTed")
    alert_webhook_secret: SecretStr | None = Field(
        default=None, description="Standard Webhooks whsec_ secret"
    )
    alert_share_points: float = Field(
        default=5.0, gt=0, le=100, description="share move (points) that alerts"
    )
    alert_cost_change: float = Field(default=0.20, gt=0, description="cost-per-customer move (fraction)")
    alert_core_growth_share: float = Field(default=0.05, gt=0, le=1)
    alert_core_growth_min: int = Field(default=3, ge=1)
    alert_attempts: int = Field(default=5, ge=1, le=20, description="delivery attempts per event")
    alert_backoff_s: float = Field(default=2.0, ge=0, le=600, description="first retry delay; doubles")
    public_url: str = Field(default="http://127.0.0.1:8000", description="base URL for links in alerts")
    run_schedule: str | None = Field(default=None, description="cron expression: start runs on this schedule")
    webhook_secrets: dict[str, str] = Field(
        default_factory=lambda: _secrets_from_environment(),
        description="Per-source secrets, from PERSONAS_WEBHOOK_SECRET_<SOURCE>; a missing one disables it.",
    )

    @field_validator("queue")
    @classmethod
    def _known_queue(cls, value: str) -> str:
        if value not in ("inline", "celery"):
            raise ValueError("PERSONAS_QUEUE must be 'inline' or 'celery'")
        return value

    @field_validator("labeller")
    @classmethod
    def _known_labeller(cls, value: str) -> str:
        value = value.strip().lower()
        if value not in LABELLERS:
            raise ValueError(f"PERSONAS_LABELLER must be one of {', '.join(LABELLERS)}")
        return value

    @model_validator(mode="after")
    def _labeller_endpoint(self) -> Settings:
        if self.labeller == "openai" and not (self.labeller_url and self.labeller_model):
            raise ValueError(
                "PERSONAS_LABELLER=openai needs PERSONAS_LABELLER_URL and PERSONAS_LABELLER_MODEL"
            )
        if self.labeller_url and not self.labeller_url.startswith(("http://", "https://")):
            raise ValueError("PERSONAS_LABELLER_URL must be an http:// or https:// URL")
        return self

    @model_validator(mode="after")
    def _alert_endpoint(self) -> Settings:
        check_alert_settings(self.alert_webhook_url, self.alert_webhook_secret)
        if not self.public_url.startswith(("http://", "https://")):
            raise ValueError("PERSONAS_PUBLIC_URL must be an http:// or https:// URL")
        return self

    @field_validator("run_schedule")
    @classmethod
    def _valid_schedule(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        try:
            if len(value.split()) != 5:
                raise CronSimError("five fields")
            CronSim(value.strip(), datetime.now(UTC))
        except CronSimError:
            raise ValueError("PERSONAS_RUN_SCHEDULE must be a cron expression such as '0 6 * * 1'") from None
        return value.strip()

    @property
    def alert_thresholds(self) -> Thresholds:
        return Thresholds(
            share_points=self.alert_share_points,
            cost_change=self.alert_cost_change,
            core_growth_fraction=self.alert_core_growth_share,
            core_growth_min=self.alert_core_growth_min,
        )

    @model_validator(mode="after")
    def _strong_webhook_secrets(self) -> Settings:
        for source, secret in self.webhook_secrets.items():
            problem = webhook_secret_problem(source, secret)
            if problem:
                raise ValueError(f"PERSONAS_WEBHOOK_SECRET_{source.upper()} {problem}")
        return self

    @field_validator("embedding_backend")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        value = value.strip().lower()
        if value not in BACKENDS:
            raise ValueError(f"PERSONAS_EMBEDDING_BACKEND must be one of {', '.join(BACKENDS)}")
        return value

    @model_validator(mode="after")
    def _known_customer_id_fields(self) -> Settings:
        for source, choices in CUSTOMER_ID_CHOICES.items():
            field = f"{source}_customer_id"
            value = getattr(self, field).strip().lower()
            if value not in choices:
                raise ValueError(f"PERSONAS_{field.upper()} must be one of {', '.join(choices)}")
            setattr(self, field, value)
        return self

    def customer_id_field(self, source: str) -> str | None:
        """Which vendor field becomes customer_id for a webhook source (None: the source has no choice)."""
        value = getattr(self, f"{source}_customer_id", None)
        return value if isinstance(value, str) else None

    @field_validator("bootstrap_admin_key")
    @classmethod
    def _strong_key(cls, value: str | None) -> str | None:
        if value is not None and len(value) < 16:
            raise ValueError("PERSONAS_BOOTSTRAP_ADMIN_KEY must be at least 16 characters")
        return value

    @field_validator("key_hash_secret")
    @classmethod
    def _long_hash_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("PERSONAS_KEY_HASH_SECRET must be at least 32 characters")
        return value

    @property
    def cost_rates(self) -> CostRates:
        return CostRates(
            per_minute_call=self.cost_per_minute_call,
            per_minute_chat=self.cost_per_minute_chat,
            per_minute_other=self.cost_per_minute_other,
            per_email=self.cost_per_email,
        )

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def webhook_secret(self, source: str) -> str | None:
        """Secret of a webhook source; None means the source is disabled."""
        return self.webhook_secrets.get(source) or None


def check_alert_settings(url: str | None, secret: SecretStr | None) -> None:
    """Alerts need both an http(s) URL and a usable `whsec_` secret, or neither."""
    if bool(url) != bool(secret and secret.get_secret_value()):
        raise ValueError(
            "PERSONAS_ALERT_WEBHOOK_URL and PERSONAS_ALERT_WEBHOOK_SECRET go together: set both or none"
        )
    if url and not url.startswith(("http://", "https://")):
        raise ValueError("PERSONAS_ALERT_WEBHOOK_URL must be an http:// or https:// URL")
    if secret is None:
        return
    value = secret.get_secret_value()
    try:
        usable = value.startswith("whsec_") and bool(Webhook(value))
    except (ValueError, EmptyWebhookSecretError):  # binascii.Error is a ValueError
        usable = False
    if not usable:
        raise ValueError("PERSONAS_ALERT_WEBHOOK_SECRET must be a Standard Webhooks secret: whsec_ + base64")


def webhook_secret_problem(source: str, secret: str) -> str | None:
    """What is wrong with a webhook source's shared secret, in words that never repeat it; None if usable.
    A short secret can be guessed and then any payload forged: at least MIN_WEBHOOK_SECRET_BYTES (the generic
    source's `whsec_` secret counts its decoded bytes, as Standard Webhooks defines it)."""
    if not secret:
        return None  # unset: the source is disabled
    if source != "generic":
        return (
            None
            if len(secret) >= MIN_WEBHOOK_SECRET_BYTES
            else f"must be at least {MIN_WEBHOOK_SECRET_BYTES} characters"
        )
    try:
        key = base64.b64decode(secret.removeprefix("whsec_"), validate=True)
    except (binascii.Error, ValueError):
        return "must be whsec_ followed by base64"
    return (
        None
        if len(key) >= MIN_WEBHOOK_SECRET_BYTES
        else f"must hold at least {MIN_WEBHOOK_SECRET_BYTES} bytes after whsec_"
    )


def _secrets_from_environment() -> dict[str, str]:
    return {
        source: os.environ[f"PERSONAS_WEBHOOK_SECRET_{source.upper()}"]
        for source in WEBHOOK_SOURCES
        if os.environ.get(f"PERSONAS_WEBHOOK_SECRET_{source.upper()}")
    }


class ConfigurationError(Exception):
    """A PERSONAS_ variable holds a value the service refuses; the message names it and never repeats the value
    (it may be a secret)."""


def _explained(error: ValidationError) -> str:
    problems = []
    for e in error.errors():
        name = "PERSONAS_" + "_".join(str(part) for part in e.get("loc", ()) if isinstance(part, str)).upper()
        message = str(e.get("msg", "is not valid")).removeprefix("Value error, ")
        problems.append(message if message.startswith(name) else f"{name}: {message}")
    return "; ".join(problems) or "invalid configuration"


@lru_cache
def get_settings() -> Settings:
    """The process's settings, read from the environment once; ConfigurationError when one is unusable."""
    try:
        return Settings()
    except ValidationError as exc:
        raise ConfigurationError(_explained(exc)) from None
