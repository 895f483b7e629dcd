"""Where a batch's writes go: SQLite's as the driver's own SQL, PostgreSQL's gathered into one statement."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import bulk

__all__ = ["ConflictError", "Sink", "sqlite_seen"]


class ConflictError(RuntimeError):
    """Another writer changed a run first; the batch is retried from fresh reads."""


class Sink:
    """Where a batch's writes go. SQLite: executed at once, an executemany per table (plain SQL, see
    _driver_sql). PostgreSQL: gathered, then sent as one statement by `send` (storage/bulk.py). A guarded update
    that matched fewer rows than it had (a run changed under the batch) raises ConflictError, at once on SQLite,
    at `send` on PostgreSQL."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn
        self.writes = bulk.Writes() if bulk.is_postgres(conn) else None
        self.expected: list[int] = []  # rows of each guarded update gathered, in order

    async def insert(self, table: Table, rows: list[dict[str, Any]]) -> None:
        if self.writes is not None:
            self.writes.insert(table, rows)
            return
        if not rows:
            return
        sql, values = _driver_sql(self.conn, table, tuple(rows[0]), "insert")
        await self.conn.exec_driver_sql(sql, [values(row) for row in rows])

    async def delete(self, table: Table, ids: list[str]) -> None:
        if self.writes is not None:
            self.writes.delete(table, ids)
        else:
            for chunk in bulk.chunks(ids):
                await self.conn.exec_driver_sql(_sqlite_delete(table, len(chunk)), tuple(chunk))

    async def update(self, table: Table, rows: list[dict[str, Any]], *, guard: str | None = None) -> None:
        """Rows by id; with `guard`, only where that column still holds `expected_<guard>`."""
        if self.writes is not None:
            self.writes.update(table, rows, guard=guard)
            if guard:
                self.expected.append(len(rows))
            return
        if not rows:
            return
        sql, values = _driver_sql(self.conn, table, tuple(rows[0]), "update", guard)
        result = await self.conn.exec_driver_sql(sql, [values(row) for row in rows])
        if guard and 0 <= result.rowcount < len(rows):
            raise ConflictError("a run changed under this batch")

    async def send(self) -> None:
        if self.writes is None:
            return
        matched = await self.writes.send(self.conn)
        self.writes = bulk.Writes()
        expected, self.expected = self.expected, []
        if any(m < e for m, e in zip(matched, expected, strict=True)):
            raise ConflictError("a run changed under this batch")


# --- SQLite's writes as the driver's own SQL --------------------------------------------------------------------
#
# Every step writes a few rows (its processed mark, its run, its replies; the replies' rows go again once sent),
# and SQLAlchemy's executemany of a Core insert or update (a statement object built, its cache key, then every
# row's parameters rebuilt, renamed and converted one by one) cost more than the rows themselves. Here each
# statement is written once per table and set of columns, as SQLAlchemy renders it, and each row's values are
# converted by the very bind processors SQLAlchemy applies to those columns (dates as SQLite text, booleans,
# JSON), then handed to the driver's executemany: the same SQL and the same bytes stored
# (tests/test_storage.py compares them with SQLAlchemy's own statements).

_Values = Callable[[Mapping[str, Any]], tuple[Any, ...]]
_DRIVER_SQL: dict[tuple[Any, ...], tuple[str, _Values]] = {}


def _driver_sql(
    conn: AsyncConnection, table: Table, keys: tuple[str, ...], kind: str, guard: str | None = None
) -> tuple[str, _Values]:
    """An insert of `keys` (every row has those keys), or an update by id (`keys` include "id", and with
    `guard` "expected_<guard>"), and what turns a row into its parameters, in order."""
    dialect = conn.dialect
    assert dialect.paramstyle == "qmark", "the driver's SQL is written for SQLite"
    key = (dialect, table, keys, kind, guard)
    found = _DRIVER_SQL.get(key)
    if found is not None:
        return found
    quote = dialect.identifier_preparer.quote
    name = dialect.identifier_preparer.format_table(table)
    if kind == "insert":
        order = list(keys)
        sql = f"INSERT INTO {name} ({', '.join(quote(k) for k in order)}) VALUES ({', '.join('?' for _ in order)})"
    else:
        settable = [k for k in keys if k != "id" and not k.startswith("expected_")]
        order = [*settable, "id"]
        where = f"{name}.{quote('id')} = ?"
        if guard:
            order.append(f"expected_{guard}")
            where += f" AND {name}.{quote(guard)} = ?"
        sql = f"UPDATE {name} SET {', '.join(f'{quote(k)}=?' for k in settable)} WHERE {where}"
    columns = [table.c[k.removeprefix("expected_")] for k in order]
    processors = [column.type.dialect_impl(dialect).bind_processor(dialect) for column in columns]
    values = _values_of(order, processors)
    _DRIVER_SQL[key] = (sql, values)
    return sql, values


def _values_of(order: list[str], processors: Sequence[Callable[[Any], Any] | None]) -> _Values:
    get = itemgetter(*order) if len(order) > 1 else (lambda row: (row[order[0]],))
    converted = [(i, p) for i, p in enumerate(processors) if p is not None]
    if not converted:
        return get

    def values(row: Mapping[str, Any]) -> tuple[Any, ...]:
        found = list(get(row))
        for i, process in converted:
            found[i] = process(found[i])
        return tuple(found)

    return values


@functools.cache
def _sqlite_delete(table: Table, count: int) -> str:
    return f"DELETE FROM {table.name} WHERE {table.name}.id IN ({', '.join('?' * count)})"


@functools.cache
def sqlite_seen(count: int) -> str:
    return (
        "SELECT processed_messages.message_id FROM processed_messages WHERE processed_messages.platform = ?"
        f" AND processed_messages.message_id IN ({', '.join('?' * count)})"
    )
