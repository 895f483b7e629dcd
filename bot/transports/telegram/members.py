"""Whether someone administers a group, as Telegram says (getChatMember), remembered for a minute.

A command in a group needs its sender's admin flag (group settings, the session timer). A busy group sends
many: one call per person and group a minute is enough, and a membership change seen meanwhile forgets it.
A failed call counts as "not an administrator" (a refusal the person can try again), and is not remembered.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from telegram.error import TelegramError

from bot.transports.telegram.api import PhareBot
from bot.transports.telegram.transport import reason

log = logging.getLogger(__name__)

ADMIN_STATUSES = frozenset({"creator", "administrator"})


class ChatAdmins:
    def __init__(
        self,
        bot: PhareBot,
        *,
        ttl: float = 60.0,
        size: int = 4096,
        timeout: float = 10.0,  # the updates after this one wait for it
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.bot = bot
        self.ttl = ttl
        self.size = size
        self.timeout = timeout
        self._clock = clock
        self._known: dict[tuple[int, int], tuple[bool, float]] = {}  # -> (admin, when it expires)

    async def is_admin(self, chat_id: int, user_id: int) -> bool:
        key = (chat_id, user_id)
        now = self._clock()
        known = self._known.get(key)
        if known is not None and known[1] > now:
            return known[0]
        try:
            call = self.bot.call("getChatMember", {"chat_id": chat_id, "user_id": user_id})
            member: Any = await asyncio.wait_for(call, self.timeout)
        except (TelegramError, TimeoutError) as exc:
            log.warning("getChatMember failed for a group command (%s); taken as not an administrator", reason(exc))
            return False
        status = member.get("status") if isinstance(member, dict) else None
        admin = status in ADMIN_STATUSES
        if len(self._known) >= self.size:
            self._prune(now)
        self._known[key] = (admin, now + self.ttl)
        return admin

    def forget(self, chat_id: int, user_id: int) -> None:
        """Their membership changed: ask again next time."""
        self._known.pop((chat_id, user_id), None)

    def _prune(self, now: float) -> None:
        self._known = {k: v for k, v in self._known.items() if v[1] > now}
        while len(self._known) >= self.size:  # all still fresh: the oldest go first (insertion order)
            del self._known[next(iter(self._known))]
