"""The check-in scheduler: due rows claimed with a lease, turned into prompts by the writer, paced.

How a prompt goes out
1. A tick (an APScheduler interval job in the bot process) claims due rows in one short transaction: a
   lease (owner token, expiry) on at most `rate × tick` rows, counted by a token bucket shared by every
   process through the database, so the outbox fills no faster than the configured rate however many
   processes run. PostgreSQL: `FOR UPDATE SKIP LOCKED`; SQLite: one writer.
2. Each claimed row becomes a `Due` job for the writer's single writer. In ONE transaction the writer checks
   that the lease is still this claim's, records the prompt's key (user, kind, local date, round) — unique,
   so a key already there sends nothing — queues the prompt in the outbox and moves the row to its next
   time. A prompt counts as sent once that transaction commits; the outbox delivers it (priority 1,
   after interactive replies) and deletes it when the platform confirms.
3. A process that dies after claiming lets its lease lapse: the row is due again and another tick takes it.
   The only duplicate window is the outbox's own: the platform confirmed a message, and the process died
   before the outbox deletion committed; the outbox sends it again at the next start.

Downtime: a prompt missed by less than the grace (PHARE_CHECKIN_GRACE, default 2 h) is sent late, once;
an older one is skipped and the row moves to its next day.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from bot import checkins
from bot.checkin_jobs import DEFAULT_GRACE, Due, GroupDue
from bot.core.conversation import Conversation
from bot.messages import Outgoing
from dialogues.loader import Library
from storage import schedules as store
from storage.db import Database
from storage.groups import GroupStore
from storage.records import new_id
from storage.repo import Repository

if TYPE_CHECKING:
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    from bot.config import Settings


class Claims(Protocol):
    """What the scheduler needs of the writer: it claims rows itself and hands each one over as a `Due` job."""

    db: Database
    repo: Repository
    library: Library
    core: Conversation
    clock: Callable[[], datetime]

    group_store: GroupStore

    async def submit(self, job: Due | GroupDue) -> None: ...


log = logging.getLogger(__name__)
PACING = "checkins"


class CheckinScheduler:
    """Claims due rows and hands them to the writer. One per process; any number of processes."""

    def __init__(
        self,
        writer: Claims,
        *,
        rate: float | None = 25.0,
        tick_seconds: float = 1.0,
        lease: timedelta = timedelta(minutes=5),
        grace: timedelta = DEFAULT_GRACE,
        max_claim: int = 2000,
    ) -> None:
        self.writer = writer
        self.rate = rate if rate and rate > 0 else None  # None: unpaced (tests, benchmarks of raw capacity)
        self.tick_seconds = tick_seconds
        self.lease = lease
        self.grace = grace
        self.max_claim = max_claim
        self.claimed = 0
        self.busy_seconds = 0.0
        self._charts = ThreadPoolExecutor(max_workers=1, thread_name_prefix="phare-charts")
        self._lock = asyncio.Lock()

    async def tick(self) -> int:
        """Claim what is due now (within the pace) and wait until the writer has committed it all."""
        async with self._lock:
            loop = asyncio.get_running_loop()
            started = loop.time()
            now = self.writer.clock()
            owner = new_id()
            async with self.writer.db.begin() as conn:
                want = self.max_claim
                tokens = 0.0
                if self.rate is not None:
                    # Two ticks' worth: a tick that ran late (a slow commit) catches up once, no more.
                    burst = max(1.0, self.rate * self.tick_seconds * 2)
                    want, tokens = await store.take_tokens(conn, PACING, now, self.rate, burst, want)
                rows = await store.claim(conn, now, want, owner, self.lease)
                if self.rate is not None:
                    await store.spend_tokens(conn, PACING, tokens - len(rows), now)
                # Supervision groups' timers: few, unpaced (a reminder to a group is one message).
                timers = await self.writer.group_store.claim_timers(conn, now, 500, owner, self.lease)
            jobs: list[Due | GroupDue] = [await self._job(row, owner) for row in rows]
            jobs += [GroupDue(t.id, t.group_id, t.key, owner) for t in timers]
            outcomes = await asyncio.gather(*(self.writer.submit(j) for j in jobs), return_exceptions=True)
            failed = [o for o in outcomes if isinstance(o, BaseException)]
            if failed:
                # Their leases lapse and the rows come back: nothing is lost, nothing doubles.
                log.warning("%d check-in(s) not committed (%s); retried after the lease", len(failed),
                            type(failed[0]).__name__)  # fmt: skip
            self.claimed += len(rows) + len(timers)
            self.busy_seconds += loop.time() - started
            return len(rows) + len(timers)

    async def drain(self, limit: int = 1000) -> int:
        """Tick until nothing more is due now (tests, the console, catching up after a restart)."""
        total = 0
        for _ in range(limit):
            claimed = await self.tick()
            total += claimed
            if claimed == 0:
                break
        return total

    async def _job(self, row: store.ScheduleRow, owner: str) -> Due:
        assert row.next_due is not None and row.local_date is not None
        messages: tuple[Outgoing, ...] = ()
        if row.kind == checkins.WEEKLY:
            messages = await self._weekly(row.user_id)
        elif row.kind == checkins.LETTER:
            messages = await self._letter(row.user_id)
        return Due(row.id, row.user_id, row.kind, row.next_due, row.local_date, row.round, row.spec, owner,
                   self.grace, messages)  # fmt: skip

    async def _letter(self, user_id: str) -> tuple[Outgoing, ...]:
        writer = self.writer
        async with writer.db.begin() as conn:
            user = await writer.repo.user_by_id(conn, user_id)
        if user is None:
            return ()
        text = writer.library.text("letter_reminder").render(writer.core.speaker.ctx(user))
        return (Outgoing(text, scheduled=True),)

    async def _weekly(self, user_id: str) -> tuple[Outgoing, ...]:
        """The weekly review, read and drawn outside the writer's writer (a chart takes ~0.1 s of CPU)."""
        from bot import charts

        writer = self.writer
        async with writer.db.begin() as conn:
            user = await writer.repo.user_by_id(conn, user_id)
            entries = await writer.repo.history_of(conn, user_id) if user and user.consented else []
        if user is None:
            return ()
        ctx = writer.core.speaker.ctx(user)
        now = writer.clock()
        text = charts.weekly_text(writer.library, ctx, user, entries, now)
        if not user.consented:
            return (Outgoing(text, scheduled=True),)
        data = charts.chart_data(writer.library, ctx, user, entries, now)
        png = await asyncio.get_running_loop().run_in_executor(self._charts, charts.render_png, data)
        return (Outgoing(text, scheduled=True), charts.image_message(png, now, scheduled=True))

    def close(self) -> None:
        self._charts.shutdown(wait=False)


