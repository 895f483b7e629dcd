"""Long polling that confirms an update to Telegram only once its step is committed.

python-telegram-bot's Updater confirms updates as soon as they are queued in memory, so a crash between
fetching and committing would lose them. Here the next getUpdates (whose offset is the confirmation) is
only asked for after the previous batch is stored; a redelivered update is dropped by the writer's
de-duplication, so a crash costs nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from telegram.error import Conflict, InvalidToken, RetryAfter, TelegramError

from bot.retry import DEFAULT_RETRY, RetryPolicy
from bot.transports.telegram.api import PhareBot
from bot.transports.telegram.transport import reason, retry_seconds
from bot.transports.telegram.updates import RawUpdate

log = logging.getLogger(__name__)

# chat_member (who joins and leaves a group) comes only when asked for, and only to a group's administrators.
ALLOWED_UPDATES = ("message", "edited_message", "callback_query", "chat_member")

Handle = Callable[[Sequence[RawUpdate]], Awaitable[None]]


class StepsNotStored(Exception):
    """Some updates of a batch could not be committed: they are fetched again rather than confirmed."""


class Poller:
    def __init__(
        self,
        bot: PhareBot,
        handle: Handle,
        *,
        timeout: float = 25.0,
        allowed_updates: Sequence[str] = ALLOWED_UPDATES,
        retry: RetryPolicy = DEFAULT_RETRY,
    ) -> None:
        self.bot = bot
        self._handle = handle
        self._timeout = timeout
        self._allowed = tuple(allowed_updates)
        self._retry = retry
        self._stopping = False
        self._fetch: asyncio.Task[list[dict[str, Any]]] | None = None

    async def run(self) -> None:
        """Poll until stop(); an invalid token ends it with InvalidToken (nothing else can work then)."""
        offset: int | None = None
        failures = 0
        while not self._stopping:
            self._fetch = asyncio.create_task(self.bot.raw_updates(offset, self._timeout, self._allowed))
            try:
                raw = await self._fetch
            except asyncio.CancelledError:
                if self._stopping:
                    return
                raise
            except InvalidToken:
                log.critical("Telegram rejected the bot token (check PHARE_TELEGRAM_TOKEN)")
                raise
            except RetryAfter as exc:
                # Telegram's own pacing, not a failure: the backoff of real failures does not grow.
                await self._pause(self._retry.delay(failures + 1, retry_after=retry_seconds(exc)))
                continue
            except Conflict as exc:
                log.error("another process is reading this bot's updates (%s)", reason(exc))
                failures += 1
                await self._pause(self._retry.delay(failures))
                continue
            except TelegramError as exc:
                failures += 1
                log.warning("getUpdates failed (%s); retrying", reason(exc))
                await self._pause(self._retry.delay(failures))
                continue
            finally:
                self._fetch = None
            try:
                await self._handle(raw)
            except StepsNotStored:
                failures += 1
                log.error("some steps could not be stored; the updates will be read again")
                await self._pause(self._retry.delay(failures))
                continue
            failures = 0
            ids = [item["update_id"] for item in raw if isinstance(item, dict) and type(item.get("update_id")) is int]
            if ids:
                offset = max(ids) + 1

    async def _pause(self, seconds: float) -> None:
        if not self._stopping:
            await asyncio.sleep(seconds)

    def stop(self) -> None:
        """Stop fetching; a batch being handled is finished (its steps are committed) before run() returns."""
        self._stopping = True
        if self._fetch is not None:
            self._fetch.cancel()
