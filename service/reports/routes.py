"""The HTML persona report of a run, or of the latest succeeded run."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import HTMLResponse

from service.deps import ReadKey, ReadSession
from service.personas.service import resolve_run
from service.reports.formatting import report_filename
from service.reports.policy import content_security_policy
from service.reports.service import build_report

router = APIRouter(tags=["reports"])
HTML = {200: {"content": {"text/html": {}}, "description": "A self-contained HTML report."}}


def _html(session: ReadSession, run_id: str | None) -> HTMLResponse:
    run = resolve_run(session, run_id)
    html = build_report(session, run)
    headers = {
        "Content-Disposition": f'inline; filename="{report_filename(run.id)}"',
        "Content-Security-Policy": content_security_policy(html),
    }
    return HTMLResponse(html, headers=headers)


@router.get("/v1/runs/{run_id}/report", response_class=HTMLResponse, responses=HTML)  # type: ignore[arg-type]
def run_report(run_id: Annotated[str, Path(max_length=64)], session: ReadSession, _: ReadKey) -> HTMLResponse:
    """The persona report of a succeeded run."""
    return _html(session, run_id)


@router.get("/v1/reports/latest", response_class=HTMLResponse, responses=HTML)  # type: ignore[arg-type]
def latest_report(session: ReadSession, _: ReadKey) -> HTMLResponse:
    """The persona report of the latest succeeded run."""
    return _html(session, None)
