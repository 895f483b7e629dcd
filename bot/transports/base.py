"""The contract between Phare and a platform, in both directions.

Inbound, a transport turns what the platform delivers into `Incoming` messages (a text, a tap, a sticker, an
edit; bot/messages.py) and hands them to the writer through `Inbox`, in the order people wrote them. Outbound,
the writer calls `Transport.deliver` with each committed `Delivery`; the transport renders it the platform's way
(HTML on Telegram, notices and reactions on Matrix, numbered choices in the console) and returns only once the
platform confirmed it. A new platform is one package under bot/transports/ implementing these two sides.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Iterable
from typing import ClassVar, Protocol

from bot.core.jobs import Notice
from bot.messages import Delivery, Incoming
from dialogues.loader import Library
from dialogues.texts import Context


class Inbox(Protocol):
    """What a transport may ask of the writer (bot/writer.py implements it); nothing else lies behind it."""

    library: Library
    bot_username: str | None

    @property
    def default_locale(self) -> str: ...

    def enqueue(self, job: Incoming) -> asyncio.Future[None]:
        """Queue a message; the future is done once its step is committed (confirm the update only then)."""
        ...

    async def submit(self, job: Incoming | Notice) -> None:
        """Queue a message, or a notice of the transport's own (written by the core, sent through the outbox)."""
        ...

    async def start(self) -> None: ...

    def on_commit(self, listener: Callable[[list[Delivery]], Awaitable[None] | None]) -> None:
        """Called with the replies each batch queued, right after its commit."""
        ...

    async def pending(self, platform: str) -> list[Delivery]:
        """Replies committed but never confirmed sent (a crash): deliver them again."""
        ...

    async def adopt(self, platform: str, *, mine_too: bool = False) -> list[Delivery]:
        """The platform's replies queued by other processes, live or not, now this one's to send (its owner of a
        connection only one process may hold); with `mine_too`, this process's own as well."""
        ...

    async def mark_sent(self, ids: tuple[str, ...], blocked: tuple[str, ...] = ()) -> None: ...

    async def context_for(self, platform: str, *, user_id: str | None = None, user_key: str | None = None) -> Context:
        """How to speak to a person in the transport's own notices."""
        ...

    def render(self, key: str, ctx: Context) -> str: ...


class DeliveryError(Exception):
    """Sending failed. `permanent` means retrying cannot help (the user blocked the bot, the chat is gone)."""

    def __init__(self, reason: str, *, permanent: bool = False, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.permanent = permanent
        self.retry_after = retry_after


class Transport(ABC):
    platform: str
    # Whether deliver() reads the escapes of Phare's light markup (dialogues/markup.py): a backslash before a `*`
    # or `_` to be shown as it is, not read as emphasis (one a person typed, say). For a transport that does
    # not, the Dispatcher takes the backslashes out before deliver(), so none is ever shown.
    reads_escapes: ClassVar[bool] = False

    @abstractmethod
    async def deliver(self, delivery: Delivery) -> None:
        """Send one message; return only once the platform has confirmed it, raise DeliveryError otherwise."""

    def already_delivered(self, ids: Iterable[str]) -> set[str]:
        """Outbox ids this transport knows it delivered before a crash (an idempotent sink can tell)."""
        return set()
