"""job transcripts: which transcript a run put in which job of which persona (GET /v1/transcripts?job=)

Runs stored before this revision have no rows: their jobs list no transcripts when drilled into.

Revision ID: 9a7c5e3b1d20
Revises: 3c1d2e4f5a6b
Create Date: 2026-11-30 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9a7c5e3b1d20"
down_revision: str | None = "3c1d2e4f5a6b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "job_transcripts",
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("transcript_id", sa.Integer(), nullable=False),
        sa.Column("persona_id", sa.String(length=40), nullable=False),
        sa.Column("job", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_job_transcripts_run_id_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("run_id", "transcript_id", name=op.f("pk_job_transcripts")),
    )
    op.create_index(
        "ix_job_transcripts_run_persona_job", "job_transcripts", ["run_id", "persona_id", "job"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_job_transcripts_run_persona_job", table_name="job_transcripts")
    op.drop_table("job_transcripts")
