"""The writer's queue and its workers (bot/writer.py): jobs wait here in the order they came, workers take them in
batches, and each batch's replies are handed to the transports in the order the batches were taken."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bot import metrics
from bot.checkin_jobs import Due, GroupDue
from bot.core.jobs import Expire, Followup, MarkSent, Notice, Wake
from bot.messages import Delivery, Incoming

Job = Incoming | Wake | Expire | MarkSent | Notice | Due | Followup | GroupDue  # Due: a check-in (bot/scheduler.py)
Listener = Callable[[list[Delivery]], Awaitable[None] | None]


@dataclass
class Pending:
    job: Job
    done: asyncio.Future[None]
    queued: float = field(default_factory=time.perf_counter)  # for the step-latency histogram


class WorkQueue:
    """Jobs in, batches out. The writer supplies `_commit_batch` (one transaction per batch)."""

    max_batch: int
    batches: int  # committed so far: a figure for benchmarks and logs

    def _init_queue(self, *, pipeline: int) -> None:
        self._queue: asyncio.Queue[Pending] = asyncio.Queue()
        self._pipeline = pipeline  # workers: two on PostgreSQL, one on SQLite
        self._taking = asyncio.Lock()  # held from taking a batch off the queue until its writes are sent
        self._notified: asyncio.Future[None] | None = None  # the previous batch's replies, handed over
        self._workers: list[asyncio.Task[None]] = []
        self._listeners: list[Listener] = []

    async def _commit_batch(self, pending: list[Pending], before_commit: Callable[[], None]) -> list[Delivery]:
        raise NotImplementedError

    def on_commit(self, listener: Listener) -> None:
        """Called with the replies a batch queued, right after its commit, for the transports to send."""
        self._listeners.append(listener)

    async def submit(self, job: Job) -> None:
        """Queue a message (or a wake-up) and return once its step is committed."""
        await self.enqueue(job)

    def enqueue(self, job: Job) -> asyncio.Future[None]:
        """Queue a job now; the future is done once its step is committed.

        Jobs are committed in the order they were queued, so a transport that queues a person's messages in
        the order it received them needs no chaining of its own."""
        self._ensure_worker()
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(Pending(job, done))
        return done

    def _ensure_worker(self) -> None:
        if not self._workers:
            self._workers = [asyncio.create_task(self._work(), name=f"phare-writer-{i}") for i in range(self._pipeline)]

    async def _stop_workers(self) -> None:
        for worker in self._workers:
            worker.cancel()
        for worker in self._workers:
            with contextlib.suppress(asyncio.CancelledError):
                await worker
        self._workers = []

    async def _work(self) -> None:
        """One of the writer's workers.

        A worker takes a batch off the queue, and the next worker may take the following batch only once
        this one's writes have all been sent and only its COMMIT is left: the wait for the disk then overlaps
        the next batch's reads and decisions. Order still holds: the next batch locks its users after this one
        locked them, so a person's next message waits for the commit of the one before; a person or a message
        this batch created, not yet committed, makes the next batch's insert fail on its unique key, and that
        batch is retried one job at a time, after the commit. Replies are handed over in batch order."""
        while True:
            await self._taking.acquire()
            held = True

            def release() -> None:
                nonlocal held
                if held:
                    held = False
                    self._taking.release()

            mine: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            try:
                pending = await self._take()
                before, self._notified = self._notified, mine
                self.batches += 1
                deliveries = await self._commit_batch(pending, release)
            except BaseException:
                mine.cancel()
                raise
            finally:
                release()
            committed = time.perf_counter()
            try:
                if before is not None and not before.done():
                    await asyncio.wait([before])  # the previous batch's replies go first, whatever became of it
                if deliveries:
                    await self._notify(deliveries)
            finally:
                mine.set_result(None)
                for item in pending:  # once committed and handed over, as with a single worker
                    metrics.STEP_SECONDS.observe(committed - item.queued)
                    if not item.done.done():
                        item.done.set_result(None)

    async def _take(self) -> list[Pending]:
        pending = [await self._queue.get()]
        # Linger for two loop turns: the senders whose steps just committed get to queue their next
        # message, so batches grow under load (group commit) at no cost when idle.
        for _ in range(2):
            while len(pending) < self.max_batch and not self._queue.empty():
                pending.append(self._queue.get_nowait())
            if len(pending) >= self.max_batch:
                break
            await asyncio.sleep(0)
        return pending

    async def _notify(self, deliveries: list[Delivery]) -> None:
        for listener in self._listeners:
            outcome = listener(deliveries)
            if outcome is not None:
                await outcome
