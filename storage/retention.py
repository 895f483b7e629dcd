"""Deleting what is older than the retention period (PHARE_RETENTION_DAYS): history entries, kept notes and the
facts of crisis resources shown. Small batches, like the de-duplication marks' pruning (Repository.prune_processed),
so one tick never holds the writer long."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Table, delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.tables import history, kept_notes, safety_events

RETENTION_BATCH = 1000  # rows per table per pass
# Each table with the column that dates its rows: an exercise by when it started, a note when it was kept.
EXPIRING: tuple[tuple[Table, Column[object]], ...] = (
    (history, history.c.started_at),
    (kept_notes, kept_notes.c.created_at),
    (safety_events, safety_events.c.at),
)


async def prune_expired(conn: AsyncConnection, before: datetime, limit: int = RETENTION_BATCH) -> int:
    """Delete up to `limit` rows per table dated before `before`, oldest first; returns how many went in all."""
    total = 0
    for table, dated in EXPIRING:
        oldest = select(table.c.id).where(dated < before).order_by(dated).limit(limit)
        result = await conn.execute(delete(table).where(table.c.id.in_(oldest.scalar_subquery())))
        total += int(result.rowcount)
    return total
