"""Which process owns a transport connection, when several `phare run` share one PostgreSQL database.

Writer, outbox and check-ins work from any process, but a connection to a platform may not be doubled: Telegram
answers 409 Conflict to a second bot polling getUpdates with the same token, and two processes signed in as
one Matrix device would both sync and both use its encryption keys. Each such connection is therefore owned
through a PostgreSQL session-level advisory lock, `pg_try_advisory_lock`, keyed by a hash of the platform and
the bot's identity and held on a connection of its own, kept open for as long as the process owns it. When the
owner dies (even by SIGKILL), PostgreSQL ends its session and releases the lock; the other replicas try every
few seconds and one of them takes over. With SQLite there is one process: it owns everything, no lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import socket
from typing import Any

log = logging.getLogger(__name__)

DEFAULT_EVERY = 2.0  # seconds between two tries of a replica that does not own the connection, and between checks


def lock_key(name: str) -> int:
    """A signed 64-bit key for pg_try_advisory_lock(bigint), the same in every process for the same `name`."""
    return int.from_bytes(hashlib.sha256(f"phare-connection:{name}".encode()).digest()[:8], "big", signed=True)


def asyncpg_url(url: str) -> str:
    """SQLAlchemy's `postgresql+asyncpg://` as asyncpg itself takes it."""
    scheme, sep, rest = url.partition("://")
    return f"postgresql://{rest}" if sep and scheme.startswith("postgres") else url


class Lease:
    """The ownership of one connection (`name`: platform and bot identity, never a secret).

    `state` is "owned" (this process has the connection), "elsewhere" (another replica holds the lock; `holder`
    says which when PostgreSQL tells), or "waiting" (not tried yet, or the database could not be asked)."""

    def __init__(self, url: str | None, name: str, *, every: float = DEFAULT_EVERY) -> None:
        self.url = asyncpg_url(url) if url else None
        self.name = name
        self.key = lock_key(name)
        self.every = every
        self.state = "owned" if self.url is None else "waiting"
        self.holder: str | None = None
        self.took_over = False  # the last acquire() waited for another replica to let go
        self._conn: Any = None  # asyncpg.Connection: the session the lock lives in

    @property
    def shared(self) -> bool:
        """Whether other processes may compete for this connection (PostgreSQL)."""
        return self.url is not None

    def describe(self) -> str:
        if self.state == "owned":
            return "here"
        if self.state == "elsewhere":
            return f"owned by another replica ({self.holder})" if self.holder else "owned by another replica"
        return "not owned yet"

    async def acquire(self) -> None:
        """Return once this process owns the connection; until then try again every `every` seconds."""
        if self.url is None:
            return
        announced = False
        while True:
            try:
                if await self._try():
                    log.info("%s: this process owns the connection", self.name)
                    self.took_over = announced
                    return
                if not announced:
                    log.info("%s: owned by another replica; taking over if it stops", self.name)
                    announced = True
            except Exception as exc:  # noqa: BLE001 — the database is down or restarting: try again
                await self._close()
                self.state = "waiting"
                log.warning("%s: could not ask the database for the connection's lock (%s)", self.name, _kind(exc))
            await asyncio.sleep(self.every)

    async def _try(self) -> bool:
        import asyncpg

        if self._conn is None or self._conn.is_closed():
            self._conn = await asyncio.wait_for(
                asyncpg.connect(self.url, server_settings={"application_name": _application_name()}), 10
            )
        got = bool(await asyncio.wait_for(self._conn.fetchval("SELECT pg_try_advisory_lock($1)", self.key), 10))
        if got:
            self.state, self.holder = "owned", None
            return True
        # Both at once: /readyz, asked while the holder is looked up, would say "another replica" without which.
        holder = await asyncio.wait_for(self._holder(), 10)
        self.state, self.holder = "elsewhere", holder
        return False

    async def _holder(self) -> str | None:
        """Who holds the lock: the application name its session gave (host and process id), if visible."""
        query = """SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                   WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
                     AND l.classid = (($1::bigint >> 32) & 4294967295)::oid
                     AND l.objid = ($1::bigint & 4294967295)::oid
                     AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"""
        with contextlib.suppress(Exception):
            name = await self._conn.fetchval(query, self.key)
            return str(name) if name else None
        return None

    async def recorded_epoch(self) -> str | None:
        """The epoch the connection's last owner recorded (migration 0007), None if none ever did; asked on the
        lock's own session, so only while this process owns the connection."""
        assert self._conn is not None and self.state == "owned"
        query = "SELECT epoch FROM connection_epochs WHERE name = $1"
        found = await asyncio.wait_for(self._conn.fetchval(query, self.name[:255]), 10)
        return str(found) if found is not None else None

    async def record_epoch(self, epoch: str) -> None:
        assert self._conn is not None and self.state == "owned"
        query = """INSERT INTO connection_epochs (name, epoch, updated_at) VALUES ($1, $2, now())
                   ON CONFLICT (name) DO UPDATE SET epoch = EXCLUDED.epoch, updated_at = EXCLUDED.updated_at"""
        await asyncio.wait_for(self._conn.execute(query, self.name[:255], epoch), 10)  # the column is 255 long

    async def lost(self) -> None:
        """Return when this process no longer owns the connection (its session with the database broke: the
        lock may be someone else's now). Never returns for an unshared connection."""
        if self.url is None:
            await asyncio.Event().wait()
        while True:
            await asyncio.sleep(self.every)
            try:
                if self._conn is None or self._conn.is_closed():
                    raise ConnectionError("lock session closed")
                await asyncio.wait_for(self._conn.fetchval("SELECT 1"), max(self.every, 5.0))
            except Exception as exc:  # noqa: BLE001 — whatever broke the session broke the ownership
                log.error("%s: lost the connection's lock (%s); stopping it here", self.name, _kind(exc))
                await self._close()
                self.state, self.holder = "waiting", None
                return

    async def release(self) -> None:
        """Give the connection up (closing the session releases the lock at once)."""
        await self._close()
        if self.url is not None:
            self.state, self.holder = "waiting", None

    async def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and not conn.is_closed():
            try:
                await asyncio.wait_for(conn.close(), 5)
            except Exception:  # noqa: BLE001 — a broken session is closed hard; the server ends it anyway
                conn.terminate()


def _application_name() -> str:
    return f"phare {socket.gethostname()} pid {os.getpid()}"[:63]


def _kind(exc: BaseException) -> str:
    return type(exc).__name__
