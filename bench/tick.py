"""The writer's tick against a long history: N ended runs and M processed messages, versus an empty database.

Run from the repository root:

    .venv/bin/python bench/tick.py                     # 3,000,000 ended runs, SQLite (~1 min to fill)
    .venv/bin/python bench/tick.py --runs 100000       # quick
    .venv/bin/python bench/tick.py --postgres          # the same on PostgreSQL (127.0.0.1, as for the tests)

Every second the writer's tick (bot/writer.py, `Writer.tick`) looks for runs whose pause is over, runs
untouched for 24 h, and processed-message marks older than a week; on PostgreSQL it also keeps the process's
heartbeat. Its cost should follow what is due, not what is stored: ended runs pile up forever (one per
conversation), and the de-duplication marks of a week of messages stay in `processed_messages`.

The bench migrates two fresh databases in one process, leaves the first empty and fills the second, with SQL
(a recursive CTE on SQLite, generate_series on PostgreSQL), with:
- N ended runs (`--runs`, default 3,000,000), last touched over the past two years;
- 300 open runs touched in the last hour (200 active, 100 paused until tomorrow): looked at, not due;
- M processed-message marks (`--processed`, default 1,000,000) from the last six days: kept, not due.
Nothing is due, so no tick hands the writer a job: the figure is the tick's queries and its transaction.
Then it times `--ticks` (31) ticks of a real `Writer` on each, alternating between the two databases so that
other work on the machine lands on both alike (after two untimed ones each), and prints min / median / max
in ms. PostgreSQL tables are ANALYZEd after filling, as autovacuum would; SQLite is left as Phare leaves
it (no ANALYZE). Last line: `tick_3m_vs_empty_ratio=<full median / empty median>` (the name is kept
whatever `--runs` is, so scripts can read one key).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.checkins import admin, pg_url  # noqa: E402 — one copy of the PostgreSQL helpers
from bot.writer import Writer  # noqa: E402
from dialogues.loader import load_library  # noqa: E402
from storage.crypto import Cipher, generate_key  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.repo import Repository  # noqa: E402

USERS = 1000
ACTIVE = 200
PAUSED = 100

_RUN_COLUMNS = "id, user_id, dialogue_id, status, state_enc, version, chat_key, started_at, updated_at, wake_at"


def fill_sqlite(path: Path, now: datetime, n_runs: int, n_processed: int) -> None:
    ts = now.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S")
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous=OFF")

    def at(offset: str) -> str:  # the text SQLAlchemy stores for a UTC time on SQLite, `offset` from now
        return f"strftime('%Y-%m-%d %H:%M:%S', ?, {offset}) || '.000000'"

    ago_600, ago_300 = at("'-' || ((? - i) * 20 + 600) || ' seconds'"), at("'-' || ((? - i) * 20 + 300) || ' seconds'")
    open_start, open_touch = at("'-' || (i * 10 + 60) || ' seconds'"), at("'-' || (i * 10) || ' seconds'")
    long_ago, tomorrow = at("'-800 days'"), at("'+1 days'")
    marked = at("'-' || CAST((? - i) * ? AS INTEGER) || ' seconds'")
    with conn:
        conn.execute(
            "INSERT INTO users (id, platform, external_id, locale, address, onboarded, active, settings, created_at) "
            "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?) "
            f"SELECT 'u' || i, 'bench', 'x' || i, 'fr', 'vous', 1, 1, '{{}}', {long_ago} FROM n",
            (USERS, ts),
        )
        # Ended runs: one every ~20 s over the past two years (the newest minutes ago).
        conn.execute(
            f"INSERT INTO runs ({_RUN_COLUMNS}) "
            "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?) "
            f"SELECT printf('e%011d', i), 'u' || (i % {USERS}), 'self_compassion_break', 'ended', 'x', 3, "
            f"'bench:' || (i % {USERS}), {ago_600}, "
            f"{ago_300}, NULL FROM n",
            (n_runs, ts, n_runs, ts, n_runs),
        )
        conn.execute(
            f"INSERT INTO runs ({_RUN_COLUMNS}) "
            "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?) "
            f"SELECT printf('o%011d', i), 'u' || i, 'self_compassion_break', "
            f"CASE WHEN i < {ACTIVE} THEN 'active' ELSE 'paused' END, 'x', 1, 'bench:' || i, "
            f"{open_start}, {open_touch}, "
            f"CASE WHEN i < {ACTIVE} THEN NULL ELSE {tomorrow} END FROM n",
            (ACTIVE + PAUSED, ts, ts, ts),
        )
        # Processed marks: spread over the last six days (kept for seven).
        step = 6 * 86400 / max(n_processed, 1)
        conn.execute(
            "INSERT INTO processed_messages (platform, message_id, processed_at) "
            "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?) "
            f"SELECT 'bench', 'm' || i, {marked} FROM n",
            (n_processed, ts, n_processed, step),
        )
    conn.close()


async def fill_postgres(name: str, now: datetime, n_runs: int, n_processed: int) -> None:
    import asyncpg

    conn = await asyncpg.connect(pg_url(name).replace("+asyncpg", ""))
    try:
        async with conn.transaction():
            await conn.execute(
                "INSERT INTO users (id, platform, external_id, locale, address, onboarded, active, settings, "
                "created_at) SELECT 'u' || i, 'bench', 'x' || i, 'fr', 'vous', true, true, '{}', "
                "$1::timestamptz - interval '800 days' FROM generate_series(0, $2 - 1) AS i",
                now,
                USERS,
            )
            await conn.execute(
                f"INSERT INTO runs ({_RUN_COLUMNS}) "
                f"SELECT 'e' || lpad(i::text, 11, '0'), 'u' || (i % {USERS}), 'self_compassion_break', 'ended', "
                f"'x', 3, 'bench:' || (i % {USERS}), $1::timestamptz - make_interval(secs => ($2 - i) * 20 + 600), "
                "$1::timestamptz - make_interval(secs => ($2 - i) * 20 + 300), NULL "
                "FROM generate_series(0, $2 - 1) AS i",
                now,
                n_runs,
            )
            await conn.execute(
                f"INSERT INTO runs ({_RUN_COLUMNS}) "
                "SELECT 'o' || lpad(i::text, 11, '0'), 'u' || i, 'self_compassion_break', "
                f"CASE WHEN i < {ACTIVE} THEN 'active' ELSE 'paused' END, 'x', 1, 'bench:' || i, "
                "$1::timestamptz - make_interval(secs => i * 10 + 60), "
                "$1::timestamptz - make_interval(secs => i * 10), "
                f"CASE WHEN i < {ACTIVE} THEN NULL ELSE $1::timestamptz + interval '1 day' END "
                "FROM generate_series(0, $2 - 1) AS i",
                now,
                ACTIVE + PAUSED,
            )
            await conn.execute(
                "INSERT INTO processed_messages (platform, message_id, processed_at) "
                "SELECT 'bench', 'm' || i, $1::timestamptz - make_interval(secs => ($2 - i) * $3::float8) "
                "FROM generate_series(0, $2 - 1) AS i",
                now,
                n_processed,
                6 * 86400 / max(n_processed, 1),
            )
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


async def time_ticks(urls: list[str], now: datetime, ticks: int) -> list[list[float]]:
    """Tick each database in turn, `ticks` times each after two untimed ticks: interleaved, so that other work
    on the machine lands on both alike."""
    library = load_library()
    dbs = [Database(url) for url in urls]
    writers = [Writer(db, Repository(Cipher([generate_key()])), library, clock=lambda: now) for db in dbs]
    times: list[list[float]] = [[] for _ in urls]
    try:
        for writer in writers:
            for _ in range(2):
                await writer.tick()
        for _ in range(ticks):
            for writer, spent in zip(writers, times, strict=True):
                start = time.perf_counter()
                await writer.tick()
                spent.append((time.perf_counter() - start) * 1000)
        return times
    finally:
        for writer, db in zip(writers, dbs, strict=True):
            await writer.stop()
            await db.dispose()


def describe(label: str, times: list[float]) -> str:
    return f"{label}: min {min(times):.2f} ms, median {statistics.median(times):.2f} ms, max {max(times):.2f} ms"


async def main(args: argparse.Namespace) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    print(f"load average before: {os.getloadavg()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="phare-tick-") as tmp:
        names: list[str] = []
        if args.postgres:
            names = [f"phare_tick_{uuid.uuid4().hex[:10]}" for _ in range(2)]
            for name in names:
                await admin(f'CREATE DATABASE "{name}"')
            empty_url, full_url = pg_url(names[0]), pg_url(names[1])
        else:
            (Path(tmp) / "empty").mkdir()
            (Path(tmp) / "full").mkdir()
            empty_url = f"sqlite+aiosqlite:///{Path(tmp) / 'empty' / 'phare.db'}"
            full_url = f"sqlite+aiosqlite:///{Path(tmp) / 'full' / 'phare.db'}"
        try:
            for url in (empty_url, full_url):
                db = Database(url)
                await db.migrate()
                await db.dispose()
            start = time.perf_counter()
            if args.postgres:
                await fill_postgres(names[1], now, args.runs, args.processed)
            else:
                fill_sqlite(Path(tmp) / "full" / "phare.db", now, args.runs, args.processed)
            print(f"filled {args.runs:,} ended runs and {args.processed:,} processed marks in "
                  f"{time.perf_counter() - start:.1f} s", flush=True)  # fmt: skip
            empty, full = await time_ticks([empty_url, full_url], now, args.ticks)
        finally:
            for name in names:
                await admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    backend = "postgresql" if args.postgres else "sqlite"
    print(describe(f"{backend} tick, empty", empty))
    print(describe(f"{backend} tick, {args.runs:,} ended runs", full))
    print(f"load average after: {os.getloadavg()}")
    print(f"ratio of the minima (the cost without other work's interference): {min(full) / min(empty):.2f}")
    print(f"tick_3m_vs_empty_ratio={statistics.median(full) / statistics.median(empty):.2f}")


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3_000_000, help="ended runs in the full database")
    parser.add_argument("--processed", type=int, default=1_000_000, help="processed-message marks (last 6 days)")
    parser.add_argument("--ticks", type=int, default=31, help="timed ticks per database")
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL on 127.0.0.1 instead of SQLite")
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse()))
