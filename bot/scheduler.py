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
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncConnection

from bot import checkins
from bot.checkins import DAILY, KINDS, WEEKLY, DueRow, first_due, spec_for
from bot.messages import Outgoing
from storage import schedules as store
from storage.records import RunRecord, UserRecord, new_id
from storage.schedules import Planned

if TYPE_CHECKING:
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    from bot.app import Phare
    from bot.writer import Writer

log = logging.getLogger(__name__)
PACING = "checkins"
DEFAULT_GRACE = timedelta(hours=2)


@dataclass(frozen=True)
class Due:
    """A writer job: this claimed schedule row is due. `messages` are prepared outside the writer (the weekly
    review's chart); a daily prompt is written by the writer in the user's language."""

    schedule_id: str
    user_id: str
    kind: str
    next_due: datetime
    local_date: str
    round: int
    spec: dict[str, Any] = field(compare=False)  # as claimed: a settings change since then releases the lease
    lease: str = ""
    grace: timedelta = DEFAULT_GRACE
    messages: tuple[Outgoing, ...] = field(default=(), compare=False)


@dataclass
class DueResult:
    user: UserRecord
    messages: list[Outgoing]
    settings_changed: bool
    daily: tuple[str, int] | None = None  # (local date, round) of a daily prompt the writer writes


# --- inside the writer's transaction ----------------------------------------------------------------------


async def sync_schedules(conn: AsyncConnection, users: Sequence[UserRecord], now: datetime) -> None:
    """Bring the schedule rows of these users in line with their settings (only where the settings changed
    what the rows were computed from)."""
    candidates = [u for u in users if "checkin" in u.settings]
    if not candidates:
        return
    rows = await store.rows_of(conn, [u.id for u in candidates])
    moves: list[tuple[str, Planned]] = []
    creates: list[tuple[str, str, Planned]] = []
    gone: list[str] = []
    for user in candidates:
        for kind in KINDS:
            spec = spec_for(user, kind)
            row = rows.get((user.id, kind))
            if spec is None:
                if row is not None:
                    gone.append(row.id)
                continue
            if row is not None and row.spec == spec:
                continue
            start = first_due(spec, now)
            plan = Planned(start[0], start[1], start[2], spec) if start else Planned(None, None, 0, spec)
            if row is None:
                creates.append((user.id, kind, plan))
            else:
                moves.append((row.id, plan))
    await store.create(conn, creates, now)
    await store.move(conn, moves, now)
    await store.remove(conn, gone)


async def handle_due(
    conn: AsyncConnection,
    jobs: Sequence[Due],
    users: dict[str, UserRecord],
    runs: dict[str, RunRecord],
    now: datetime,
    forgotten: set[str],
) -> list[DueResult]:
    """Decide what each due row becomes, record the prompts' keys and move the rows, in the caller's
    transaction. Returns the messages to queue (and users whose settings changed)."""
    held = await store.still_leased(conn, [(j.schedule_id, j.lease) for j in jobs])
    decided: list[tuple[Due, UserRecord, checkins.Verdict]] = []
    keys: list[tuple[str, str, str, int]] = []
    for job in jobs:
        if job.schedule_id not in held:
            continue  # another claim took it over after our lease lapsed, or the settings moved it
        user = None if job.user_id in forgotten else users.get(job.user_id)
        run = runs.get(job.user_id)
        busy = checkins.busy(run.status if run else None, run.updated_at if run else None, now)
        due_row = DueRow(job.schedule_id, job.user_id, job.kind, job.next_due, job.local_date, job.round, job.spec)
        verdict = checkins.verdict(due_row, user, busy, now, job.grace)
        if user is None:
            continue
        if verdict == "send":
            keys.append((user.id, job.kind, job.local_date, job.round))
        decided.append((job, user, verdict))
    fresh = await store.record_prompts(conn, keys, now)
    moves: list[tuple[str, Planned]] = []
    results: list[DueResult] = []
    for job, user, verdict in decided:
        if verdict == "wait":
            moves.append((job.schedule_id, Planned(now + checkins.RECHECK, job.local_date, job.round, job.spec)))
            continue
        if job.kind == DAILY:
            changed = checkins.clear_handled(user, job.local_date)
        else:
            changed = checkins.clear_letter(user) if job.kind == checkins.LETTER else False
        spec = spec_for(user, job.kind) or job.spec
        after = checkins.after_prompt(spec, job.local_date, now, timedelta(0) if verdict == "late" else job.grace)
        plan = Planned(after[0], after[1], 0, spec) if after else Planned(None, None, 0, spec)
        moves.append((job.schedule_id, plan))
        result = DueResult(user, [], changed)
        if verdict == "send" and (user.id, job.kind, job.local_date, job.round) in fresh:
            if job.kind == DAILY:
                result.daily = (job.local_date, job.round)
            else:
                result.messages = list(job.messages)
        if verdict in ("late", "inactive"):
            log.info("check-in %s skipped (%s)", job.kind, verdict)
        if result.messages or result.daily or changed:
            results.append(result)
    await store.move(conn, moves, now)
    return results


# --- the claiming side ----------------------------------------------------------------------------------------


class CheckinScheduler:
    """Claims due rows and hands them to the writer. One per process; any number of processes."""

    def __init__(
        self,
        writer: Writer,
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
            jobs = [await self._job(row, owner) for row in rows]
            outcomes = await asyncio.gather(*(self.writer.submit(j) for j in jobs), return_exceptions=True)
            failed = [o for o in outcomes if isinstance(o, BaseException)]
            if failed:
                # Their leases lapse and the rows come back: nothing is lost, nothing doubles.
                log.warning("%d check-in(s) not committed (%s); retried after the lease", len(failed),
                            type(failed[0]).__name__)  # fmt: skip
            self.claimed += len(rows)
            self.busy_seconds += loop.time() - started
            return len(rows)

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
        if row.kind == WEEKLY:
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


async def start_scheduler(phare: Phare, **overrides: Any) -> SchedulerHandle:
    """Start the check-in scheduler in this process (`phare run`, the console). `stop()` it before closing."""
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    settings = phare.settings
    options: dict[str, Any] = {
        "rate": settings.checkin_rate,
        "tick_seconds": settings.checkin_tick,
        "lease": settings.checkin_lease,
        "grace": settings.checkin_grace,
    }
    options.update(overrides)
    scheduler = CheckinScheduler(phare.writer, **options)
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
