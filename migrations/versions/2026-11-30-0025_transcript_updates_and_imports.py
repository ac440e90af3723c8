"""transcript updates and history imports: a revision counter, a content hash and the vendor's updated-at
per transcript (changed content replaces the stored version; an older snapshot never does), per-turn vendor
keys (Intercom parts arrive a few at a time), the revision each cached embedding was made from, and
`import_checkpoints` (how far `personas import` got through a file, so a rerun resumes).

Rows stored before this revision get revision 1 and no hash (computed from the stored content when needed).

Revision ID: 84f7b12a5eda
Revises: 6461daba02e5
Create Date: 2026-11-30 00:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "84f7b12a5eda"
down_revision: str | None = "6461daba02e5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("transcripts") as batch:
        batch.add_column(sa.Column("revision", sa.Integer(), server_default="1", nullable=False))
        batch.add_column(sa.Column("content_hash", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("source_updated_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("turn_keys", sa.JSON(), nullable=True))
    with op.batch_alter_table("transcript_embeddings") as batch:
        batch.add_column(sa.Column("revision", sa.Integer(), server_default="1", nullable=False))
    op.create_table(
        "import_checkpoints",
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("records_done", sa.Integer(), nullable=False),
        sa.Column("finished", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("file_sha256", name=op.f("pk_import_checkpoints")),
    )


def downgrade() -> None:
    op.drop_table("import_checkpoints")
    with op.batch_alter_table("transcript_embeddings") as batch:
        batch.drop_column("revision")
    with op.batch_alter_table("transcripts") as batch:
        batch.drop_column("turn_keys")
        batch.drop_column("source_updated_at")
        batch.drop_column("content_hash")
        batch.drop_column("revision")
