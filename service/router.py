"""The API router: only includes the domain routers."""

from fastapi import APIRouter

from service.accounts.routes import router as accounts_router
from service.audit.routes import router as audit_router
from service.dashboard.routes import router as dashboard_router
from service.erasure.routes import router as erasure_router
from service.health.routes import router as health_router
from service.ingest.routes import router as transcripts_router
from service.ingest.webhooks import router as webhooks_router
from service.personas.routes import router as personas_router
from service.reports.routes import router as reports_router
from service.runs.routes import router as runs_router
from service.shifts.routes import router as shifts_router
from service.status.routes import router as status_router

api_router = APIRouter()
for domain_router in (
    health_router,
    transcripts_router,
    webhooks_router,
    accounts_router,
    runs_router,
    status_router,
    personas_router,
    erasure_router,
    reports_router,
    audit_router,
    shifts_router,
    dashboard_router,
):
    api_router.include_router(domain_router)
