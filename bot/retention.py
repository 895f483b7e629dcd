"""Retention: what Phare keeps, and for how long.

- `PHARE_RETENTION_DAYS` (unset: kept until /forget): history entries, kept notes and the facts of crisis
  resources shown that are older go, in small batches from the writer's tick (storage/retention.py).
- The de-duplication marks of messages from people the instance refuses (not on PHARE_ALLOWED_USERS, no invite
  code) go after a day instead of seven: their mark is written dated so that the ordinary pruning takes it then.

Each writer owns its Retention, built from the `retention_days` it is given (bot/app.py passes the setting).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from storage.retention import RETENTION_BATCH, prune_expired

REFUSED_KEEP = timedelta(days=1)
EVERY = timedelta(minutes=10)  # between two passes once the backlog is cleared (the tick runs every second)


class Retention:
    """How long this writer keeps history, kept notes and crisis facts (`days`; None: until /forget)."""

    def __init__(self, days: int | None = None, *, batch: int = RETENTION_BATCH) -> None:
        self.keep = timedelta(days=days) if days else None
        self.batch = batch  # rows per table per pass
        self.next_pass: datetime | None = None

    async def prune(self, conn: AsyncConnection, now: datetime) -> int:
        """One pass if one is due: what is older than the retention period, a batch per table."""
        if self.keep is None or (self.next_pass is not None and now < self.next_pass):
            return 0
        deleted = await prune_expired(conn, now - self.keep, self.batch)
        # A full batch means more is waiting: the next tick goes on; otherwise wait a while.
        self.next_pass = now if deleted >= self.batch else now + EVERY
        return deleted


def refused_mark(mark: tuple[str, str], now: datetime, keep: timedelta) -> tuple[str, str, datetime]:
    """A refused person's de-duplication mark, dated so that pruning after `keep` takes it after REFUSED_KEEP."""
    return (*mark, now - keep + REFUSED_KEEP)
