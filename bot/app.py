"""Wiring: settings → database, keys, dialogues, writer. One place, so every entry point builds the same thing."""

from __future__ import annotations

import asyncio
import gc
import logging
from dataclasses import dataclass

from bot.config import Settings
from bot.crisis_hook import load_safety
from bot.transports.base import Inbox
from bot.writer import Clock, Writer, utc_now
from dialogues.loader import Library, load_library
from storage.crypto import Cipher, load_or_create_key
from storage.db import Database
from storage.repo import Repository

log = logging.getLogger(__name__)


@dataclass
class Phare:
    settings: Settings
    db: Database
    library: Library
    writer: Writer

    async def close(self) -> None:
        await self.writer.stop()
        await self.db.dispose()


def make_cipher(settings: Settings, db: Database) -> Cipher:
    keys: list[str] = []
    if settings.secret_key is not None:
        keys.append(settings.secret_key.get_secret_value())
    elif db.is_sqlite:
        keys.append(load_or_create_key(settings.data_dir))
    keys.extend(k.strip() for k in settings.old_secret_keys.split(",") if k.strip())
    return Cipher(keys)


def open_cipher(settings: Settings) -> Cipher:
    """The storage key outside a running bot (command-line tools): opens and closes the database it needs."""
    db = Database(settings.db_url)
    try:
        return make_cipher(settings, db)
    finally:
        asyncio.run(db.dispose())


async def build(settings: Settings, *, clock: Clock = utc_now, migrate: bool = True) -> Phare:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.db_url)
    if migrate:
        await db.migrate()
    library = load_library()
    writer = Writer(
        db,
        Repository(make_cipher(settings, db)),
        library,
        clock=clock,
        operator_contacts=settings.operator_contacts,
        retention_days=settings.retention_days,
        default_locale=settings.default_locale,
        safety=load_safety(),
        access=settings.access(),
    )
    _inbox: Inbox = writer  # the contract every transport is written against (checked by mypy)
    tune_collector()
    return Phare(settings=settings, db=db, library=library, writer=writer)


# Python collects its youngest generation every 700 new container objects. Under load a writer batch holds
# hundreds of steps in flight, so those collections (about one a millisecond) walked live objects for
# nothing: 6 % of the CPU of a step on the Telegram path. What Phare allocates dies by reference counting;
# only rare cycles need the collector, and they can wait for 50,000 allocations (a few MB at most).
YOUNG_GENERATION_THRESHOLD = 50_000


def tune_collector() -> None:
    """Move everything loaded at start (SQLAlchemy, Alembic, dialogues) out of the collector's reach (full
    collections otherwise walk those libraries every time, pausing replies for 50-200 ms), and collect the
    youngest generation less often."""
    gc.collect()
    gc.freeze()
    collect_young_every(YOUNG_GENERATION_THRESHOLD)


def collect_young_every(allocations: int) -> None:
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(allocations, middle, oldest)
