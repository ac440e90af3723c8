"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from prometheus_client import CollectorRegistry
from prometheus_fastapi_instrumentator import Instrumentator

from service.auth.guard import ApiKeyGuard
from service.auth.service import ensure_bootstrap_key
from service.config import Settings, get_settings
from service.db import Database
from service.errors import install_error_handlers
from service.json_response import FiniteJSONResponse
from service.limits import BodySizeLimit, NoSniff
from service.logs import redact_access_log
from service.openapi_schema import with_problem_responses
from service.personas.cache import EncodedCache
from service.router import api_router
from service.runs.executor import Executor, make_executor

DESCRIPTION = (
    "Support-log persona discovery: ingest chat and call transcripts, discover 2-4 expectations personas, "
    "price them by revenue and cost to serve, and flag the core-growth persona."
)


Routes = list[tuple[str, frozenset[str], str | None]]


def _required_scope(route: Any) -> str | None:
    """The scope a route's key dependency (service.deps.require_scope) asks for, if any."""
    pending = list(getattr(getattr(route, "dependant", None), "dependencies", []))
    while pending:
        dependency = pending.pop()
        scope = getattr(dependency.call, "required_scope", None)
        if isinstance(scope, str):
            return scope
        pending.extend(dependency.dependencies)
    return None


def _route_paths(routes: Sequence[Any]) -> Routes:
    """Every route's path template, methods and required scope, included routers' too (FastAPI keeps those
    behind `original_router`)."""
    paths: Routes = []
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            paths += _route_paths(included.routes)
        elif isinstance(getattr(route, "path", None), str):
            methods = frozenset(getattr(route, "methods", None) or ())
            paths.append((route.path, methods, _required_scope(route)))
    return paths


def create_app(
    settings: Settings | None = None, database: Database | None = None, executor: Executor | None = None
) -> FastAPI:
    settings = settings or get_settings()
    database = database or Database.from_url(settings.database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.bootstrap_admin_key:
            with database.transaction() as session:
                ensure_bootstrap_key(session, settings.bootstrap_admin_key)
        app.state.executor.start()
        yield
        app.state.executor.stop()
        database.dispose()

    app = FastAPI(
        title="Personas",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        default_response_class=FiniteJSONResponse,
    )
    app.state.settings = settings
    app.state.database = database
    app.state.executor = executor or make_executor(database, settings)
    app.state.persona_cache = EncodedCache()
    install_error_handlers(app)
    app.include_router(api_router)
    paths = _route_paths(app.routes)
    redact_access_log([path for path, _, _ in paths])
    keyed = [
        route for route in paths if route[0].startswith("/v1/") and not route[0].startswith("/v1/webhooks/")
    ]
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    # Added late, so outside: the key is checked before the body size or anything else; every answer (the
    # guard's 401 and 429 too) says nosniff.
    app.add_middleware(
        ApiKeyGuard, database=database, failures_per_minute=settings.auth_failures_per_minute, routes=keyed
    )
    app.add_middleware(NoSniff)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes
            )
            app.openapi_schema = with_problem_responses(schema)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    # One registry per app: tests build several apps in one process and each must count its own requests.
    Instrumentator(excluded_handlers=["/metrics"], registry=CollectorRegistry()).instrument(app).expose(
        app, include_in_schema=False
    )
    return app
