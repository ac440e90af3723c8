"""Request-scoped dependencies: sessions that commit or roll back, and scoped API-key auth."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from service.auth.guard import UNAUTHORIZED_HEADERS, scope_refusal
from service.auth.models import ApiKey
from service.auth.service import scope_allows
from service.config import Settings
from service.db import Database
from service.errors import Problem


async def read_raw_body(request: Request) -> bytes:
    """The raw request body, read in the event loop so handlers can stay synchronous."""
    return await request.body()


RawBody = Annotated[bytes, Depends(read_raw_body)]

bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer <key>`")


def get_database(request: Request) -> Database:
    return request.app.state.database  # type: ignore[no-any-return]


def get_settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def _session(database: Database, *, write: bool) -> Iterator[Session]:
    with database.transaction(write=write) as session:
        yield session


def get_read_session(database: Annotated[Database, Depends(get_database)]) -> Iterator[Session]:
    yield from _session(database, write=False)


def get_write_session(database: Annotated[Database, Depends(get_database)]) -> Iterator[Session]:
    yield from _session(database, write=True)


# scope="function": the session commits before the response is sent, so a 2xx means the data is durable.
ReadSession = Annotated[Session, Depends(get_read_session, scope="function")]
WriteSession = Annotated[Session, Depends(get_write_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]
DatabaseDep = Annotated[Database, Depends(get_database)]


def require_scope(scope: str) -> Callable[..., ApiKey]:
    """A dependency that admits keys holding `scope` (admin holds all): 401 without a valid key, 403 otherwise.
    The key was checked by service.auth.guard.ApiKeyGuard before the body was read; this checks its scope."""

    def dependency(
        request: Request, _: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
    ) -> ApiKey:
        key: ApiKey | None = getattr(request.state, "api_key", None)
        if key is None:  # only outside /v1/, where the guard does not look
            raise Problem(401, "Missing bearer API key.", headers=UNAUTHORIZED_HEADERS)
        if not scope_allows(key.scope, scope):
            raise Problem(403, scope_refusal(key.scope, scope))
        return key

    dependency.required_scope = scope  # type: ignore[attr-defined]  # read by the guard (service/app.py)
    return dependency


ReadKey = Annotated[ApiKey, Depends(require_scope("read"))]
IngestKey = Annotated[ApiKey, Depends(require_scope("ingest"))]
AdminKey = Annotated[ApiKey, Depends(require_scope("admin"))]
