"""Retention: one purge function with an explicit `now`, the daily schedule the inline worker ticks, Celery beat."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import func, select, update

from service.config import Settings
from service.db import Database
from service.ingest.models import Transcript, TranscriptEmbedding, WebhookDelivery, WebhookDeliveryCustomer
from service.ingest.schemas import TranscriptIn
from service.ingest.service import claim_delivery, store_transcripts
from service.retention.schedule import PURGE_EVERY, RETRY_AFTER, DailyPurge
from service.retention.service import DELIVERY_WINDOW, purge_expired
from service.runs.executor import POLL_SECONDS, InlineExecutor
from service.runs.tasks import celery_app, purge_expired_task, worker_database
from tests.service.builders import transcript_payload

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def _store(database: Database, external_id: str, started_at: datetime | None, received_at: datetime) -> int:
    transcript = TranscriptIn.model_validate(transcript_payload(external_id, started_at=started_at))
    with database.transaction() as session:
        store_transcripts(session, source="api", transcripts=[transcript])
        row = session.scalars(select(Transcript).where(Transcript.external_id == external_id)).one()
        row.received_at = received_at
        vector = np.zeros(4, dtype=np.float32).tobytes()
        session.add(TranscriptEmbedding(transcript_id=row.id, model="m", dim=4, vector=vector))
        return row.id


def _delivery(database: Database, delivery_id: str, received_at: datetime) -> None:
    transcript = TranscriptIn.model_validate(transcript_payload(f"w-{delivery_id}"))
    with database.transaction() as session:
        assert claim_delivery(session, source="generic", delivery_id=delivery_id, transcripts=[transcript])
        session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.delivery_id == delivery_id)
            .values(received_at=received_at)
        )


def _count(database: Database, model: type) -> int:
    with database.transaction(write=False) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_purge_by_start_else_receipt_with_embeddings_and_old_deliveries(db: Database) -> None:
    old, recent = NOW - timedelta(days=31), NOW - timedelta(days=29)
    expired = [_store(db, "old-start", old, recent), _store(db, "no-start-old-receipt", None, old)]
    kept = [_store(db, "recent-start", recent, old), _store(db, "no-start-recent", None, recent)]
    _delivery(db, "stale", NOW - DELIVERY_WINDOW - timedelta(seconds=1))
    _delivery(db, "fresh", NOW - DELIVERY_WINDOW + timedelta(seconds=5))

    with db.transaction() as session:
        result = purge_expired(session, now=NOW, retention_days=30)
    assert result.model_dump() == {
        "transcripts": 2,
        "embeddings": 2,
        "job_transcripts": 0,
        "webhook_deliveries": 1,
    }
    with db.transaction(write=False) as session:
        assert sorted(session.scalars(select(Transcript.id)).all()) == sorted(kept) + sorted(
            session.scalars(select(Transcript.id).where(Transcript.external_id.like("w-%"))).all()
        )
        assert not set(expired) & set(session.scalars(select(TranscriptEmbedding.transcript_id)).all())
        assert session.scalars(select(WebhookDelivery.delivery_id)).all() == ["fresh"]
    assert _count(db, WebhookDeliveryCustomer) == 1


def test_unset_retention_keeps_transcripts_but_still_purges_deliveries(db: Database) -> None:
    _store(db, "ancient", NOW - timedelta(days=3000), NOW - timedelta(days=3000))
    _delivery(db, "stale", NOW - timedelta(days=1))
    with db.transaction() as session:
        result = purge_expired(session, now=NOW, retention_days=None)
    assert (result.transcripts, result.webhook_deliveries) == (0, 1)
    assert _count(db, Transcript) == 1 and _count(db, WebhookDelivery) == 0


def test_daily_schedule_purges_once_a_day_and_logs_counts(
    db: Database, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    clock = [NOW]
    purge = DailyPurge(db, settings.model_copy(update={"retention_days": 30}), clock=lambda: clock[0])
    _store(db, "old", NOW - timedelta(days=40), NOW)
    caplog.set_level(logging.INFO, logger="personas.retention")
    first = purge.tick()
    assert first is not None and first.transcripts == 1
    assert [r.__dict__["transcripts"] for r in caplog.records if r.getMessage() == "retention purge"] == [1]
    _store(db, "old-too", NOW - timedelta(days=40), NOW)
    clock[0] = NOW + PURGE_EVERY - timedelta(seconds=1)
    assert purge.tick() is None and _count(db, Transcript) == 1  # not due yet
    clock[0] = NOW + PURGE_EVERY
    second = purge.tick()
    assert second is not None and second.transcripts == 1 and _count(db, Transcript) == 0


def test_a_failed_purge_is_retried_soon(settings: Settings) -> None:
    clock = [NOW]

    class Down:
        """An unreachable database (a fake: the test is about the schedule, not the purge)."""

        calls: list[datetime] = []

        def transaction(self, write: bool = True) -> object:
            self.calls.append(clock[0])
            raise ConnectionError("database down")

    database = Down()
    purge = DailyPurge(database, settings, clock=lambda: clock[0])  # type: ignore[arg-type]
    assert purge.tick() is None and database.calls == [NOW]
    clock[0] = NOW + RETRY_AFTER - timedelta(seconds=1)
    assert purge.tick() is None and database.calls == [NOW]  # waits for the retry time, not a day
    clock[0] = NOW + RETRY_AFTER
    assert purge.tick() is None and database.calls == [NOW, NOW + RETRY_AFTER]


def test_celery_beat_schedules_the_purge_task_daily(cli_env: None, db: Database) -> None:
    entry = celery_app.conf.beat_schedule["personas-retention-purge"]
    assert entry["task"] == purge_expired_task.name and entry["task"] in celery_app.tasks
    assert entry["schedule"] == PURGE_EVERY.total_seconds()
    _delivery(db, "stale", datetime.now(UTC) - DELIVERY_WINDOW - timedelta(minutes=1))
    worker_database.cache_clear()  # the task's database is the one PERSONAS_DATABASE_URL names now
    try:
        counts = purge_expired_task()
    finally:
        worker_database().dispose()
        worker_database.cache_clear()
    assert counts == {"transcripts": 0, "embeddings": 0, "job_transcripts": 0, "webhook_deliveries": 1}


def test_the_inline_worker_purges_while_idle(db: Database, settings: Settings) -> None:
    _store(db, "old", datetime.now(UTC) - timedelta(days=40), datetime.now(UTC))
    executor = InlineExecutor(db, settings.model_copy(update={"retention_days": 30}))
    executor.start()
    try:
        deadline = time.monotonic() + 4 * POLL_SECONDS + 5
        while _count(db, Transcript) and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        executor.stop()
    assert _count(db, Transcript) == 0


def test_a_ticket_opened_long_ago_but_still_growing_is_kept(db: Database) -> None:
    """Age is the stored version's: a ticket started 40 days ago that its vendor updated yesterday stays whole
    (purged, the next appended delivery would re-create it with only its new turns)."""
    opened = NOW - timedelta(days=40)
    growing = _store(db, "still-growing", opened, opened)
    finished = _store(db, "finished-long-ago", opened, opened)
    with db.transaction() as session:
        session.get_one(Transcript, growing).source_updated_at = NOW - timedelta(days=1)
        session.get_one(Transcript, finished).source_updated_at = NOW - timedelta(days=35)
    with db.transaction() as session:
        assert purge_expired(session, now=NOW, retention_days=30).transcripts == 1
    with db.transaction(write=False) as session:
        assert session.scalars(select(Transcript.external_id)).all() == ["still-growing"]
