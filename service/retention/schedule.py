"""The daily purge as the worker runs it: the inline executor ticks it while idle; Celery beat calls `purge_now`."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from service.config import Settings
from service.db import Database
from service.retention.service import PurgeResult, purge_expired

log = logging.getLogger("personas.retention")
PURGE_EVERY = timedelta(days=1)
RETRY_AFTER = timedelta(minutes=10)


def utc_now() -> datetime:
    return datetime.now(UTC)


def purge_now(database: Database, settings: Settings, now: datetime) -> PurgeResult:
    """One purge in its own transaction, logged with its counts."""
    with database.transaction() as session:
        result = purge_expired(session, now=now, retention_days=settings.retention_days)
    log.info("retention purge", extra={"retention_days": settings.retention_days, **result.model_dump()})
    return result


class DailyPurge:
    """Purges at the first tick, then once a day; a failure (database down) is logged and retried soon."""

    def __init__(
        self, database: Database, settings: Settings, clock: Callable[[], datetime] = utc_now
    ) -> None:
        self.database, self.settings, self.clock = database, settings, clock
        self._next: datetime | None = None

    def tick(self) -> PurgeResult | None:
        """Purge if one is due; the result, or None when none was due or it failed."""
        now = self.clock()
        if self._next is not None and now < self._next:
            return None
        try:
            result = purge_now(self.database, self.settings, now)
        except Exception:
            log.warning("retention purge failed; will retry", exc_info=True)
            self._next = now + RETRY_AFTER
            return None
        self._next = now + PURGE_EVERY
        return result
