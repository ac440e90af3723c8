"""Every ORM model, imported in one place so Alembic and the tests see them all."""

from service.accounts.models import Account
from service.audit.models import AuditEvent
from service.auth.models import ApiKey, InstallSecret
from service.db import Base
from service.embedding.models import EmbeddingClaim
from service.ingest.models import (
    ImportCheckpoint,
    Transcript,
    TranscriptEmbedding,
    WebhookDelivery,
    WebhookDeliveryCustomer,
)
from service.personas.models import CustomerAssignment, PersonaLabel, RunPersona
from service.runs.models import Run
from service.shifts.models import PersonaAlert

__all__ = [
    "Account",
    "ApiKey",
    "AuditEvent",
    "Base",
    "CustomerAssignment",
    "EmbeddingClaim",
    "PersonaAlert",
    "InstallSecret",
    "ImportCheckpoint",
    "PersonaLabel",
    "Run",
    "RunPersona",
    "Transcript",
    "TranscriptEmbedding",
    "WebhookDelivery",
    "WebhookDeliveryCustomer",
]
