"""Many rows in one statement on PostgreSQL: every column goes as one array, unnested on the server, so a
batch's insert or update into a table is one statement and one round trip whatever the number of rows, and
its SQL text never changes with that number (asyncpg's prepared-statement cache always hits, and the server
plans it once per connection). SQLite keeps SQLAlchemy's executemany (storage/repo.py)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import JSON, Boolean, Integer, String, Table, Text, TextClause, text
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.tables import UTCDateTime


def is_postgres(conn: AsyncConnection) -> bool:
    return conn.dialect.name == "postgresql"


def chunks(items: Sequence[Any], size: int = 500) -> Iterable[Sequence[Any]]:
    """Ids in groups of `size`: SQLite's IN lists stay under its bound on parameters."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _array_type(table: Table, name: str) -> tuple[str, bool]:
    """The array type a column's values travel as, and whether the column is JSON (sent as text, cast back)."""
    column_type = table.c[name].type
    if isinstance(column_type, JSON):
        return "text[]", True
    if isinstance(column_type, UTCDateTime):
        return "timestamptz[]", False
    if isinstance(column_type, Boolean):
        return "boolean[]", False
    if isinstance(column_type, Integer):
        return "integer[]", False
    if isinstance(column_type, String | Text):
        return "text[]", False
    raise TypeError(f"no array type for {table.name}.{name} ({column_type!r})")


@dataclass(frozen=True)
class Part:
    """One table's insert, or update matched on `key` (with `guard`: only where that column still holds the
    value sent as `expected_<guard>`), of the columns `names`."""

    kind: str  # insert, update, delete (by `key` alone)
    table: Table
    names: tuple[str, ...]
    key: str = "id"
    guard: str | None = None

    def sql(self, prefix: str) -> str:
        """The statement, its parameters named `<prefix><column>`: one array per column, unnested."""
        table = self.table
        typed = [(name, _array_type(table, name)[0]) for name in self.names]
        if self.guard:
            typed.append((f"expected_{self.guard}", _array_type(table, self.guard)[0]))
        arrays = ", ".join(f"CAST(:{prefix}{name} AS {array})" for name, array in typed)
        source = f"unnest({arrays}) AS v({', '.join(name for name, _ in typed)})"
        if self.kind == "delete":
            return f"DELETE FROM {table.name} AS t USING {source} WHERE t.{self.key} = v.{self.key}"
        if self.kind == "insert":
            values = ", ".join(_value(table, name) for name in self.names)
            return f"INSERT INTO {table.name} ({', '.join(self.names)}) SELECT {values} FROM {source}"
        sets = ", ".join(f"{name} = {_value(table, name)}" for name in self.names if name != self.key)
        where = f"t.{self.key} = v.{self.key}"
        if self.guard:
            where += f" AND t.{self.guard} = v.expected_{self.guard}"
        return f"UPDATE {table.name} AS t SET {sets} FROM {source} WHERE {where}"

    def params(self, prefix: str, rows: Sequence[dict[str, Any]]) -> dict[str, list[Any]]:
        params: dict[str, list[Any]] = {}
        names = [*self.names, f"expected_{self.guard}"] if self.guard else self.names
        for name in names:
            values = [row[name] for row in rows]
            if name in self.table.c and _array_type(self.table, name)[1]:
                values = [None if v is None else json.dumps(v) for v in values]
            params[prefix + name] = values
        return params


def _value(table: Table, name: str) -> str:
    return f"v.{name}::json" if _array_type(table, name)[1] else f"v.{name}"


@lru_cache(maxsize=128)
def statement(parts: tuple[Part, ...]) -> TextClause:
    """One part: its statement. Several: one statement whose parts are data-modifying WITH queries (run once
    each, to completion, on one snapshot, foreign keys checked at its end), returning for each guarded update
    the number of rows it matched. The text depends only on which parts there are, never on the rows."""
    if len(parts) == 1:
        return text(parts[0].sql("p0_"))
    withs = []
    counts = []
    for number, part in enumerate(parts):
        returning = " RETURNING 1" if part.guard else ""
        withs.append(f"p{number} AS ({part.sql(f'p{number}_')}{returning})")
        if part.guard:
            counts.append(f"(SELECT count(*) FROM p{number}) AS p{number}")
    return text(f"WITH {', '.join(withs)} SELECT {', '.join(counts) or '1'}")


class Writes:
    """A batch's inserts and updates, gathered in order, then sent as one statement (one round trip)."""

    def __init__(self) -> None:
        self.parts: list[tuple[Part, Sequence[dict[str, Any]]]] = []

    def insert(self, table: Table, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            self.parts.append((Part("insert", table, tuple(rows[0])), rows))

    def delete(self, table: Table, keys: Sequence[Any], *, key: str = "id") -> None:
        if keys:
            self.parts.append((Part("delete", table, (key,), key), [{key: k} for k in keys]))

    def update(
        self, table: Table, rows: Sequence[dict[str, Any]], *, key: str = "id", guard: str | None = None
    ) -> None:
        """Rows with the same keys (column names, `key` among them; with `guard`, `expected_<guard>` too)."""
        if rows:
            names = tuple(name for name in rows[0] if not name.startswith("expected_"))
            self.parts.append((Part("update", table, names, key, guard), rows))

    async def send(self, conn: AsyncConnection) -> list[int]:
        """Run them; returns, for each guarded update in order, how many rows it matched."""
        if not self.parts:
            return []
        parts = tuple(part for part, _ in self.parts)
        params: dict[str, list[Any]] = {}
        for number, (part, rows) in enumerate(self.parts):
            params.update(part.params(f"p{number}_", rows))
        result = await conn.execute(statement(parts), params)
        if len(parts) == 1:
            return [int(result.rowcount)] if parts[0].guard else []
        row = result.one()
        return [int(value) for value in row] if any(part.guard for part in parts) else []
