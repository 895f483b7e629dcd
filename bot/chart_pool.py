"""Charts drawn in a separate process, so a burst of /history never holds up anyone else's reply.

matplotlib holds the GIL while it draws (0.2–0.9 s of CPU a chart), so a chart drawn in a thread stops the
event loop, and drawn inside the writer's transaction it stops every reply behind it. Here the writer commits
/history's text at once and hands the chart's data (`charts.chart_data`, plain values) to this pool; a worker
process (spawned, so it inherits none of the bot's state) draws it with the pure `charts.render_png`, and the
picture comes back to the writer as a `Followup` job, queued in the outbox like any reply.

Bounded: at most `workers` processes, at most `max_waiting` charts waiting or being drawn; beyond that the
writer answers "try again in a minute" instead. A person whose chart is already waiting gets no second one.
Memory comes back: the pool is replaced after `recycle_after` charts (its workers finish what they were
given, then exit), and it stops once idle for `idle_seconds` (the next chart starts one again). Not
`max_tasks_per_child`: on Python 3.11 a pool using it hangs once a worker is due for replacement. A chart
lost to a crash is not redrawn: /history again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from bot.core.jobs import Followup

if TYPE_CHECKING:
    from bot.charts import ChartData

log = logging.getLogger(__name__)


def _in_background() -> None:
    """In each worker: drawing yields the CPU to the bot's own process (replies first, pictures when they can)."""
    os.nice(10)


@dataclass(frozen=True)
class ChartRequest:
    user_id: str
    platform: str
    chat_key: str
    data: ChartData
    now: datetime


class ChartPool:
    def __init__(
        self,
        deliver: Callable[[Followup], asyncio.Future[None]],
        *,
        workers: int = 1,
        max_waiting: int = 64,
        recycle_after: int = 20,
        idle_seconds: float = 30.0,
    ) -> None:
        self.deliver = deliver  # the writer's enqueue: the picture is stored and sent like any reply
        self.workers = workers
        self.max_waiting = max_waiting
        self.recycle_after = recycle_after
        self.idle_seconds = idle_seconds
        self.drawn = 0
        self.refused = 0
        self._executor: ProcessPoolExecutor | None = None
        self._given = 0  # charts handed to the current pool
        self._waiting: dict[str, asyncio.Task[None]] = {}  # user id → the task drawing and queueing their chart
        self._idle: asyncio.TimerHandle | None = None
        self._closing: set[asyncio.Task[None]] = set()
        self._closed = False

    @property
    def running(self) -> bool:
        """Whether worker processes may be alive (a pool started and not yet shut down)."""
        return self._executor is not None or bool(self._closing)

    def waiting(self, user_id: str) -> bool:
        return user_id in self._waiting

    def room(self) -> int:
        return 0 if self._closed else max(0, self.max_waiting - len(self._waiting))

    def draw(self, request: ChartRequest) -> None:
        """Draw in a worker, then queue the picture for the person. Call after the request's step committed."""
        if self._closed or request.user_id in self._waiting:
            return
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None
        self._waiting[request.user_id] = asyncio.create_task(self._draw(request), name="phare-chart")

    async def _draw(self, request: ChartRequest) -> None:
        from bot import charts

        try:
            png = await asyncio.get_running_loop().run_in_executor(self._pool(), charts.render_png, request.data)
            message = charts.image_message(png, request.now)
            await self.deliver(Followup(request.user_id, request.platform, request.chat_key, (message,)))
            self.drawn += 1
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("a chart could not be drawn or queued; /history again draws it")
        finally:
            self._waiting.pop(request.user_id, None)
            if not self._waiting and not self._closed:
                self._idle = asyncio.get_running_loop().call_later(self.idle_seconds, self._stop_idle)

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is not None and self._given >= self.recycle_after:
            self._retire()
        if self._executor is None:
            context = multiprocessing.get_context("spawn")
            self._executor = ProcessPoolExecutor(
                max_workers=self.workers, mp_context=context, initializer=_in_background
            )
            self._given = 0
        self._given += 1
        return self._executor

    def _retire(self) -> None:
        """Let the current pool finish what it was given, then its workers exit (in a thread, off the loop)."""
        executor, self._executor = self._executor, None
        if executor is None:
            return
        task = asyncio.get_running_loop().create_task(asyncio.to_thread(executor.shutdown, wait=True))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    def _stop_idle(self) -> None:
        self._idle = None
        if not self._waiting:
            self._retire()

    async def drain(self) -> None:
        """Wait until every chart asked for so far is drawn and queued (tests, a clean stop)."""
        while self._waiting:
            await asyncio.gather(*self._waiting.values(), return_exceptions=True)

    async def close(self) -> None:
        """Stop: charts still waiting are dropped (their text was sent; /history again), workers exit."""
        self._closed = True
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None
        tasks = list(self._waiting.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        executor, self._executor = self._executor, None
        if executor is not None:
            await asyncio.to_thread(executor.shutdown, wait=True, cancel_futures=True)
        with contextlib.suppress(Exception):
            await asyncio.gather(*self._closing, return_exceptions=True)
