from __future__ import annotations

import asyncio
import logging
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.harness import App, FakeClock, make_app, require_services, sqlite_url
from tests.telegram_double import BotApiDouble

PG_ADMIN = os.environ.get("PHARE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


async def _pg_available() -> str | None:
    try:
        import asyncpg

        conn = await asyncio.wait_for(asyncpg.connect(PG_ADMIN), 5)
        await conn.close()
        return None
    except Exception as exc:  # noqa: BLE001 — any failure means "no server here"
        return f"{type(exc).__name__}: {exc}"


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """A PostgreSQL admin URL, or a skip with the reason (a failure when PHARE_REQUIRE_SERVICES=1)."""
    problem = asyncio.run(_pg_available())
    if problem:
        message = f"PostgreSQL not reachable at {PG_ADMIN} ({problem}); run .ci/services to start it"
        if require_services():
            pytest.fail(message)
        pytest.skip(message)
    yield PG_ADMIN


async def _create_db(admin: str, name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def _drop_db(admin: str, name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    """A fresh, empty database on the real server for one test, dropped after."""
    name = f"phare_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_create_db(pg_server, name))
    base = pg_server.rsplit("/", 1)[0]
    yield f"postgresql+asyncpg://{base.split('://', 1)[1]}/{name}"
    asyncio.run(_drop_db(pg_server, name))


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return sqlite_url(tmp_path)
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def sqlite_db(tmp_path: Path) -> str:
    return sqlite_url(tmp_path)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def app(sqlite_db: str, clock: FakeClock) -> AsyncIterator[App]:
    application = await make_app(sqlite_db, clock=clock)
    yield application
    await application.close()


@pytest.fixture(autouse=True)
def _logger_levels() -> Iterator[None]:
    """`phare run` sets the root and third-party loggers' levels for the whole process (bot/logs.py); a test
    that runs it in process must not leave them set for the tests after it."""
    from bot.logs import THIRD_PARTY

    names = ("", *THIRD_PARTY)
    levels = {name: logging.getLogger(name).level for name in names}
    handlers = list(logging.getLogger().handlers)
    yield
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
    root = logging.getLogger()
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    for handler in handlers:
        if handler not in root.handlers:
            root.addHandler(handler)


@pytest.fixture
async def double() -> AsyncIterator[BotApiDouble]:
    """A local Bot API as strict as Telegram, for the Telegram and the operations tests."""
    server = BotApiDouble()
    await server.start()
    yield server
    await server.close()
