"""Liveness and readiness probes."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from pipelines.embed import default_model_path
from service.deps import DatabaseDep, SettingsDep

router = APIRouter(tags=["health"])


class Readiness(BaseModel):
    status: str
    database: str
    model: str


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "Not ready: the same JSON, naming what is missing."}},
)
def readyz(database: DatabaseDep, settings: SettingsDep) -> JSONResponse:
    """Ready to serve: the database answers and the embedding model is on disk."""
    checks = {"database": "ok", "model": "ok"}
    try:
        with database.read_engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError:
        checks["database"] = "unreachable"
    if not model_available(settings.embedding_model):
        checks["model"] = "missing"
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ok" if ready else "unavailable", **checks}, status_code=200 if ready else 503
    )


def model_available(model: str | None) -> bool:
    """The packaged model (or a configured local path) exists; a hub name cannot be fetched offline anyway."""
    try:
        path = Path(model) if model else default_model_path()
    except (ImportError, FileNotFoundError):
        return False
    return (path / "config.json").is_file() if model is None or path.exists() else False
