"""webhook delivery customers: which customers a delivery carried, so an erasure removes their delivery records

Revision ID: 6769fc143b0d
Revises: 05edcb028bf2
Create Date: 2026-11-30 00:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "6769fc143b0d"
down_revision: str | None = "05edcb028bf2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "webhook_delivery_customers",
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["webhook_deliveries.id"],
            name=op.f("fk_webhook_delivery_customers_delivery_id_webhook_deliveries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("delivery_id", "customer_id", name=op.f("pk_webhook_delivery_customers")),
    )
    op.create_index(
        op.f("ix_webhook_delivery_customers_customer_id"),
        "webhook_delivery_customers",
        ["customer_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_webhook_deliveries_received_at"), "webhook_deliveries", ["received_at"], unique=False
    )
    op.create_index(op.f("ix_transcripts_received_at"), "transcripts", ["received_at"], unique=False)
    op.create_index(op.f("ix_transcripts_started_at"), "transcripts", ["started_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_transcripts_started_at"), table_name="transcripts")
    op.drop_index(op.f("ix_transcripts_received_at"), table_name="transcripts")
    op.drop_index(op.f("ix_webhook_deliveries_received_at"), table_name="webhook_deliveries")
    op.drop_index(op.f("ix_webhook_delivery_customers_customer_id"), table_name="webhook_delivery_customers")
    op.drop_table("webhook_delivery_customers")
