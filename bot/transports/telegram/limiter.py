"""One gate for everything Phare sends to Telegram: overall, per private chat and per group.

Telegram's limits: about 30 messages a second overall, about one a second in a private chat (short
bursts are tolerated), 20 a minute in a group. Interactive replies (priority 0) come first: a share of
the overall budget is kept for them, and scheduled messages wait whenever an interactive one is waiting,
so a reply to a person in crisis never queues behind a fan-out of check-ins.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

INTERACTIVE = 0
_MAX_TRACKED_CHATS = 10_000
_EPSILON = 1e-9
_MIN_WAIT = 0.001  # a shorter sleep would not move a float clock far from its epoch


@dataclass(frozen=True)
class Limits:
    overall_per_second: float = 30.0
    private_per_second: float = 1.0
    private_burst: int = 3  # a reply is often two or three messages: let them go out together
    group_per_minute: int = 20
    interactive_share: float = 0.2  # of the overall burst, usable by interactive replies only


class TokenBucket:
    def __init__(self, rate: float, burst: float, now: float) -> None:
        self.rate = rate
        self.burst = max(1.0, burst)
        self.tokens = self.burst
        self.stamp = now

    def _refill(self, now: float) -> None:
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def take(self, now: float, keep: float = 0.0) -> float:
        """Take a token if `keep` tokens remain after it; otherwise return how long until that holds."""
        self._refill(now)
        if self.tokens >= 1.0 + keep - _EPSILON:  # refills accumulate rounding errors
            self.tokens = max(0.0, self.tokens - 1.0)
            return 0.0
        return max(_MIN_WAIT, (1.0 + keep - self.tokens) / self.rate)

    def full(self, now: float) -> bool:
        self._refill(now)
        return self.tokens >= self.burst


class Window:
    """At most `count` sends in any `period` seconds: exact, where a bucket would allow a double burst."""

    def __init__(self, count: int, period: float) -> None:
        self.count = max(1, count)
        self.period = period
        self.times: deque[float] = deque()

    def take(self, now: float) -> float:
        while self.times and now - self.times[0] >= self.period:
            self.times.popleft()
        if len(self.times) < self.count:
            self.times.append(now)
            return 0.0
        return self.times[0] + self.period - now

    def full(self, now: float) -> bool:
        return not self.times or now - self.times[-1] >= self.period


class SendLimiter:
    def __init__(
        self,
        limits: Limits = Limits(),
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.limits = limits
        self._clock = clock
        self._sleep = sleep
        burst = max(1.0, limits.overall_per_second)
        self._overall = TokenBucket(limits.overall_per_second, burst, clock())
        self._reserve = burst * limits.interactive_share
        self._chats: dict[int, TokenBucket | Window] = {}
        self._interactive_waiting = 0

    async def acquire(self, chat_id: int, priority: int = INTERACTIVE) -> None:
        """Wait until one message may go to this chat."""
        await self._wait_chat(chat_id)
        await self._wait_overall(priority)

    async def _wait_chat(self, chat_id: int) -> None:
        gate = self._chats.get(chat_id)
        if gate is None:
            self._prune()
            gate = self._chats[chat_id] = self._new_gate(chat_id)
        while (delay := gate.take(self._clock())) > 0:
            await self._sleep(delay)

    def _new_gate(self, chat_id: int) -> TokenBucket | Window:
        if chat_id < 0:  # groups and supergroups have negative ids
            return Window(self.limits.group_per_minute, 60.0)
        return TokenBucket(self.limits.private_per_second, self.limits.private_burst, self._clock())

    async def _wait_overall(self, priority: int) -> None:
        interactive = priority <= INTERACTIVE
        if interactive:
            self._interactive_waiting += 1
        try:
            while True:
                if not interactive and self._interactive_waiting:
                    delay = 1.0 / self._overall.rate
                else:
                    delay = self._overall.take(self._clock(), 0.0 if interactive else self._reserve)
                    if delay == 0:
                        return
                await self._sleep(delay)
        finally:
            if interactive:
                self._interactive_waiting -= 1

    def _prune(self) -> None:
        if len(self._chats) < _MAX_TRACKED_CHATS:
            return
        now = self._clock()
        for chat_id in [c for c, gate in self._chats.items() if gate.full(now)]:
            del self._chats[chat_id]
