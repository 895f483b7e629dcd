"""Sending committed replies: per chat in order, interactive before scheduled, retried, never dropped silently."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import replace

from bot.messages import Delivery
from bot.retry import DEFAULT_RETRY, RetryPolicy
from bot.transports.base import DeliveryError, Transport
from dialogues import markup

log = logging.getLogger(__name__)

MarkSent = Callable[[tuple[str, ...], tuple[str, ...]], Awaitable[None]]


def without_escapes(delivery: Delivery) -> Delivery:
    """The delivery for a transport that reads no escapes (Transport.reads_escapes)."""
    message = delivery.message
    fallback = message.fallback
    if markup.ESCAPE not in message.text and (fallback is None or markup.ESCAPE not in fallback.text):
        return delivery
    if fallback is not None:
        fallback = replace(fallback, text=markup.unescape(fallback.text))
    return replace(delivery, message=replace(message, text=markup.unescape(message.text), fallback=fallback))


class Dispatcher:
    """One per transport. A chat's messages go one at a time, in outbox order; different chats in parallel.

    Interactive chats are served before chats that only have scheduled messages waiting, so a reply to a
    person never queues behind a fan-out of check-ins.
    """

    def __init__(
        self,
        transport: Transport,
        mark_sent: MarkSent,
        *,
        concurrency: int = 16,
        retry: RetryPolicy = DEFAULT_RETRY,
        mark_delay: float = 0.02,
    ) -> None:
        self.transport = transport
        self._mark_sent = mark_sent
        self._concurrency = concurrency
        self._retry = retry
        self._mark_delay = mark_delay
        self._chats: dict[str, deque[Delivery]] = {}  # chats with something queued or being sent
        self._busy: set[str] = set()
        # Chats waiting for a worker, each at most once, ranked by the priority of their next message then by
        # arrival: a worker takes the best in O(log n), and one put wakes one worker.
        self._ready: asyncio.PriorityQueue[tuple[int, int, str]] = asyncio.PriorityQueue()
        self._waiting: set[str] = set()
        self._interactive_waiting = 0
        self._arrivals = 0
        self._known: set[str] = set()
        self._sent: list[str] = []
        self._blocked: list[str] = []
        self._flush_wanted = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._idle = asyncio.Event()
        self._idle.set()
        self._flush_lock = asyncio.Lock()

    async def start(self, backlog: list[Delivery] = ()) -> None:  # type: ignore[assignment]
        done = self.transport.already_delivered(d.id for d in backlog)
        if done:
            await self._mark_sent(tuple(done), ())
        self.enqueue([d for d in backlog if d.id not in done])
        self._tasks = [asyncio.create_task(self._worker(), name=f"send-{i}") for i in range(self._concurrency)]
        self._tasks.append(asyncio.create_task(self._flusher(), name="mark-sent"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        await self._flush()

    def enqueue(self, deliveries: list[Delivery]) -> None:
        for delivery in deliveries:
            if delivery.platform != self.transport.platform or delivery.id in self._known:
                continue
            self._known.add(delivery.id)
            self._chats.setdefault(delivery.chat_key, deque()).append(delivery)
            self._offer(delivery.chat_key)
        if self._chats:
            self._idle.clear()

    def _offer(self, chat: str) -> None:
        """Make a chat with queued messages available to a worker, unless one has it or it already waits."""
        if chat in self._busy or chat in self._waiting:
            return
        priority = self._chats[chat][0].priority
        self._waiting.add(chat)
        self._interactive_waiting += priority == 0
        self._arrivals += 1
        self._ready.put_nowait((priority, self._arrivals, chat))

    async def drain(self) -> None:
        """Wait until everything queued so far is sent and marked (tests and graceful shutdown)."""
        await self._idle.wait()
        await self._flush()

    async def _worker(self) -> None:
        while True:
            priority, _, chat = await self._ready.get()
            self._waiting.discard(chat)
            self._interactive_waiting -= priority == 0
            self._busy.add(chat)
            try:
                await self._send_chat(chat)
            finally:
                self._busy.discard(chat)
                if self._chats.get(chat):
                    self._offer(chat)  # behind the chats already waiting: they get a turn first
                else:
                    self._chats.pop(chat, None)
                    if not self._chats:
                        self._idle.set()

    async def _send_chat(self, chat: str) -> None:
        queue = self._chats[chat]
        while queue:
            delivery = queue[0]
            try:
                await self._send_one(delivery)
            except DeliveryError as exc:
                # Permanent failure: the chat cannot receive (blocked, deleted). Everything queued for it
                # is dropped, loudly, and the user is marked inactive so nothing more is sent.
                dropped = len(queue)
                log.warning("chat unreachable (%s): dropping %d message(s)", exc, dropped)
                ids = tuple(d.id for d in queue)
                queue.clear()
                self._sent.extend(ids)
                if delivery.user_id:
                    self._blocked.append(delivery.user_id)
                self._flush_wanted.set()
                return
            queue.popleft()
            self._sent.append(delivery.id)
            self._flush_wanted.set()
            if delivery.priority == 0 and self._interactive_waiting:
                return  # let other interactive chats have a turn

    async def _send_one(self, delivery: Delivery) -> None:
        attempt = 0
        while True:
            attempt += 1
            try:
                await self.transport.deliver(delivery if self.transport.reads_escapes else without_escapes(delivery))
                return
            except DeliveryError as exc:
                if exc.permanent:
                    raise
                delay = self._retry.delay(attempt, exc.retry_after)
                log.info("send failed (%s); retry %d in %.1fs", exc, attempt, delay)
                await asyncio.sleep(delay)
            if self._retry.exhausted(attempt):
                # Still failing after every attempt: it stays in the outbox (a restart retries it) and is tried
                # again here after a pause, with a fresh count, for as long as the process runs.
                log.error("giving up for now on one message after %d attempts; it stays queued", attempt)
                await asyncio.sleep(self._retry.delay(attempt))
                attempt = 0

    async def _flusher(self) -> None:
        while True:
            await self._flush_wanted.wait()
            # A short wait gathers confirmations into one write, so marking replies sent does not cost a
            # transaction per message. The price: a crash in these milliseconds resends those replies.
            await asyncio.sleep(self._mark_delay)
            self._flush_wanted.clear()
            await self._flush()

    async def _flush(self) -> None:
        async with self._flush_lock:  # drain() must not return while another flush is still writing
            if not self._sent and not self._blocked:
                return
            sent, blocked = tuple(self._sent), tuple(self._blocked)
            self._sent, self._blocked = [], []
            await self._mark_sent(sent, blocked)
            # Their rows are gone: they cannot be offered again, so the ids need not be kept (a long-running
            # process would otherwise keep every id it ever sent).
            self._known.difference_update(sent)
