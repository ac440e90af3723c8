"""ASGI middleware that checks the API key of every /v1 request before anything reads the body, and
rate-limits authentication failures per client.

It guards the keyed API: every /v1 route except the webhooks, which are signed, not keyed. Outermost, so a bad key with a 2 MB malformed body gets 401 (not the 413 or 422 that reading it would give)
and costs no parsing. The key found is left in the request state for the scope check (service.deps). The failure limit is kept in this process's memory (per client IP, a
sliding minute): enough to stop key guessing against one server; behind several replicas each counts its own.
"""

from __future__ import annotations

import logging
import re
import time
from collections import deque

from sqlalchemy.exc import DBAPIError, OperationalError
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from service.auth.models import ApiKey
from service.auth.service import authenticate, needs_use_recorded, record_use, scope_allows
from service.db import Database
from service.errors import problem_response

log = logging.getLogger("personas.auth")
UNAUTHORIZED_HEADERS = {"WWW-Authenticate": 'Bearer realm="personas"'}
WINDOW_S = 60.0
_MAX_CLIENTS = 10_000  # clients remembered; the oldest are forgotten beyond this


class FailureLimiter:
    """At most `limit` authentication failures per client in any WINDOW_S seconds."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, client: str, now: float) -> deque[float]:
        failures = self._failures.get(client, deque())
        while failures and failures[0] <= now - WINDOW_S:
            failures.popleft()
        return failures

    def retry_after(self, client: str) -> int | None:
        """Seconds until this client may try again, or None if it may now."""
        now = time.monotonic()
        failures = self._recent(client, now)
        if len(failures) < self.limit:
            return None
        return max(1, int(failures[0] + WINDOW_S - now + 0.999))

    def failed(self, client: str) -> None:
        now = time.monotonic()
        failures = self._recent(client, now)
        failures.append(now)
        self._failures.pop(client, None)
        self._failures[client] = failures  # most recent last
        if len(self._failures) > _MAX_CLIENTS:
            self._failures.pop(next(iter(self._failures)))


def scope_refusal(granted: str, needed: str) -> str:
    return f"This key has scope '{granted}'; this endpoint needs '{needed}'."


def bearer_token(scope: Scope) -> str | None:
    for name, value in scope.get("headers") or []:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            token = token.strip()
            return token if scheme.lower() == "bearer" and token else None
    return None


def _check(database: Database, token: str) -> ApiKey | None:
    with database.session() as session:
        key = authenticate(session, token)
    if key is not None and needs_use_recorded(key):  # at most once a minute per key: polling does not write
        with database.transaction() as session:
            record_use(session, key.id)
    return key


def template_pattern(template: str) -> re.Pattern[str]:
    """A route template (`/v1/runs/{run_id}/cancel`) as a pattern that matches its paths."""
    parts = re.split(r"(\{[^}]+\})", template)
    return re.compile("".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts))


class ApiKeyGuard:
    """Guards the routes (template, methods) it is given; other requests pass (a 404 or 405 stays one)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        database: Database,
        failures_per_minute: int,
        routes: list[tuple[str, frozenset[str], str | None]],
    ) -> None:
        self.app, self.database = app, database
        self.limiter = FailureLimiter(failures_per_minute)
        self.routes = [(template_pattern(template), methods, needed) for template, methods, needed in routes]

    def _guarded(self, scope: Scope) -> tuple[bool, str | None]:
        """Whether the request needs a key, and the scope its route asks for."""
        if scope["type"] != "http":
            return False, None
        path, method = scope.get("path", ""), scope.get("method", "GET")
        for pattern, methods, needed in self.routes:
            if method in methods and pattern.fullmatch(path):
                return True, needed
        return False, None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        guarded, needed = self._guarded(scope)
        if not guarded:
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("unknown", 0))[0]
        wait = self.limiter.retry_after(client)
        if wait is not None:
            detail = "Too many requests with a missing or wrong API key; retry later."
            await problem_response(429, detail, headers={"Retry-After": str(wait)})(scope, receive, send)
            return
        token = bearer_token(scope)
        try:
            key = await run_in_threadpool(_check, self.database, token) if token else None
        except DBAPIError as exc:  # outside the app's error handlers: answered here the same way
            down = isinstance(exc, OperationalError) or exc.connection_invalidated
            log.warning("could not check an API key: %s", type(exc.orig).__name__)
            status, detail = (
                (503, "The database is unavailable; retry shortly.")
                if down
                else (500, "A database error occurred.")
            )
            headers = {"Retry-After": "5"} if down else None
            await problem_response(status, detail, headers=headers)(scope, receive, send)
            return
        if key is None:
            self.limiter.failed(client)
            detail = "Missing bearer API key." if token is None else "Unknown, revoked or expired API key."
            await problem_response(401, detail, headers=UNAUTHORIZED_HEADERS)(scope, receive, send)
            return
        if needed is not None and not scope_allows(key.scope, needed):  # also before the body is read
            await problem_response(403, scope_refusal(key.scope, needed))(scope, receive, send)
            return
        scope.setdefault("state", {})["api_key"] = key
        await self.app(scope, receive, send)
