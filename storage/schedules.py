"""Check-in schedules in the database: rows with the next due time in UTC, leases, the prompts ledger, pacing.

Claiming is atomic: on PostgreSQL `UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED)` so two processes
never claim the same row; SQLite has one writer, so the same statement is atomic there too. A claim is a
lease: a process that dies holding it lets it lapse, and the row is due again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Column, Table, bindparam, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.bulk import chunks, is_postgres
from storage.records import UserRecord, new_id, user_from_row
from storage.tables import checkin_prompts, scheduler_pacing, schedules, users


@dataclass
class ScheduleRow:
    id: str
    user_id: str
    kind: str
    spec: dict[str, Any]
    next_due: datetime | None
    local_date: str | None
    round: int
    lease_owner: str | None = None
    lease_until: datetime | None = None


@dataclass(frozen=True)
class Planned:
    """Where a row goes next: the due time, the local date it belongs to, and which round of that date."""

    next_due: datetime | None
    local_date: str | None
    round: int
    spec: dict[str, Any]


def _row(r: Any) -> ScheduleRow:
    return ScheduleRow(
        id=r["id"],
        user_id=r["user_id"],
        kind=r["kind"],
        spec=dict(r["spec"] or {}),
        next_due=r["next_due"],
        local_date=r["local_date"],
        round=int(r["round"]),
        lease_owner=r["lease_owner"],
        lease_until=r["lease_until"],
    )


async def rows_of(conn: AsyncConnection, user_ids: Sequence[str]) -> dict[tuple[str, str], ScheduleRow]:
    found: dict[tuple[str, str], ScheduleRow] = {}
    for chunk in chunks(sorted(set(user_ids))):
        for r in (await conn.execute(select(schedules).where(schedules.c.user_id.in_(chunk)))).mappings():
            row = _row(r)
            found[(row.user_id, row.kind)] = row
    return found


async def still_leased(conn: AsyncConnection, leases: Sequence[tuple[str, str]]) -> set[str]:
    """Of (row id, lease owner) pairs, the rows still held by that lease, locked for this transaction on
    PostgreSQL (in id order: no deadlock between two lockers). A lease another claim took over after it
    lapsed, or that a settings change released, is not there any more."""
    wanted = dict(leases)
    held: set[str] = set()
    for chunk in chunks(sorted(wanted)):
        query = select(schedules.c.id, schedules.c.lease_owner).where(schedules.c.id.in_(chunk))
        if is_postgres(conn):
            query = query.order_by(schedules.c.id).with_for_update()
        held.update(r[0] for r in await conn.execute(query) if r[1] == wanted[r[0]])
    return held


async def create(conn: AsyncConnection, plans: Sequence[tuple[str, str, Planned]], now: datetime) -> None:
    """New rows for (user id, kind, plan): one statement for the whole list."""
    if not plans:
        return
    rows = [
        {"id": new_id(), "user_id": user_id, "kind": kind, "spec": p.spec, "next_due": p.next_due,
         "local_date": p.local_date, "round": p.round, "updated_at": now}
        for user_id, kind, p in plans
    ]  # fmt: skip
    await conn.execute(schedules.insert(), rows)


async def move(conn: AsyncConnection, moves: Sequence[tuple[str, Planned]], now: datetime) -> None:
    """Set rows' next due time (and spec), releasing any lease: one statement for the whole list."""
    if not moves:
        return
    rows = [
        {"b_id": row_id, "next_due": p.next_due, "local_date": p.local_date, "round": p.round, "spec": p.spec,
         "lease_owner": None, "lease_until": None, "updated_at": now}
        for row_id, p in moves
    ]  # fmt: skip
    await conn.execute(update(schedules).where(schedules.c.id == bindparam("b_id")), rows)


async def remove(conn: AsyncConnection, ids: Sequence[str]) -> None:
    for chunk in chunks(list(ids)):
        await conn.execute(delete(schedules).where(schedules.c.id.in_(chunk)))


async def claim(conn: AsyncConnection, now: datetime, limit: int, owner: str, lease: timedelta) -> list[ScheduleRow]:
    """Lease up to `limit` due rows (earliest first) whose lease is free or lapsed."""
    rows = await lease_due(conn, schedules, schedules.c.next_due, now, limit, owner, lease)
    return [_row(r) for r in rows]


