"""embedding claims: background embedding shares the backlog between workers; a claim per (transcript, model)
says who is embedding it and until when, so no transcript is embedded twice by the same model.

Revision ID: 3c1f0e9a7b25
Revises: 84f7b12a5eda
Create Date: 2026-11-30 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3c1f0e9a7b25"
down_revision: str | None = "84f7b12a5eda"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "embedding_claims",
        sa.Column("transcript_id", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(length=300), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=200), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["transcript_id"],
            ["transcripts.id"],
            name=op.f("fk_embedding_claims_transcript_id_transcripts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("transcript_id", "model", name=op.f("pk_embedding_claims")),
    )
    op.create_index(op.f("ix_embedding_claims_token"), "embedding_claims", ["token"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_embedding_claims_token"), table_name="embedding_claims")
    op.drop_table("embedding_claims")
