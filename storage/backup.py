"""Backups, restores and the move from SQLite to PostgreSQL (`phare db backup|restore|migrate-to`).

Rows are copied as stored: what is encrypted stays encrypted, so a backup is unreadable without the key it was
written with (DATA_DIR/secret.key or PHARE_SECRET_KEY), which is never part of it."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import Database, _upgrade, normalise_url
from storage.tables import metadata

KEY_FILE = "secret.key"  # may already sit in the data directory a backup is restored into
COPY_CHUNK = 1000


class BackupError(RuntimeError):
    """Why a backup, restore or migration cannot go on, in words an operator can act on (never a secret)."""


# --- SQLite -------------------------------------------------------------------------------------------------


def sqlite_file(url: str) -> Path:
    database = make_url(normalise_url(url)).database
    if not database:
        raise BackupError(f"not a SQLite file URL: {url}")
    return Path(database)


def backup_sqlite(db_file: Path, target: Path) -> None:
    """A consistent copy while Phare runs: SQLite's online backup API (it copies what is committed, WAL too)."""
    if not db_file.exists():
        raise BackupError(f"no database at {db_file}: nothing to back up")
    if target.exists():
        raise BackupError(f"{target} exists: choose a new file name (a backup never overwrites)")
    _copy_sqlite(db_file, target)


def _copy_sqlite(source_file: Path, target: Path) -> None:
    """SQLite's online backup API from a file opened read-only (it copies what is committed, WAL too); the copy
    readable by its owner only."""
    source = sqlite3.connect(f"file:{source_file}?mode=ro", uri=True)
    try:
        destination = sqlite3.connect(target)
        try:
            source.backup(destination)
        finally:
            destination.close()
    finally:
        source.close()
    target.chmod(0o600)


def restore_sqlite(backup: Path, data_dir: Path, db_file: Path) -> None:
    """Into an empty data directory only (the key file may be there already): never over a live database."""
    if not backup.is_file():
        raise BackupError(f"no backup file at {backup}")
    _check_sqlite_backup(backup)
    if data_dir.exists():
        present = sorted(p.name for p in data_dir.iterdir() if p.name != KEY_FILE)
        if present:
            raise BackupError(
                f"{data_dir} is not empty ({', '.join(present[:5])}{', …' if len(present) > 5 else ''}): "
                "restore into a new, empty data directory (only secret.key may be there)"
            )
    data_dir.mkdir(parents=True, exist_ok=True)
    _copy_sqlite(backup, db_file)


def _check_sqlite_backup(backup: Path) -> None:
    try:
        conn = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
        try:
            names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{backup} is not a SQLite database ({exc})") from None
    if "alembic_version" not in names or "users" not in names:
        raise BackupError(f"{backup} is not a Phare backup (no users or alembic_version table)")


# --- PostgreSQL, through pg_dump and pg_restore ---------------------------------------------------------------


@dataclass(frozen=True)
class LibpqTarget:
    """A libpq URL without its password, which goes through PGPASSWORD (not the command line, seen by `ps`)."""

    url: str
    password: str | None

    @classmethod
    def of(cls, url: str) -> LibpqTarget:
        parsed = make_url(normalise_url(url))
        plain = parsed.set(drivername="postgresql")._replace(password=None)  # set() reads None as "unchanged"
        return cls(plain.render_as_string(hide_password=False), parsed.password)

    def env(self) -> dict[str, str]:
        environment = dict(os.environ)
        if self.password is not None:
            environment["PGPASSWORD"] = str(self.password)
        return environment


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} not found: install the PostgreSQL client tools (Debian/Ubuntu: apt install postgresql-client), "
            "of the server's major version or newer, or run it where they are"
        )
    return found


def _run(command: list[str], target: LibpqTarget) -> None:
    done = subprocess.run(command, env=target.env(), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        message = (done.stderr or done.stdout).strip().splitlines()
        raise BackupError(f"{Path(command[0]).name} failed: {message[-1] if message else done.returncode}")


def backup_postgres(url: str, target: Path) -> None:
    if target.exists():
        raise BackupError(f"{target} exists: choose a new file name (a backup never overwrites)")
    libpq = LibpqTarget.of(url)
    _run([_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", f"--file={target}",
          f"--dbname={libpq.url}"], libpq)  # fmt: skip
    target.chmod(0o600)


async def restore_postgres(backup: Path, db: Database) -> None:
    if not backup.is_file():
        raise BackupError(f"no backup file at {backup}")
    async with db.begin() as conn:
        await ensure_empty(conn)
    libpq = LibpqTarget.of(db.url)
    _run([_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
          f"--dbname={libpq.url}", str(backup)], libpq)  # fmt: skip


async def ensure_empty(conn: AsyncConnection) -> None:
    tables = await conn.run_sync(lambda sync: inspect(sync).get_table_names())
    if tables:
        shown = ", ".join(sorted(tables)[:5]) + (", …" if len(tables) > 5 else "")
        raise BackupError(f"the target database is not empty ({shown}): use a new, empty database")


# --- SQLite to PostgreSQL --------------------------------------------------------------------------------------


async def migrate_to(source: Database, target: Database) -> dict[str, int]:
    """Copy a SQLite instance into an empty PostgreSQL database: the schema (by the migrations, which also record
    their version), then every table's rows as stored, in one transaction: all or nothing.
    Returns the rows copied per table."""
    if not source.is_sqlite:
        raise BackupError("the source must be SQLite (PHARE_DATABASE_URL unset): it is already PostgreSQL")
    if not target.is_postgres:
        raise BackupError("the target must be a postgresql:// URL")
    await source.migrate()  # the schema the target gets is the newest: bring the source to it first
    copied: dict[str, int] = {}
    async with target.begin() as tconn:
        await ensure_empty(tconn)
        await tconn.run_sync(_upgrade)
        async with source.begin() as sconn:
            present = set(await sconn.run_sync(lambda sync: inspect(sync).get_table_names()))
            unknown = present - set(metadata.tables) - {"alembic_version"}
            if unknown:
                raise BackupError(f"tables this version of Phare does not know: {', '.join(sorted(unknown))}")
            version = (await sconn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
            head = (await tconn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
            if version != head:
                raise BackupError(f"the source is at migration {version}, the target at {head}: upgrade Phare first")
            for table in metadata.sorted_tables:  # parents before children (foreign keys)
                copied[table.name] = 0
                result = await sconn.stream(select(table))
                async for chunk in result.mappings().partitions(COPY_CHUNK):
                    await tconn.execute(table.insert(), [dict(row) for row in chunk])
                    copied[table.name] += len(chunk)
    return copied
