"""`PHARE_HTTP_LISTEN=HOST:PORT`: /healthz, /readyz and /metrics on a tiny HTTP/1.1 server of the event loop.

GET only, one request per connection, no body read: enough for a probe and a Prometheus scrape, and nothing a
user wrote ever passes through it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import func, select, text

from bot import metrics
from storage.db import Database
from storage.tables import outbox

log = logging.getLogger(__name__)
Ready = Callable[[], Awaitable[list[str]]]  # what is not ready yet; empty when ready


def parse_listen(value: str) -> tuple[str, int]:
    """`127.0.0.1:9100`, `[::1]:9100` or `:9100` (every address)."""
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"PHARE_HTTP_LISTEN={value!r}: expected HOST:PORT, e.g. 127.0.0.1:9100")
    return host.strip("[]") or "0.0.0.0", int(port)


async def database_problems(db: Database) -> list[str]:
    try:
        async with db.begin() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 — any failure means not ready, and says which
        return [f"database unreachable ({type(exc).__name__})"]
    return []


async def outbox_depth(db: Database) -> int:
    async with db.begin() as conn:
        return int((await conn.execute(select(func.count()).select_from(outbox))).scalar_one())


class HealthServer:
    def __init__(self, listen: str, db: Database, ready: Ready, notes: Callable[[], list[str]] | None = None) -> None:
        self.host, self.port = parse_listen(listen)
        self.db = db
        self.ready = ready
        self.notes = notes  # shown under "ready": where each transport's connection lives
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self.host, self.port)
        log.info("health and metrics on http://%s:%d/", self.host, self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(reader.readline(), 10)
            while (await asyncio.wait_for(reader.readline(), 10)) not in (b"\r\n", b"\n", b""):
                pass  # headers: none of them matters here
            parts = request.decode("latin-1").split()
            if len(parts) < 2:
                return await _respond(writer, 400, b"bad request\n")
            method, path = parts[0], parts[1].split("?", 1)[0]
            if method not in ("GET", "HEAD"):
                return await _respond(writer, 405, b"GET only\n")
            status, body, kind = await self._answer(path)
            await _respond(writer, status, b"" if method == "HEAD" else body, kind)
        except (TimeoutError, ConnectionError, asyncio.IncompleteReadError):
            pass
        except Exception as exc:  # noqa: BLE001 — a probe must never take the process down
            log.error("health endpoint failed: %s", type(exc).__name__)
            with contextlib.suppress(Exception):
                await _respond(writer, 500, b"error\n")
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _answer(self, path: str) -> tuple[int, bytes, str]:
        plain = "text/plain; charset=utf-8"
        if path == "/healthz":
            return 200, b"ok\n", plain
        if path == "/readyz":
            problems = await database_problems(self.db) or await self.ready()
            if problems:
                return 503, ("".join(f"{p}\n" for p in problems)).encode(), plain
            notes = self.notes() if self.notes is not None else []
            return 200, ("".join(f"{line}\n" for line in ["ready", *notes])).encode(), plain
        if path == "/metrics":
            with contextlib.suppress(Exception):  # the other figures still count without the database
                metrics.OUTBOX_DEPTH.set(await outbox_depth(self.db))
            return 200, metrics.render(), CONTENT_TYPE_LATEST
        return 404, b"not found: /healthz, /readyz, /metrics\n", plain


_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed", 500: "Internal Server Error",
            503: "Service Unavailable"}  # fmt: skip


async def _respond(writer: asyncio.StreamWriter, status: int, body: bytes, kind: str = "text/plain") -> None:
    head = (
        f"HTTP/1.1 {status} {_REASONS[status]}\r\nContent-Type: {kind}\r\nContent-Length: {len(body)}\r\n"
        "Connection: close\r\nCache-Control: no-store\r\n\r\n"
    )
    writer.write(head.encode("latin-1") + body)
    await writer.drain()
