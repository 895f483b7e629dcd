"""Reading and writing records. Encryption happens here, so nothing above ever sees a ciphertext."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, and_, bindparam, delete, func, literal_column, select, text, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.crypto import Cipher
from storage.records import Changes, HistoryRecord, KeptNote, OutboxRecord, RunRecord, UserRecord, new_id
from storage.tables import history, kept_notes, outbox, processed, processes, runs, safety_events, users

# A run that has not ended, spelt exactly as the partial index ix_runs_open_updated's condition.
OPEN_RUN = runs.c.status != literal_column("'ended'")
PRUNE_BATCH = 5000  # processed marks per tick: ~5,000 messages a second of backlog cleared, a few ms each


class ConflictError(RuntimeError):
    """Another writer changed a run first; the batch is retried from fresh reads."""


def _chunks(items: Sequence[Any], size: int = 500) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Repository:
    def __init__(self, cipher: Cipher) -> None:
        self.cipher = cipher

    # --- users ------------------------------------------------------------------------------------------

    async def users_by_key(
        self, conn: AsyncConnection, keys: Sequence[tuple[str, str]], *, lock: bool = False
    ) -> dict[tuple[str, str], UserRecord]:
        found: dict[tuple[str, str], UserRecord] = {}
        for chunk in _chunks(sorted(set(keys))):
            query = select(users).where(tuple_(users.c.platform, users.c.external_id).in_(chunk))
            if lock and conn.dialect.name == "postgresql":
                # Row locks in id order serialise one user's messages across processes, without deadlocks.
                query = query.order_by(users.c.id).with_for_update()
            for row in (await conn.execute(query)).mappings():
                record = self._user(row)
                found[(record.platform, record.external_id)] = record
        return found

    async def user_by_id(self, conn: AsyncConnection, user_id: str) -> UserRecord | None:
        row = (await conn.execute(select(users).where(users.c.id == user_id))).mappings().first()
        return self._user(row) if row else None

    @staticmethod
    def _user(row: Any) -> UserRecord:
        return UserRecord(
            id=row["id"],
            platform=row["platform"],
            external_id=row["external_id"],
            locale=row["locale"],
            address=row["address"],
            created_at=row["created_at"],
            country=row["country"],
            timezone=row["timezone"],
            consent_version=row["consent_version"],
            consent_at=row["consent_at"],
            onboarded=bool(row["onboarded"]),
            active=bool(row["active"]),
            settings=dict(row["settings"] or {}),
        )

    @staticmethod
    def _user_row(record: UserRecord) -> dict[str, Any]:
        return {
            "id": record.id,
            "platform": record.platform,
            "external_id": record.external_id,
            "locale": record.locale,
            "address": record.address,
            "country": record.country,
            "timezone": record.timezone,
            "consent_version": record.consent_version,
            "consent_at": record.consent_at,
            "onboarded": record.onboarded,
            "active": record.active,
            "settings": record.settings,
            "created_at": record.created_at,
        }

    # --- runs ---------------------------------------------------------------------------------------

    async def current_runs(self, conn: AsyncConnection, user_ids: Sequence[str]) -> dict[str, RunRecord]:
        found: dict[str, RunRecord] = {}
        for chunk in _chunks(list(set(user_ids))):
            query = select(runs).where(runs.c.user_id.in_(chunk), runs.c.status != "ended")
            for row in (await conn.execute(query)).mappings():
                found[row["user_id"]] = self._run(row)
        return found

    async def run_by_id(self, conn: AsyncConnection, run_id: str) -> RunRecord | None:
        row = (await conn.execute(select(runs).where(runs.c.id == run_id))).mappings().first()
        return self._run(row) if row else None

    async def due_runs(self, conn: AsyncConnection, now: datetime, limit: int = 500) -> list[tuple[str, str]]:
        """(user id, run id) of runs whose pause is over."""
        query = (
            select(runs.c.user_id, runs.c.id)
            .where(runs.c.wake_at.is_not(None), runs.c.wake_at <= now, runs.c.status == "active")
            .order_by(runs.c.wake_at)
            .limit(limit)
        )
        return [(r[0], r[1]) for r in await conn.execute(query)]

    async def next_wake(self, conn: AsyncConnection) -> datetime | None:
        query = select(func.min(runs.c.wake_at)).where(runs.c.status == "active")
        value: datetime | None = (await conn.execute(query)).scalar()  # min() keeps the column's UTC type
        return value

    async def stale_runs(self, conn: AsyncConnection, before: datetime, limit: int = 500) -> list[tuple[str, str]]:
        """(user id, run id) of open runs untouched since `before`, oldest first. Reads the partial index of
        open runs: the condition is spelt as the index's, with a literal, since a bound parameter would keep
        PostgreSQL's generic plan from proving it (and the tick runs the same statement every second)."""
        query = (
            select(runs.c.user_id, runs.c.id)
            .where(OPEN_RUN, runs.c.updated_at < before)
            .order_by(runs.c.updated_at)
            .limit(limit)
        )
        return [(r[0], r[1]) for r in await conn.execute(query)]

    def _run(self, row: Any) -> RunRecord:
        return RunRecord(
            id=row["id"],
            user_id=row["user_id"],
            dialogue_id=row["dialogue_id"],
            status=row["status"],
            state=json.loads(self.cipher.decrypt(row["state_enc"])),
            version=row["version"],
            chat_key=row["chat_key"],
            started_at=row["started_at"],
            updated_at=row["updated_at"],
            wake_at=row["wake_at"],
        )

    def _run_row(self, record: RunRecord) -> dict[str, Any]:
        return {
            "id": record.id,
            "user_id": record.user_id,
            "dialogue_id": record.dialogue_id,
            "status": record.status,
            "state_enc": self.cipher.encrypt(json.dumps(record.state, separators=(",", ":"))),
            "version": record.version,
            "chat_key": record.chat_key,
            "started_at": record.started_at,
            "updated_at": record.updated_at,
            "wake_at": record.wake_at,
        }

    # --- history ------------------------------------------------------------------------------------

    async def history_by_id(self, conn: AsyncConnection, ids: Sequence[str]) -> dict[str, HistoryRecord]:
        found: dict[str, HistoryRecord] = {}
        for chunk in _chunks(list(set(ids))):
            for row in (await conn.execute(select(history).where(history.c.id.in_(chunk)))).mappings():
                found[row["id"]] = self._entry(row)
        return found

    async def history_of(self, conn: AsyncConnection, user_id: str, limit: int | None = None) -> list[HistoryRecord]:
        query = select(history).where(history.c.user_id == user_id).order_by(history.c.started_at.desc())
        if limit is not None:
            query = query.limit(limit)
        return [self._entry(row) for row in (await conn.execute(query)).mappings()]

    def _entry(self, row: Any) -> HistoryRecord:
        notes = json.loads(self.cipher.decrypt(row["notes_enc"])) if row["notes_enc"] else {}
        return HistoryRecord(
            id=row["id"],
            user_id=row["user_id"],
            dialogue_id=row["dialogue_id"],
            started_at=row["started_at"],
            ended_at=row["ended_at"],
            outcome=row["outcome"],
            measures=dict(row["measures"] or {}),
            notes=notes,
        )

    def _entry_row(self, record: HistoryRecord) -> dict[str, Any]:
        return {
            "id": record.id,
            "user_id": record.user_id,
            "dialogue_id": record.dialogue_id,
            "started_at": record.started_at,
            "ended_at": record.ended_at,
            "outcome": record.outcome,
            "measures": record.measures,
            "notes_enc": self.cipher.encrypt(json.dumps(record.notes)) if record.notes else None,
        }

    # --- processed messages, outbox ---------------------------------------------------------------------

    async def seen(self, conn: AsyncConnection, platform: str, message_ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for chunk in _chunks(list(set(message_ids))):
            query = select(processed.c.message_id).where(
                processed.c.platform == platform, processed.c.message_id.in_(chunk)
            )
            found.update(r[0] for r in await conn.execute(query))
        return found

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
        if conn.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)  # two processes never adopt the same rows
        records = [self._reply(row) for row in (await conn.execute(query)).mappings()]
        orphans = [r.id for r in records if r.owner != me]
        for chunk in _chunks(orphans):
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
        if conn.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)  # a row being adopted or deleted is left for later
        records = [self._reply(row) for row in (await conn.execute(query)).mappings()]
        for chunk in _chunks([r.id for r in records if r.owner != me]):
            await conn.execute(update(outbox).where(outbox.c.id.in_(chunk)).values(owner=me))
        return records

    async def heartbeat(self, conn: AsyncConnection, me: str, now: datetime) -> None:
        updated = await conn.execute(update(processes).where(processes.c.id == me).values(heartbeat_at=now))
        if updated.rowcount == 0:
            await conn.execute(processes.insert().values(id=me, started_at=now, heartbeat_at=now))

    async def forget_dead_processes(self, conn: AsyncConnection, before: datetime) -> None:
        await conn.execute(delete(processes).where(processes.c.heartbeat_at < before))

    async def delete_outbox(self, conn: AsyncConnection, ids: Sequence[str]) -> None:
        for chunk in _chunks(list(ids)):
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

    async def kept_of(self, conn: AsyncConnection, user_id: str, collection: str | None = None) -> list[KeptNote]:
        query = select(kept_notes).where(kept_notes.c.user_id == user_id).order_by(kept_notes.c.created_at)
        if collection is not None:
            query = query.where(kept_notes.c.collection == collection)
        return [
            KeptNote(r["id"], r["user_id"], r["collection"], self.cipher.decrypt(r["text_enc"]), r["created_at"])
            for r in (await conn.execute(query)).mappings()
        ]

    async def clear_kept(self, conn: AsyncConnection, user_id: str, collection: str) -> None:
        await conn.execute(
            delete(kept_notes).where(kept_notes.c.user_id == user_id, kept_notes.c.collection == collection)
        )

    async def prune_processed(self, conn: AsyncConnection, before: datetime, limit: int = PRUNE_BATCH) -> int:
        """Forget up to `limit` de-duplication marks older than `before`, oldest first, through the index on
        their time; returns how many went. Bounded so one tick never holds the writer for long after a backlog
        (a restore, a long stop): the next ticks take the rest.

        The marks are named by their physical address (SQLite's rowid, PostgreSQL's ctid): matching them by
        key instead lets PostgreSQL's generic plan hash-join the subquery against a scan of the whole table."""
        address = "ctid" if conn.dialect.name == "postgresql" else "rowid"
        oldest = (
            f"SELECT {address} FROM processed_messages WHERE processed_at < :before ORDER BY processed_at LIMIT :limit"
        )
        which = f"ctid = ANY(ARRAY({oldest}))" if address == "ctid" else f"rowid IN ({oldest})"
        statement = text(f"DELETE FROM processed_messages WHERE {which}").bindparams(
            bindparam("before", type_=processed.c.processed_at.type), bindparam("limit", type_=Integer())
        )
        result = await conn.execute(statement, {"before": before, "limit": limit})
        return int(result.rowcount)

    async def set_active(self, conn: AsyncConnection, user_id: str, active: bool) -> None:
        await conn.execute(update(users).where(users.c.id == user_id).values(active=active))

    # --- writing a batch ------------------------------------------------------------------------------

    async def flush(self, conn: AsyncConnection, changes: Changes) -> None:
        """Write one batch: every change, or (if anything fails) none of them, since the caller's
        transaction wraps this call."""
        if changes.users_new:
            await conn.execute(users.insert(), [self._user_row(u) for u in changes.users_new.values()])
        if changes.users_dirty:
            rows = [self._user_row(u) for u in changes.users_dirty.values()]
            for row in rows:
                row["b_id"] = row.pop("id")
            stmt = update(users).where(users.c.id == bindparam("b_id"))
            await conn.execute(stmt, rows)
        if changes.runs_new:
            await conn.execute(runs.insert(), [self._run_row(r) for r in changes.runs_new.values()])
        if changes.runs_dirty:
            rows = []
            for record in changes.runs_dirty.values():
                row = self._run_row(record)
                row["b_id"] = row.pop("id")
                row["b_expected"] = record.version
                row["version"] = record.version + 1
                rows.append(row)
            stmt = update(runs).where(and_(runs.c.id == bindparam("b_id"), runs.c.version == bindparam("b_expected")))
            result = await conn.execute(stmt, rows)
            if 0 <= result.rowcount < len(rows):
                raise ConflictError("a run changed under this batch")
            for record in changes.runs_dirty.values():
                record.version += 1  # now what the row holds, for a caller that keeps the record
        if changes.history_new:
            await conn.execute(history.insert(), [self._entry_row(h) for h in changes.history_new.values()])
        if changes.history_dirty:
            rows = [self._entry_row(h) for h in changes.history_dirty.values()]
            for row in rows:
                row["b_id"] = row.pop("id")
            await conn.execute(update(history).where(history.c.id == bindparam("b_id")), rows)
        for user_id in changes.forgotten:
            await self.forget(conn, user_id)
        if changes.outbox_new:
            await conn.execute(outbox.insert(), [self._outbox_row(o) for o in changes.outbox_new])
        if changes.processed_new:
            rows = [{"platform": p, "message_id": m, "processed_at": t} for p, m, t in changes.processed_new]
            await conn.execute(processed.insert(), rows)
        if changes.kept_new:
            rows = [
                {
                    "id": k.id,
                    "user_id": k.user_id,
                    "collection": k.collection,
                    "text_enc": self.cipher.encrypt(k.text),
                    "created_at": k.created_at,
                }
                for k in changes.kept_new
            ]
            await conn.execute(kept_notes.insert(), rows)
        if changes.safety_new:
            rows = [
                {"id": new_id(), "user_id": u, "kind": k, "country": c, "at": t} for u, k, c, t in changes.safety_new
            ]
            await conn.execute(safety_events.insert(), rows)

    def _outbox_row(self, record: OutboxRecord) -> dict[str, Any]:
        return {
            "id": record.id,
            "user_id": record.user_id,
            "platform": record.platform,
            "chat_key": record.chat_key,
            "priority": record.priority,
            "payload_enc": self.cipher.encrypt(json.dumps(record.payload, separators=(",", ":"))),
            "created_at": record.created_at,
            "owner": record.owner,
        }

    async def forget(self, conn: AsyncConnection, user_id: str) -> None:
        """Every row about the user goes; replies still queued stay only as anonymous deliveries. In supervision
        groups: their agenda items, round answers and memberships (kept by platform id, not by user row)."""
        from storage.groups import forget_member

        found = (await conn.execute(select(users.c.platform, users.c.external_id).where(users.c.id == user_id))).first()
        if found is not None:
            await forget_member(conn, found[0], found[1])
        await conn.execute(update(outbox).where(outbox.c.user_id == user_id).values(user_id=None))
        for table in (safety_events, kept_notes, history, runs):
            await conn.execute(delete(table).where(table.c.user_id == user_id))
        await conn.execute(delete(users).where(users.c.id == user_id))

    async def rows_about(self, conn: AsyncConnection, user_id: str) -> int:
        total = 0
        for table in (users, runs, history, outbox, safety_events, kept_notes):
            column = table.c.id if table is users else table.c.user_id
            total += (await conn.execute(select(func.count()).where(column == user_id))).scalar_one()
        return total
