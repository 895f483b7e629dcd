"""The extension point for platforms: a transport turns Outgoing into platform messages and back."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable

from bot.messages import Delivery


class DeliveryError(Exception):
    """Sending failed. `permanent` means retrying cannot help (the user blocked the bot, the chat is gone)."""

    def __init__(self, reason: str, *, permanent: bool = False, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.permanent = permanent
        self.retry_after = retry_after


class Transport(ABC):
    platform: str

    @abstractmethod
    async def deliver(self, delivery: Delivery) -> None:
        """Send one message; return only once the platform has confirmed it, raise DeliveryError otherwise."""

    def already_delivered(self, ids: Iterable[str]) -> set[str]:
        """Outbox ids this transport knows it delivered before a crash (an idempotent sink can tell)."""
        return set()
