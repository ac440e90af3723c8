"""What changed since the previous run, and the persona-shift alerts sent about it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from service.deps import ReadKey, ReadSession
from service.pagination import newest_first_cursor
from service.shifts import service
from service.shifts.schemas import AlertPage, RunChanges

router = APIRouter(tags=["shifts"])


@router.get("/v1/runs/{run_id}/changes", response_model=RunChanges, response_model_by_alias=True)
def run_changes(run_id: Annotated[str, Path(max_length=64)], session: ReadSession, _: ReadKey) -> RunChanges:
    """This succeeded run against the previous succeeded one: personas new, kept or gone (by stable id) with
    share, customers, revenue and cost to serve per customer before and after, and the customers' moves.
    404 when there is no such run; 409 when it has not succeeded or is the first succeeded run."""
    return service.run_changes(session, run_id)


@router.get("/v1/alerts", response_model=AlertPage)
def list_alerts(
    session: ReadSession,
    _: ReadKey,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> AlertPage:
    """Persona-shift events, newest first, with their delivery status (pending, sent, failed), attempts and
    last error."""
    alerts = service.list_alerts(session, limit=limit + 1, cursor=cursor)
    items = [service.alert_read(a) for a in alerts[:limit]]
    return AlertPage(items=items, next_cursor=newest_first_cursor(alerts, limit))
