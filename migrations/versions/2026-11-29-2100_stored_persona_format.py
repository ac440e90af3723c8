"""stored persona format: each run persona holds {persona, note}; run summaries carry their totals

Runs stored before the middle-layer redesign keep a Persona as the run persona payload and may lack
summary.totals. Their payload becomes {"persona": <the Persona>, "note": null}: the grade note stays as it was
worded then (with the label of that time); later renames name personas anew only in runs stored after this.

Revision ID: 3c1d2e4f5a6b
Revises: 6efaffde71ce
Create Date: 2026-11-29 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3c1d2e4f5a6b"
down_revision: str | None = "6efaffde71ce"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

run_personas = sa.table("run_personas", sa.column("id", sa.Integer), sa.column("payload", sa.JSON))
runs = sa.table(
    "runs", sa.column("id", sa.String), sa.column("summary", sa.JSON), sa.column("report_data", sa.JSON)
)


def upgrade() -> None:
    connection = op.get_bind()
    for row_id, payload in connection.execute(sa.select(run_personas.c.id, run_personas.c.payload)).all():
        if isinstance(payload, dict) and "persona" not in payload:
            wrapped = {"persona": payload, "note": None}
            connection.execute(
                run_personas.update().where(run_personas.c.id == row_id).values(payload=wrapped)
            )
    for run_id, summary, data in connection.execute(
        sa.select(runs.c.id, runs.c.summary, runs.c.report_data)
    ).all():
        totals = (data or {}).get("totals") if isinstance(data, dict) else None
        if isinstance(summary, dict) and "totals" not in summary and totals:
            connection.execute(
                runs.update().where(runs.c.id == run_id).values(summary={**summary, "totals": totals})
            )


def downgrade() -> None:
    connection = op.get_bind()
    for row_id, payload in connection.execute(sa.select(run_personas.c.id, run_personas.c.payload)).all():
        if isinstance(payload, dict) and "persona" in payload:
            connection.execute(
                run_personas.update().where(run_personas.c.id == row_id).values(payload=payload["persona"])
            )