# --- running it in a process -------------------------------------------------------------------------------------


@dataclass
class SchedulerHandle:
    scheduler: CheckinScheduler
    apscheduler: AsyncIOScheduler

    async def stop(self) -> None:
        self.apscheduler.shutdown(wait=False)
        await asyncio.sleep(0)
        async with self.scheduler._lock:  # let a tick in progress finish: its claims commit or lapse cleanly
            pass
        self.scheduler.close()


async def start_scheduler(writer: Claims, settings: Settings, **overrides: Any) -> SchedulerHandle:
    """Start the check-in scheduler in this process (`phare run`, the console). `stop()` it before closing."""
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    options: dict[str, Any] = {
        "rate": settings.checkin_rate,
        "tick_seconds": settings.checkin_tick,
        "lease": settings.checkin_lease,
        "grace": settings.checkin_grace,
    }
    options.update(overrides)
    scheduler = CheckinScheduler(writer, **options)
    # A tick still running when the next is due is skipped by design (max_instances=1): not worth a warning.
    logging.getLogger("apscheduler.scheduler").setLevel(logging.ERROR)
    aps = AsyncIOScheduler()
    aps.add_job(
        _safe_tick,
        "interval",
        args=[scheduler],
        seconds=scheduler.tick_seconds,
        id="checkin-dispatcher",
        # One tick at a time: a slow tick (a big fan-out) must not overlap the next one.
        max_instances=1,
        # Ticks missed while the loop was busy or the machine slept are merged into one: every tick already
        # claims everything due, so running the missed ones back to back would only add empty transactions.
        coalesce=True,
        # However late a tick is, run it: a late tick is exactly the one that catches up. Lateness of the
        # prompts themselves is judged per row against PHARE_CHECKIN_GRACE, not here.
        misfire_grace_time=None,
        next_run_time=datetime.now(UTC),  # a first tick right away: catch up on what came due while down
    )
    aps.start()
    return SchedulerHandle(scheduler, aps)


async def _safe_tick(scheduler: CheckinScheduler) -> None:
    try:
        await scheduler.tick()
    except Exception as exc:  # noqa: BLE001 — a failed tick (database restarting) is retried at the next one
        log.error("check-in tick failed: %s", type(exc).__name__)
