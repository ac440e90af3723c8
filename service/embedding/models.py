"""Who is embedding a transcript right now: a claim per (transcript, model), so no transcript is embedded twice
by the same model however many workers share the backlog."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from service.db import Base, UTCDateTime


class EmbeddingClaim(Base):
    """A lease on embedding one transcript revision with one model; deleted once its vector is stored.

    `token` names the holder (a Celery task id, which a retried task keeps; a run id; an inline chunk). A claim
    past `expires_at` belongs to nobody: its holder died, and the next worker takes the transcript over.
    """

    __tablename__ = "embedding_claims"

    transcript_id: Mapped[int] = mapped_column(
        ForeignKey("transcripts.id", ondelete="CASCADE"), primary_key=True
    )
    model: Mapped[str] = mapped_column(String(300), primary_key=True)
    revision: Mapped[int] = mapped_column(Integer)
    token: Mapped[str] = mapped_column(String(200), index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
