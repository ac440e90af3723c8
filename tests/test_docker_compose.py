"""docker-compose.yml, checked by reading it (no Docker here): the four services, their commands, one schema
upgrade before the others start, and only variable names that service/config.py (or numba) reads."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from service.cli import app
from service.config import Settings

ROOT = Path(__file__).resolve().parents[1]
# Read outside Settings: by pipelines/embed/model_files.py and by numba (service/numba_cache.py picks it).
PROCESS_VARIABLES = {"PERSONAS_MODEL_CACHE", "NUMBA_CACHE_DIR", "PERSONAS_NUMBA_CACHE"}


@pytest.fixture(scope="module")
def services() -> dict[str, dict[str, Any]]:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return dict(compose["services"])


def test_the_services_and_the_one_shot_schema_upgrade(services: dict[str, dict[str, Any]]) -> None:
    assert set(services) == {"migrate", "api", "worker", "scheduler", "postgres", "redis"}
    assert services["scheduler"]["command"][:3] == ["personas", "worker", "--beat"]
    assert services["migrate"]["command"] == ["personas", "db", "upgrade"]
    assert services["api"]["command"][:4] == ["personas", "serve", "--host", "0.0.0.0"]
    assert services["worker"]["command"] == ["personas", "worker"]
    for name in ("api", "worker"):
        waits = services[name]["depends_on"]
        assert waits["migrate"] == {"condition": "service_completed_successfully"}
        assert waits["postgres"] == waits["redis"] == {"condition": "service_healthy"}
    assert services["migrate"]["depends_on"]["postgres"] == {"condition": "service_healthy"}
    assert services["postgres"]["image"].startswith("postgres:16") and services["redis"]["image"] == "redis:7"
    assert "healthcheck" in services["postgres"] and "healthcheck" in services["redis"]
    # `--scale worker=N` needs a worker without a fixed name or a published port
    assert "container_name" not in services["worker"] and "ports" not in services["worker"]


def test_every_personas_command_exists(services: dict[str, dict[str, Any]]) -> None:
    """Each command the file runs is a command of the `personas` CLI (its top-level name, or group)."""
    names = {c.name or (c.callback.__name__ if c.callback else "") for c in app.registered_commands}
    names |= {g.name for g in app.registered_groups if g.name}
    for service in ("migrate", "api", "worker", "scheduler"):
        assert services[service]["command"][1] in names


def test_api_and_worker_share_postgres_redis_and_the_celery_queue(
    services: dict[str, dict[str, Any]],
) -> None:
    for name in ("migrate", "api", "worker", "scheduler"):
        env = services[name]["environment"]
        assert env["PERSONAS_DATABASE_URL"].startswith("postgresql+psycopg://")
        assert "@postgres:5432/" in env["PERSONAS_DATABASE_URL"]
        assert env["PERSONAS_BROKER_URL"] == "redis://redis:6379/0"
        assert env["PERSONAS_QUEUE"] == "celery"
        assert "PERSONAS_BOOTSTRAP_ADMIN_KEY" in env


def test_only_variables_the_service_reads(services: dict[str, dict[str, Any]]) -> None:
    settings = {f"PERSONAS_{field.upper()}" for field in Settings.model_fields}
    for name in ("migrate", "api", "worker"):
        unknown = set(services[name]["environment"]) - settings - PROCESS_VARIABLES
        assert not unknown, f"{name}: {sorted(unknown)} are read by nothing"


def test_caches_and_data_live_in_named_volumes(services: dict[str, dict[str, Any]]) -> None:
    """The caches are where the Dockerfile fills them at build, so a new volume starts as a copy of them."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    for name in ("api", "worker"):
        env = services[name]["environment"]
        mounts = dict(v.split(":", 1) for v in services[name]["volumes"])
        assert mounts == {"model-cache": env["PERSONAS_MODEL_CACHE"], "numba-cache": env["NUMBA_CACHE_DIR"]}
        assert f"PERSONAS_MODEL_CACHE={env['PERSONAS_MODEL_CACHE']}" in dockerfile
        assert f"NUMBA_CACHE_DIR={env['NUMBA_CACHE_DIR']}" in dockerfile
    assert re.search(r"^RUN personas prepare$", dockerfile, re.MULTILINE)
    assert services["postgres"]["volumes"] == ["postgres-data:/var/lib/postgresql/data"]
