"""Webhook mode, on python-telegram-bot's server: it rejects (403) any request whose
X-Telegram-Bot-Api-Secret-Token header is missing or differs from the secret registered with setWebhook.

The server hands each update to `update_queue.put` and answers Telegram when that returns. The queue
here processes the update inside `put`, so Telegram gets its 200 only after the step is committed: a
crash before the commit leaves the update with Telegram, which sends it again.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from telegram import Bot, Update
from telegram.ext import Updater

from bot.transports.telegram.polling import ALLOWED_UPDATES, Handle

SECRET_FORMAT = re.compile(r"[A-Za-z0-9_-]{1,256}")


@dataclass(frozen=True)
class WebhookConfig:
    url: str
    secret: str
    listen: str = "127.0.0.1"
    port: int = 8443
    max_connections: int = 40

    @property
    def path(self) -> str:
        return urlsplit(self.url).path.strip("/")


def webhook_secret(configured: str | None) -> str:
    """The configured secret, checked against Telegram's alphabet, or a fresh one registered at each start."""
    if configured is None or configured == "":
        return secrets.token_urlsafe(32)
    if not SECRET_FORMAT.fullmatch(configured):
        raise ValueError("PHARE_TELEGRAM_WEBHOOK_SECRET: use 1 to 256 characters among A-Z, a-z, 0-9, _ and -")
    return configured


class _CommittingQueue(asyncio.Queue[object]):
    def __init__(self, handle: Handle) -> None:
        super().__init__()
        self._handle = handle

    async def put(self, item: object) -> None:
        if isinstance(item, Update):  # parsed by the server; read back as the JSON it came as
            await self._handle([item.to_dict()])


class WebhookIntake:
    def __init__(
        self, bot: Bot, handle: Handle, config: WebhookConfig, allowed_updates: Sequence[str] = ALLOWED_UPDATES
    ) -> None:
        self.config = config
        self._updater = Updater(bot=bot, update_queue=_CommittingQueue(handle))
        self._allowed = list(allowed_updates)

    async def start(self) -> None:
        await self._updater.initialize()
        await self._updater.start_webhook(
            listen=self.config.listen,
            port=self.config.port,
            url_path=self.config.path,
            webhook_url=self.config.url,
            secret_token=self.config.secret,
            allowed_updates=self._allowed,
            max_connections=self.config.max_connections,
            drop_pending_updates=False,
        )

    async def stop(self) -> None:
        """Stop listening. A request cut off here got no 200: Telegram sends it again, and the writer drops it
        if its step was committed after all."""
        if self._updater.running:
            await self._updater.stop()
