"""persona alerts: one row per persona-shift event sent to PERSONAS_ALERT_WEBHOOK_URL, with its delivery status

Revision ID: 05edcb028bf2
Revises: 5e0a1c7b9d42
Create Date: 2026-11-30 00:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "05edcb028bf2"
down_revision: str | None = "5e0a1c7b9d42"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "persona_alerts",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("previous_run_id", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_persona_alerts_run_id_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_persona_alerts")),
        sa.UniqueConstraint("run_id", name=op.f("uq_persona_alerts_run_id")),
    )
    op.create_index(op.f("ix_persona_alerts_status"), "persona_alerts", ["status"], unique=False)
    op.create_index(op.f("ix_persona_alerts_created_at"), "persona_alerts", ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_persona_alerts_created_at"), table_name="persona_alerts")
    op.drop_index(op.f("ix_persona_alerts_status"), table_name="persona_alerts")
    op.drop_table("persona_alerts")
