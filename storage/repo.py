"""Reading and writing records. Encryption happens here, so nothing above ever sees a ciphertext."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Integer,
    String,
    Table,
    TextualSelect,
    bindparam,
    column,
    delete,
    func,
    literal_column,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import bulk
from storage.bulk import chunks
from storage.crypto import Cipher
from storage.outbox_queries import OutboxQueries
from storage.records import Changes, HistoryRecord, KeptNote, OutboxRecord, RunRecord, UserRecord, new_id, user_from_row
from storage.sink import ConflictError as ConflictError  # the writer retries on it: part of this module's API
from storage.sink import Sink, sqlite_seen
from storage.tables import history, kept_notes, outbox, processed, runs, safety_events, users

# A run that has not ended, spelt exactly as the partial index ix_runs_open_updated's condition.
OPEN_RUN = runs.c.status != literal_column("'ended'")
PRUNE_BATCH = 5000  # processed marks per tick: ~5,000 messages a second of backlog cleared, a few ms each
# json.dumps(…, separators=(",", ":")) builds a new encoder at every call: this one is made once, same output.
_compact_json = json.JSONEncoder(separators=(",", ":")).encode


def _listed(table: Table, where: str) -> TextualSelect:
    """PostgreSQL: `table`'s rows matching `where` for each value of the array `:ids` (`l.value`), one index
    lookup per value. The values travel as one array, so the SQL text is the same whatever their number (one
    prepared statement, reused), and the lookup sits in a subquery the planner keeps apart (OFFSET 0) so that
    even the generic plan of that statement (PostgreSQL's after five runs) is a nested loop over the values with
    an index scan each: a join, or `= ANY(:ids)`, leaves the generic plan free to scan every row of a platform
    when the table's statistics are young."""
    columns = ", ".join(f"x.{c.name}" for c in table.c)
    sql = (
        f"SELECT {columns} FROM unnest(CAST(:ids AS varchar[])) AS l(value),"
        f" LATERAL (SELECT * FROM {table.name} WHERE {where} OFFSET 0) AS x"
    )
    return text(sql).columns(*table.c)


# PostgreSQL's reads of a batch, each one statement whatever its size (see _listed).
_PG_USERS = _listed(users, "platform = :platform AND external_id = l.value")
# Locked in id order (the order every path locks users in, so two processes never deadlock): the ids are
# looked up first (one index lookup per key), then joined back through the primary key and locked. (`id =
# ANY(ARRAY(…))` instead compares every row it reads with every id: ~5 ms for 200 keys against ~1 ms.)
_PG_USERS_LOCKED = text(
    "SELECT users.* FROM users WHERE users.id IN (SELECT x.id FROM unnest(CAST(:ids AS varchar[])) AS l(value),"
    " LATERAL (SELECT id FROM users WHERE platform = :platform AND external_id = l.value OFFSET 0) AS x)"
    " ORDER BY users.id FOR UPDATE OF users"
).columns(*users.c)
_PG_RUNS = _listed(runs, "user_id = l.value AND status != 'ended'")
_PG_SEEN = _listed(processed, "platform = :platform AND message_id = l.value")
_PG_HISTORY = _listed(history, "id = l.value")
# A batch's open runs and which of its messages were already handled, in one round trip: the runs' rows, then
# one row per mark found, its id in `seen` (the other columns null).
_PG_RUNS_AND_SEEN = text(
    "SELECT {runs}, CAST(NULL AS varchar) AS seen_platform, CAST(NULL AS varchar) AS seen"
    " FROM unnest(CAST(:ids AS varchar[])) AS l(value),"
    " LATERAL (SELECT * FROM runs WHERE user_id = l.value AND status != 'ended' OFFSET 0) AS x"
    " UNION ALL SELECT {nulls}, y.platform, y.message_id"
    " FROM unnest(CAST(:mark_platforms AS varchar[]), CAST(:mark_ids AS varchar[])) AS m(platform, value),"
    " LATERAL (SELECT platform, message_id FROM processed_messages"
    " WHERE platform = m.platform AND message_id = m.value OFFSET 0) AS y".format(
        runs=", ".join(f"x.{c.name}" for c in runs.c), nulls=", ".join("NULL" for _ in runs.c)
    )
).columns(*runs.c, column("seen_platform", String()), column("seen", String()))


class Repository(OutboxQueries):
    """Every read and write of the writer (bot/writer.py), on either database; the outbox's own queries are
    in storage/outbox_queries.py."""

    def __init__(self, cipher: Cipher) -> None:
        self.cipher = cipher

    # --- users ------------------------------------------------------------------------------------------

    async def users_by_key(
        self, conn: AsyncConnection, keys: Sequence[tuple[str, str]], *, lock: bool = False
    ) -> dict[tuple[str, str], UserRecord]:
        found: dict[tuple[str, str], UserRecord] = {}
        if bulk.is_postgres(conn):
            # Row locks in id order serialise one user's messages across processes, without deadlocks; one
            # statement per platform (nearly always one), the keys as an array.
            statement = _PG_USERS_LOCKED if lock else _PG_USERS
            for platform in sorted({p for p, _ in keys}):
                wanted = sorted({k for p, k in keys if p == platform})
                for row in (await conn.execute(statement, {"platform": platform, "ids": wanted})).mappings():
                    record = user_from_row(row)
                    found[(record.platform, record.external_id)] = record
            return found
        for chunk in chunks(sorted(set(keys))):
            query = select(users).where(tuple_(users.c.platform, users.c.external_id).in_(chunk))
            for row in (await conn.execute(query)).mappings():
                record = user_from_row(row)
                found[(record.platform, record.external_id)] = record
        return found

    async def user_by_id(self, conn: AsyncConnection, user_id: str) -> UserRecord | None:
        row = (await conn.execute(select(users).where(users.c.id == user_id))).mappings().first()
        return user_from_row(row) if row else None

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

    async def runs_and_seen(
        self, conn: AsyncConnection, user_ids: Sequence[str], marks: Sequence[tuple[str, str]]
    ) -> tuple[dict[str, RunRecord], set[tuple[str, str]]]:
        """The users' open runs, and which of the (platform, message id) marks are already stored: on
        PostgreSQL in one statement, elsewhere in one per platform and one for the runs."""
        if not bulk.is_postgres(conn):
            seen: set[tuple[str, str]] = set()
            for platform in {p for p, _ in marks}:
                ids = [i for p, i in marks if p == platform]
                seen.update((platform, i) for i in await self.seen(conn, platform, ids))
            return await self.current_runs(conn, user_ids), seen
        found: dict[str, RunRecord] = {}
        found_marks: set[tuple[str, str]] = set()
        if not user_ids and not marks:
            return found, found_marks
        unique = sorted(set(marks))
        params = {
            "ids": sorted(set(user_ids)),
            "mark_platforms": [p for p, _ in unique],
            "mark_ids": [i for _, i in unique],
        }
        for row in (await conn.execute(_PG_RUNS_AND_SEEN, params)).mappings():
            if row["seen"] is not None:
                found_marks.add((row["seen_platform"], row["seen"]))
            else:
                found[row["user_id"]] = self._run(row)
        return found, found_marks

    async def current_runs(self, conn: AsyncConnection, user_ids: Sequence[str]) -> dict[str, RunRecord]:
        found: dict[str, RunRecord] = {}
        if bulk.is_postgres(conn):
            if user_ids:
                for row in (await conn.execute(_PG_RUNS, {"ids": sorted(set(user_ids))})).mappings():
                    found[row["user_id"]] = self._run(row)
            return found
        for chunk in chunks(list(set(user_ids))):
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
            "state_enc": self.cipher.encrypt(_compact_json(record.state)),
            "version": record.version,
            "chat_key": record.chat_key,
            "started_at": record.started_at,
            "updated_at": record.updated_at,
            "wake_at": record.wake_at,
        }

    # --- history ------------------------------------------------------------------------------------

    async def history_by_id(self, conn: AsyncConnection, ids: Sequence[str]) -> dict[str, HistoryRecord]:
        found: dict[str, HistoryRecord] = {}
        if bulk.is_postgres(conn):
            if ids:
                for row in (await conn.execute(_PG_HISTORY, {"ids": sorted(set(ids))})).mappings():
                    found[row["id"]] = self._entry(row)
            return found
        for chunk in chunks(list(set(ids))):
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
        if bulk.is_postgres(conn):
            if message_ids:
                params = {"platform": platform, "ids": sorted(set(message_ids))}
                found.update(r.message_id for r in await conn.execute(_PG_SEEN, params))
            return found
        for chunk in chunks(list(set(message_ids))):  # the driver's SQL, as SQLAlchemy writes it (storage/sink.py)
            found.update(r[0] for r in await conn.exec_driver_sql(sqlite_seen(len(chunk)), (platform, *chunk)))
        return found

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
        address = "ctid" if bulk.is_postgres(conn) else "rowid"
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
        transaction wraps this call. On SQLite, an executemany per table and kind of change; on PostgreSQL,
        all of them in one statement (storage/bulk.py), or two around a /forget."""
        sink = Sink(conn)
        if changes.outbox_sent:
            await sink.delete(outbox, changes.outbox_sent)
        if changes.users_new:
            await sink.insert(users, [self._user_row(u) for u in changes.users_new.values()])
        if changes.users_dirty:
            await sink.update(users, [self._user_row(u) for u in changes.users_dirty.values()])
        if changes.runs_new:
            await sink.insert(runs, [self._run_row(r) for r in changes.runs_new.values()])
        if changes.runs_dirty:
            rows = []
            for record in changes.runs_dirty.values():
                row = self._run_row(record)
                row["expected_version"] = record.version
                row["version"] = record.version + 1
                rows.append(row)
            await sink.update(runs, rows, guard="version")
        if changes.history_new:
            await sink.insert(history, [self._entry_row(h) for h in changes.history_new.values()])
        if changes.history_dirty:
            await sink.update(history, [self._entry_row(h) for h in changes.history_dirty.values()])
        if changes.forgotten:
            await sink.send()  # what came before the erasure is written before it
            for user_id in changes.forgotten:
                await self.forget(conn, user_id)
        if changes.outbox_new:
            await sink.insert(outbox, [self._outbox_row(o) for o in changes.outbox_new])
        if changes.processed_new:
            rows = [{"platform": p, "message_id": m, "processed_at": t} for p, m, t in changes.processed_new]
            await sink.insert(processed, rows)
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
            await sink.insert(kept_notes, rows)
        if changes.safety_new:
            rows = [
                {"id": new_id(), "user_id": u, "kind": k, "country": c, "at": t} for u, k, c, t in changes.safety_new
            ]
            await sink.insert(safety_events, rows)
        await sink.send()
        for record in changes.runs_dirty.values():
            record.version += 1  # now what the row holds, for a caller that keeps the record

    def _outbox_row(self, record: OutboxRecord) -> dict[str, Any]:
        return {
            "id": record.id,
            "user_id": record.user_id,
            "platform": record.platform,
            "chat_key": record.chat_key,
            "priority": record.priority,
            "payload_enc": self.cipher.encrypt(_compact_json(record.payload)),
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