async def lease_due(
    conn: AsyncConnection, table: Table, due: Column[Any], now: datetime, limit: int, owner: str, lease: timedelta
) -> list[Any]:
    """Lease up to `limit` rows of a table with `lease_owner` and `lease_until` columns, due by `now` (earliest
    first), whose lease is free or lapsed; the rows as leased. Check-in schedules and group timers share it."""
    if limit <= 0:
        return []
    due_ids = (
        select(table.c.id)
        .where(due <= now, or_(table.c.lease_until.is_(None), table.c.lease_until < now))
        .order_by(due)
        .limit(limit)
    )
    if is_postgres(conn):
        due_ids = due_ids.with_for_update(skip_locked=True)
    stmt = (
        update(table)
        .where(table.c.id.in_(due_ids.scalar_subquery()))
        .values(lease_owner=owner, lease_until=now + lease)
        .returning(*table.c)
    )
    return list((await conn.execute(stmt)).mappings())


async def record_prompts(
    conn: AsyncConnection, keys: Sequence[tuple[str, str, str, int]], now: datetime
) -> set[tuple[str, str, str, int]]:
    """Insert (user, kind, local date, round) keys; return those that were new. A key already there means
    that prompt was committed before (a second fire of an ambiguous hour, another process): not sent again."""
    if not keys:
        return set()
    dialect = postgresql if is_postgres(conn) else sqlite
    stmt = (
        dialect.insert(checkin_prompts)
        .on_conflict_do_nothing()
        .returning(
            checkin_prompts.c.user_id, checkin_prompts.c.kind, checkin_prompts.c.local_date, checkin_prompts.c.round
        )
    )
    values = [{"user_id": u, "kind": k, "local_date": d, "round": r, "sent_at": now} for u, k, d, r in keys]
    # executemany with RETURNING: SQLAlchemy batches it into multi-row statements of a cached shape.
    return {(r[0], r[1], r[2], int(r[3])) for r in await conn.execute(stmt, values)}


async def prune_prompts(conn: AsyncConnection, before: datetime) -> None:
    await conn.execute(delete(checkin_prompts).where(checkin_prompts.c.sent_at < before))


async def take_tokens(
    conn: AsyncConnection, name: str, now: datetime, rate: float, burst: float, want: int
) -> tuple[int, float]:
    """A token bucket shared by every process (its row is locked for the transaction): how many claims this
    tick may make, and the tokens left before spending them. Spend with `spend_tokens` in the same transaction."""
    query = select(scheduler_pacing).where(scheduler_pacing.c.name == name)
    if is_postgres(conn):
        query = query.with_for_update()
    row = (await conn.execute(query)).mappings().first()
    if row is None:
        dialect = postgresql if is_postgres(conn) else sqlite
        await conn.execute(
            dialect.insert(scheduler_pacing).values(name=name, tokens=burst, stamp=now).on_conflict_do_nothing()
        )
        row = (await conn.execute(query)).mappings().first()
        assert row is not None
    elapsed = max(0.0, (now - row["stamp"]).total_seconds())
    tokens = min(burst, float(row["tokens"]) + elapsed * rate)
    return min(want, int(tokens)), tokens


async def spend_tokens(conn: AsyncConnection, name: str, tokens: float, now: datetime) -> None:
    await conn.execute(update(scheduler_pacing).where(scheduler_pacing.c.name == name).values(tokens=tokens, stamp=now))


async def count_due(conn: AsyncConnection, now: datetime) -> int:
    query = select(func.count()).select_from(schedules).where(schedules.c.next_due <= now)
    return int((await conn.execute(query)).scalar_one())


async def users_by_id(conn: AsyncConnection, user_ids: Sequence[str], *, lock: bool = False) -> list[UserRecord]:
    """Users by id in one query per 500; locked in id order on PostgreSQL (the order the writer locks in)."""
    found: list[UserRecord] = []
    for chunk in chunks(sorted(set(user_ids))):
        query = select(users).where(users.c.id.in_(chunk)).order_by(users.c.id)
        if lock and is_postgres(conn):
            query = query.with_for_update()
        found.extend(user_from_row(r) for r in (await conn.execute(query)).mappings())
    return found
