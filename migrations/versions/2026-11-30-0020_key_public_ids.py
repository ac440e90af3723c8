"""api keys: public id + keyed hash of the secret, expiry, last use, the managed bootstrap key; the plain
prefix column goes; install_secrets holds the per-install key-hash secret

Keys made before keep working: their rows keep the SHA-256 of the whole key (`hashed_with` = "sha256") and
are found by it; the key that the old code made for PERSONAS_BOOTSTRAP_ADMIN_KEY (named "bootstrap-admin")
becomes the managed bootstrap key.

Revision ID: 6461daba02e5
Revises: 6769fc143b0d
Create Date: 2026-11-30 00:15:00
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "6461daba02e5"
down_revision: str | None = "6769fc143b0d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "install_secrets",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_install_secrets")),
    )
    # The install's key-hash secret is made here, committed with the schema: made lazily inside the first key's
    # transaction, a rollback of that transaction would leave a process holding a secret no other process sees.
    secrets_table = sa.table("install_secrets", sa.column("name", sa.String), sa.column("value", sa.String))
    op.bulk_insert(secrets_table, [{"name": "key-hash", "value": secrets.token_hex(32)}])
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("public_id", sa.String(length=32), nullable=True))
        batch_op.add_column(
            sa.Column("hashed_with", sa.String(length=8), nullable=False, server_default="sha256")
        )
        batch_op.add_column(sa.Column("bootstrap", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_column("prefix")
        batch_op.create_index(batch_op.f("ix_api_keys_public_id"), ["public_id"], unique=True)
    keys = sa.table("api_keys", sa.column("name", sa.String), sa.column("bootstrap", sa.Boolean))
    op.execute(keys.update().where(keys.c.name == "bootstrap-admin").values(bootstrap=True))


def downgrade() -> None:
    # Keys made with a public id cannot be checked by the older code: they stop working after a downgrade.
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_keys_public_id"))
        batch_op.add_column(sa.Column("prefix", sa.String(length=16), nullable=False, server_default=""))
        batch_op.drop_column("last_used_at")
        batch_op.drop_column("expires_at")
        batch_op.drop_column("bootstrap")
        batch_op.drop_column("hashed_with")
        batch_op.drop_column("public_id")
    op.drop_table("install_secrets")
