"""The outbox's queries: replies waiting to be sent, adopted from processes that are gone, and the processes'
heartbeats. Part of `storage.repo.Repository`, kept apart as one concern."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import bulk
from storage.bulk import chunks
from storage.crypto import Cipher
from storage.records import OutboxRecord
from storage.tables import outbox, processes

_PG_DELETE_OUTBOX = text(
    "DELETE FROM outbox USING unnest(CAST(:ids AS varchar[])) AS l(value) WHERE outbox.id = l.value"
)


class OutboxQueries:
    cipher: Cipher

    async def pending_outbox(
        self,
        conn: AsyncConnection,
        platform: str | None,
        me: str,
        alive_since: datetime,
        limit: int = 5000,
    ) -> list[OutboxRecord]:
        """Replies left by processes that are gone (no heartbeat since `alive_since`), adopted by `me`."""
        alive = select(processes.c.id).where(processes.c.heartbeat_at >= alive_since, processes.c.id != me)
        query = select(outbox).where(outbox.c.owner.is_(None) | outbox.c.owner.not_in(alive))
        if platform is not None:
            query = query.where(outbox.c.platform == platform)
        query = query.order_by(outbox.c.id).limit(limit)
        if bulk.is_postgres(conn):
            query = query.with_for_update(skip_locked=True)  # two processes never adopt the same rows
        records = [self._reply(row) for row in (await conn.execute(query)).mappings()]
        orphans = [r.id for r in records if r.owner != me]
        for chunk in chunks(orphans):
            await conn.execute(update(outbox).where(outbox.c.id.in_(chunk)).values(owner=me))
        return records

    async def adopt_outbox(
        self, conn: AsyncConnection, platform: str, me: str, *, mine_too: bool = False, limit: int = 5000
    ) -> list[OutboxRecord]:
        """A platform's replies queued by other processes, alive or not, taken over by `me`: for a connection
        only one process may hold (bot/ownership.py), whose owner alone sends that platform's replies.
        `mine_too`: `me`'s own rows as well (at a takeover, nothing of this platform is in flight here)."""
        query = select(outbox).where(outbox.c.platform == platform)
        if not mine_too:
            query = query.where(outbox.c.owner.is_(None) | (outbox.c.owner != me))
        query = query.order_by(outbox.c.id).limit(limit)
        if bulk.is_postgres(conn):
            query = query.with_for_update(skip_locked=True)  # a row being adopted or deleted is left for later
        records = [self._reply(row) for row in (await conn.execute(query)).mappings()]
        for chunk in chunks([r.id for r in records if r.owner != me]):
            await conn.execute(update(outbox).where(outbox.c.id.in_(chunk)).values(owner=me))
        return records

    async def heartbeat(self, conn: AsyncConnection, me: str, now: datetime) -> None:
        updated = await conn.execute(update(processes).where(processes.c.id == me).values(heartbeat_at=now))
        if updated.rowcount == 0:
            await conn.execute(processes.insert().values(id=me, started_at=now, heartbeat_at=now))

    async def forget_dead_processes(self, conn: AsyncConnection, before: datetime) -> None:
        await conn.execute(delete(processes).where(processes.c.heartbeat_at < before))

    async def delete_outbox(self, conn: AsyncConnection, ids: Sequence[str]) -> None:
        if bulk.is_postgres(conn):
            if ids:
                await conn.execute(_PG_DELETE_OUTBOX, {"ids": list(ids)})
            return
        for chunk in chunks(list(ids)):
            await conn.execute(delete(outbox).where(outbox.c.id.in_(chunk)))

    def _reply(self, row: Any) -> OutboxRecord:
        return OutboxRecord(
            id=row["id"],
            user_id=row["user_id"],
            platform=row["platform"],
            chat_key=row["chat_key"],
            priority=row["priority"],
            payload=json.loads(self.cipher.decrypt(row["payload_enc"])),
            created_at=row["created_at"],
            owner=row["owner"],
        )
