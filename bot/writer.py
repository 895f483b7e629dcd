"""The writer: one place where messages become engine steps, stored state and queued replies.

Messages are processed in batches (the queue and its workers: bot/writer_queue.py): every message of a batch
is handled in memory, then the batch's changes (states, history, de-duplication marks and outgoing replies)
commit in one transaction. Group commit keeps durability cheap; per-user order holds because a batch handles a
user's messages in arrival order, and on PostgreSQL the users' rows are locked for the transaction, so neither
two processes nor the next batch of this one (read while the previous batch commits) interleave one user's steps.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import DBAPIError, IntegrityError

from bot import checkins, metrics
from bot.access import Access
from bot.chart_pool import ChartPool
from bot.checkin_jobs import Due, GroupDue, sync_schedules
from bot.core.conversation import Conversation
from bot.core.exercises import FORGET, ONBOARDING, SETTINGS
from bot.core.jobs import INTERACTIVE, SCHEDULED, Expire, Followup, MarkSent, Notice, Wake, private_chat
from bot.core.turn import Turn
from bot.messages import Delivery, Incoming, Outgoing
from bot.reads import Reads
from bot.retention import Retention, refused_mark
from bot.safety import SafetyCheck
from bot.user_cache import UserCache
from bot.writer_parts import Batch, CoreSettings, ScheduledWork
from bot.writer_queue import Job, Pending, WorkQueue
from dialogues.loader import Library
from dialogues.texts import Context
from storage.db import Database
from storage.groups import GroupStore
from storage.records import Changes, HistoryRecord, OutboxRecord, RunRecord, UserRecord, new_id, ordered_id
from storage.repo import ConflictError, Repository

log = logging.getLogger(__name__)
PROCESSED_KEEP = timedelta(days=7)
HEARTBEAT_DEAD = timedelta(seconds=60)  # a process silent this long is gone: its queued replies are adopted
__all__ = ["Expire", "MarkSent", "Wake", "Writer", "private_chat"]  # the jobs live in bot/core/jobs.py

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class Writer(WorkQueue, CoreSettings, ScheduledWork):
    """The writer: batches jobs, loads the records they concern, lets the conversation core decide, and commits
    each batch's changes (states, history, de-duplication marks, replies) in one transaction."""

    def __init__(
        self,
        db: Database,
        repo: Repository,
        library: Library,
        *,
        clock: Clock = utc_now,
        operator_contacts: Mapping[str, str] | None = None,
        retention_days: int | None = None,
        default_locale: str = "fr",
        safety: SafetyCheck | None = None,
        bot_username: str | None = None,
        access: Access | None = None,
        max_batch: int = 256,
    ) -> None:
        self.db = db
        self.repo = repo
        self.library = library
        self.core = Conversation(
            library, safety=safety, access=access, operator_contacts=operator_contacts,
            default_locale=default_locale, bot_username=bot_username,
        )  # fmt: skip
        self.charts = ChartPool(self.enqueue)  # /history's pictures, drawn in another process after the commit
        self.reads = Reads(repo, self.core.speaker, self.charts)
        self.group_store = GroupStore(repo.cipher)
        self.retention = Retention(retention_days)  # PHARE_RETENTION_DAYS; None: kept until /forget
        self.clock = clock
        self.max_batch = max_batch
        self.batches = 0  # committed so far: a figure for benchmarks and logs
        self.instance = new_id()  # names this process on the outbox rows it queues
        self._last_adoption = datetime.min.replace(tzinfo=UTC)
        # SQLite serves one process and this writer is its only writer, so what it committed last is the
        # truth: users and open runs are kept in memory between batches. With PostgreSQL other processes
        # write too, and every batch reads (and locks) afresh.
        self._cache: UserCache | None = UserCache() if db.is_sqlite else None
        # On PostgreSQL a second batch is read and decided while the first one's COMMIT waits for the disk
        # (bot/writer_queue.py); SQLite has one writer connection, so one batch at a time.
        self._init_queue(pipeline=2 if db.is_postgres else 1)

    async def context_for(self, platform: str, *, user_id: str | None = None, user_key: str | None = None) -> Context:
        """How to speak to this person in a transport's own notice (a user id or a platform key)."""
        user = None
        if user_id is not None or user_key is not None:
            async with self.db.begin() as conn:
                if user_id is not None:
                    user = await self.repo.user_by_id(conn, user_id)
                else:
                    assert user_key is not None
                    found = await self.repo.users_by_key(conn, [(platform, user_key)])
                    user = found.get((platform, user_key))
        speaker = self.core.speaker
        return speaker.ctx(user) if user is not None else speaker.default_ctx(self.core.default_locale)

    def render(self, key: str, ctx: Context) -> str:
        return self.library.text(key).render(ctx)

    # --- lifecycle ------------------------------------------------------------------------------------

    async def start(self) -> None:
        self._ensure_worker()

    async def stop(self) -> None:
        await self.charts.close()  # first: a chart finishing now would queue a job for a stopped writer
        await self._stop_workers()

    async def mark_sent(self, ids: tuple[str, ...], blocked: tuple[str, ...] = ()) -> None:
        await self.submit(MarkSent(ids, blocked))

    async def tick(self) -> None:
        """Continue runs whose pause is over and close runs untouched for 24 h; on PostgreSQL, keep this
        process's heartbeat and send the replies that a dead process left behind."""
        now = self.clock()
        orphans: list[Delivery] = []
        async with self.db.begin() as conn:
            due = await self.repo.due_runs(conn, now)
            stale = await self.repo.stale_runs(conn, now - timedelta(hours=24))
            await self.repo.prune_processed(conn, now - PROCESSED_KEEP)
            await self.retention.prune(conn, now)  # PHARE_RETENTION_DAYS (bot/retention.py)
            if self.db.is_postgres:
                await self.repo.heartbeat(conn, self.instance, utc_now())
                if utc_now() - self._last_adoption >= HEARTBEAT_DEAD:
                    self._last_adoption = utc_now()
                    await self.repo.forget_dead_processes(conn, utc_now() - 10 * HEARTBEAT_DEAD)
                    records = await self.repo.pending_outbox(conn, None, self.instance, utc_now() - HEARTBEAT_DEAD)
                    orphans = [self._delivery(r) for r in records if r.owner != self.instance]
        if orphans:
            await self._notify(orphans)
        jobs: list[Job] = [*(Wake(u, r) for u, r in due), *(Expire(u, r) for u, r in stale)]
        await asyncio.gather(*(self.submit(job) for job in jobs))

    async def next_wake(self) -> datetime | None:
        async with self.db.begin() as conn:
            return await self.repo.next_wake(conn)

    async def pending(self, platform: str) -> list[Delivery]:
        """Replies committed but not confirmed sent by a process that is gone (this one before a crash, or
        another one on PostgreSQL): the transport sends them again. A live process's rows are its own."""
        async with self.db.begin() as conn:
            if self.db.is_postgres:
                await self.repo.heartbeat(conn, self.instance, utc_now())
            records = await self.repo.pending_outbox(conn, platform, self.instance, utc_now() - HEARTBEAT_DEAD)
        return [self._delivery(r) for r in records]

    async def adopt(self, platform: str, *, mine_too: bool = False) -> list[Delivery]:
        """Replies for a platform whose connection this process alone holds (bot/ownership.py), queued by any
        other process, live or not: they only reach the platform through the holder."""
        async with self.db.begin() as conn:
            records = await self.repo.adopt_outbox(conn, platform, self.instance, mine_too=mine_too)
        return [self._delivery(r) for r in records]

    # --- the writer -----------------------------------------------------------------------------------

    async def _commit_batch(self, pending: list[Pending], before_commit: Callable[[], None]) -> list[Delivery]:
        """`before_commit` is called once the batch's writes are sent, before its COMMIT. A batch that fails before
        then is retried job by job before it is called, so no later batch overtakes the retries; one whose COMMIT
        itself fails (the connection lost) is retried beside the next batch, whose row locks still order them."""
        try:
            return await self._run([p.job for p in pending], before_commit)
        except (ConflictError, IntegrityError, DBAPIError) as exc:
            if self._cache is not None:
                self._cache.clear()  # records may have been changed in memory by the failed batch
            log.warning("batch of %d failed (%s); retrying one by one", len(pending), type(exc).__name__)
            metrics.ERRORS.labels("batch_conflict").inc()
        deliveries: list[Delivery] = []
        for item in pending:
            for attempt in range(3):
                try:
                    deliveries.extend(await self._run([item.job]))
                    break
                except (ConflictError, IntegrityError, DBAPIError) as exc:
                    log.warning("step failed (%s), attempt %d", type(exc).__name__, attempt + 1)
                    await asyncio.sleep(0.05 * (attempt + 1))
            else:
                metrics.ERRORS.labels("step_failed").inc()
                if isinstance(item.job, Due):
                    metrics.CHECKINS.labels("failed").inc()
                item.done.set_exception(RuntimeError("could not store this step"))
        return deliveries

    async def _run(self, jobs: list[Job], before_commit: Callable[[], None] | None = None) -> list[Delivery]:
        now = self.clock()
        batch = Batch(now=now)
        messages = [j for j in jobs if isinstance(j, Incoming)]
        notices = [j for j in jobs if isinstance(j, Notice)]
        by_id = [j for j in jobs if isinstance(j, Wake | Expire | Followup)]
        dues = [j for j in jobs if isinstance(j, Due)]
        sent = [i for j in jobs if isinstance(j, MarkSent) for i in j.ids]
        group_dues = [j for j in jobs if isinstance(j, GroupDue)]
        blocked = [u for j in jobs if isinstance(j, MarkSent) for u in j.blocked]
        cache = self._cache
        if sent and not blocked and self.db.is_postgres and all(isinstance(j, MarkSent) for j in jobs):
            # Only replies confirmed sent: one DELETE, atomic by itself, so no BEGIN and COMMIT round trips.
            async with self.db.single_statement() as conn:
                await self.repo.delete_outbox(conn, sent)
            return []
        marks: list[tuple[str, str]] = []
        async with self.db.begin() as conn:
            if messages or notices:
                keys = [(m.platform, m.user_key) for m in messages]
                keys += [(n.platform, n.user_key) for n in notices if n.user_key is not None]
                if cache is not None:
                    for key in keys:
                        cached = cache.users.get(key)
                        if cached is not None:
                            batch.users[cached.id] = cached
                            batch.by_key[key] = cached.id
                    keys = [k for k in keys if k not in batch.by_key]
                for key, user in (await self.repo.users_by_key(conn, keys, lock=True)).items():
                    batch.users[user.id] = user
                    batch.by_key[key] = user.id
                marks = [(m.platform, m.message_id) for m in messages] + [_mark(n) for n in notices]
                if not self.db.is_postgres:
                    for platform in {p for p, _ in marks}:
                        ids = [i for p, i in marks if p == platform]
                        batch.seen.update((platform, i) for i in await self.repo.seen(conn, platform, ids))
            for timer in by_id:
                if timer.user_id not in batch.users:
                    found = await self.repo.user_by_id(conn, timer.user_id)
                    if found is not None:
                        batch.users[found.id] = found
            if dues:
                await self._load_due_users(conn, dues, batch)
            wanted = list(batch.users)
            if cache is not None:
                batch.runs = {u: r for u in wanted if (r := cache.runs.get(u)) is not None}
                wanted = [u for u in wanted if u not in cache.runs]
            if self.db.is_postgres:  # both in one round trip, once every lock is held
                runs, seen = await self.repo.runs_and_seen(conn, wanted, marks)
                batch.runs.update(runs)
                batch.seen.update(seen)
            else:
                batch.runs.update(await self.repo.current_runs(conn, wanted))
            if messages or group_dues:
                await self._load_groups(conn, messages, group_dues, batch)
            for job in jobs:
                if isinstance(job, Incoming):
                    self._message(job, batch)
                elif isinstance(job, Wake | Expire):
                    self._timer(job, batch)
                elif isinstance(job, Notice):
                    self._notice(job, batch)
                elif isinstance(job, GroupDue):
                    await self._group_timer(conn, job, batch)
                elif isinstance(job, Followup) and (person := batch.users.get(job.user_id)) is not None:
                    turn = Turn(user=person, run=None, chat_key=job.chat_key, platform=job.platform)
                    turn.replies.extend(job.messages)
                    self._queue_replies(turn, batch, user_id=person.id)
            if dues:
                await self._scheduled(conn, dues, batch)
            batch.changes.outbox_sent.extend(sent)  # deleted with the batch's other writes
            for user_id in blocked:
                await self.repo.set_active(conn, user_id, False)
            charts = await self.reads.fill(conn, batch.deferred, batch.users, batch.runs, batch.changes, batch.now)
            await self.repo.flush(conn, batch.changes)
            if batch.groups:
                await self.group_store.flush(conn, batch.groups)
            changed = [*batch.changes.users_new.values(), *batch.changes.users_dirty.values()]
            await sync_schedules(conn, changed, now)  # check-in settings changed: their schedules follow
            if before_commit is not None:
                before_commit()  # only the COMMIT is left: the next batch may start (see _work)
        if cache is not None:
            cache.remember(batch.users, batch.runs, batch.changes.forgotten, blocked)
        for chart in charts:  # committed: now drawn in another process, then queued as a Followup
            self.charts.draw(chart)
        metrics.count_batch(
            messages=(p for p, i, _ in batch.changes.processed_new if not i.startswith("notice:")),
            started=batch.started, ended=batch.ended, safety=(kind for _, kind, _, _ in batch.changes.safety_new),
            checkins_due=len(dues), checkins_sent=batch.checkins_sent,
        )  # fmt: skip
        return [self._delivery(r) for r in batch.changes.outbox_new]

    def _delivery(self, record: OutboxRecord) -> Delivery:
        return Delivery(
            id=record.id,
            platform=record.platform,
            chat_key=record.chat_key,
            message=Outgoing.from_dict(record.payload),
            priority=record.priority,
            user_id=record.user_id,
        )

    # --- one message ------------------------------------------------------------------------------------

    def _message(self, msg: Incoming, batch: Batch) -> None:
        mark = (msg.platform, msg.message_id)
        if mark in batch.seen:
            return
        batch.seen.add(mark)
        batch.changes.processed_new.append((msg.platform, msg.message_id, batch.now))
        user_id = batch.by_key.get((msg.platform, msg.user_key))
        stored = batch.users.get(user_id) if user_id is not None else None
        run = batch.runs.get(stored.id) if stored is not None else None
        decision = self.core.message(msg, stored, run, batch.now, batch.views)
        if not self.access.admits(decision.user):  # refused: its mark goes after a day (bot/retention.py)
            batch.changes.processed_new[-1] = refused_mark(mark, batch.now, PROCESSED_KEEP)
        if decision.new_user:
            user = decision.user
            batch.users[user.id] = user
            batch.by_key[(msg.platform, msg.user_key)] = user.id
            batch.changes.users_new[user.id] = user
            stored = user
        elif decision.user_changed and stored is not None:
            batch.users[stored.id] = decision.user
            batch.changes.user(decision.user)
            stored = decision.user
        for turn in decision.turns:
            if turn.store and stored is not None:
                self._merge(turn, batch, stored, run)
            else:
                self._queue_replies(turn, batch, user_id=None)

    def _queue_replies(self, turn: Turn, batch: Batch, *, user_id: str | None) -> None:
        for reply in turn.replies:
            record = OutboxRecord(
                id=ordered_id(),
                user_id=user_id,
                platform=turn.platform,
                chat_key=turn.chat_key,
                priority=SCHEDULED if reply.scheduled else INTERACTIVE,
                payload=reply.to_dict(),
                created_at=batch.now,
                owner=self.instance,
            )
            batch.changes.outbox_new.append(record)
            if id(reply) in turn.deferred and user_id is not None:
                batch.deferred.append((record.id, turn.deferred[id(reply)], user_id))
        if turn.groups:
            batch.groups.merge(turn.groups)
        for other in turn.also:
            self._queue_replies(other, batch, user_id=None)

    def _notice(self, job: Notice, batch: Batch) -> None:
        mark = _mark(job)
        if mark in batch.seen:
            return  # queued once already
        batch.seen.add(mark)
        batch.changes.processed_new.append((*mark, batch.now))
        user_id = batch.by_key.get((job.platform, job.user_key)) if job.user_key is not None else None
        self._queue_replies(self.core.notice(job, batch.users.get(user_id or "")), batch, user_id=None)

    def _timer(self, job: Wake | Expire, batch: Batch) -> None:
        user = batch.users.get(job.user_id)
        run = batch.runs.get(job.user_id)
        if user is None or run is None:
            return
        turn = self.core.timer(job, user, run, batch.now)
        if turn is not None:
            self._merge(turn, batch, user, run)

    def _merge(self, turn: Turn, batch: Batch, before: UserRecord, run_before: RunRecord | None) -> None:
        changes = batch.changes
        user = turn.user
        if turn.forget:
            changes.forget(user.id)
            batch.users.pop(user.id, None)
            batch.by_key.pop((user.platform, user.external_id), None)
            batch.runs.pop(user.id, None)
        else:
            if user != before:
                batch.users[user.id] = user
                changes.user(user)
            for ended, outcome in turn.ended:
                record_history(changes, ended, outcome, user, batch.now)
                if ended.dialogue_id not in APP_DIALOGUES:
                    batch.ended.append((ended.dialogue_id, outcome))
            if turn.new_run and turn.run is not None and turn.run.dialogue_id not in APP_DIALOGUES:
                batch.started.append(turn.run.dialogue_id)
            if not turn.touches_run:
                pass  # a group message: the person's open run, if any, is left as it is
            elif turn.run is not None and turn.run.status != "ended":
                batch.runs[user.id] = turn.run
                if turn.new_run:
                    changes.runs_new[turn.run.id] = turn.run
                elif turn.run != run_before:
                    changes.run(turn.run)
            else:
                batch.runs.pop(user.id, None)
            for kind, country in turn.safety:
                changes.safety_new.append((user.id, kind, country, batch.now))
            changes.kept_new.extend(turn.kept)
        self._queue_replies(turn, batch, user_id=None if turn.forget else user.id)


APP_DIALOGUES = (ONBOARDING, SETTINGS, FORGET, checkins.SETTINGS_DIALOGUE)  # not exercises: no history, no metric


def _mark(notice: Notice) -> tuple[str, str]:
    """A notice's de-duplication mark, beside the processed messages' ids."""
    return (notice.platform, "notice:" + hashlib.sha256(notice.key.encode()).hexdigest()[:40])


def record_history(changes: Changes, run: RunRecord, outcome: str, user: UserRecord, now: datetime) -> None:
    """An ended run: closed in storage, and kept in the history when the user consented (the app's own dialogues
    are not exercises and leave no history)."""
    if run.id in changes.runs_new:
        del changes.runs_new[run.id]  # started and ended within this batch: never written as a run
    else:
        changes.run(replace(run, status="ended"))
    if not user.consented or run.dialogue_id in APP_DIALOGUES:
        return
    changes.history_new[run.id] = HistoryRecord(
        id=run.id,
        user_id=user.id,
        dialogue_id=run.dialogue_id,
        started_at=run.started_at,
        ended_at=now,
        outcome=outcome,
        measures=dict(run.state.get("measures", {})),
        notes=dict(run.state.get("notes", {})),
    )
