"""The router: one place where messages become engine steps, stored state and queued replies.

Messages are processed by a single writer task in batches: every message of a batch is handled in memory,
then the batch's changes (states, history, de-duplication marks and outgoing replies) commit in one
transaction. Group commit keeps durability cheap; per-user order holds because a batch handles a user's
messages in arrival order, and on PostgreSQL the users' rows are locked for the transaction, so two
processes never interleave one user's steps.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import cast

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from bot import actions, checkins
from bot.access import Access
from bot.care.identifiers import identifying_details
from bot.care.taxonomy import Level
from bot.commands import Command, parse_command
from bot.messages import Attachment, Button, Delivery, Incoming, Outgoing
from bot.safety import SafetyCheck, SafetyVerdict
from bot.scheduler import Due, handle_due, sync_schedules
from dialogues.engine import Engine
from dialogues.loader import Library
from dialogues.results import Action, Collect, End, Input, Offer, RecordMeasure, Result, SaveNote, Say, SetProfile, Wait
from dialogues.state import RunState
from dialogues.texts import Address, Context, Locale
from storage.db import Database
from storage.records import Changes, HistoryRecord, KeptNote, OutboxRecord, RunRecord, UserRecord, new_id, ordered_id
from storage.repo import ConflictError, Repository

log = logging.getLogger(__name__)
NOTICE_VERSION = 1  # bump when the onboarding notice changes: consent is recorded against it
INTERACTIVE, SCHEDULED = 0, 1
ONBOARDING, SETTINGS, FORGET = "onboarding", "settings", "forget"
START_PREFIX = "start:"
ACTION_PREFIX = "do:"
DEFERRED = frozenset({"history", "export", "supervision_notes", "letters", "clear_supervision"})
CHECK_ME, CHECK_NOT_ME = "safety_me", "safety_not_me"  # the two answers to "is this about you?"
CHECK_PENDING = "safety_check"  # in the user's settings while the question waits for its answer
SAFE = SafetyVerdict()
PROCESSED_KEEP = timedelta(days=7)
HEARTBEAT_DEAD = timedelta(seconds=60)  # a process silent this long is gone: its queued replies are adopted

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Wake:
    user_id: str
    run_id: str


@dataclass(frozen=True)
class Expire:
    user_id: str
    run_id: str


@dataclass(frozen=True)
class MarkSent:
    """Replies the platform confirmed (deleted from the outbox) and users who blocked the bot."""

    ids: tuple[str, ...]
    blocked: tuple[str, ...] = ()


Job = Incoming | Wake | Expire | MarkSent | Due  # Due: a check-in claimed by bot/scheduler.py


@dataclass
class _Pending:
    job: Job
    done: asyncio.Future[None]


@dataclass
class _Cache:
    users: dict[tuple[str, str], UserRecord] = field(default_factory=dict)
    runs: dict[str, RunRecord | None] = field(default_factory=dict)  # None: known to have no open run
    limit: int = 50_000

    def remember(
        self,
        users: dict[str, UserRecord],
        runs: dict[str, RunRecord],
        forgotten: set[str],
        blocked: list[str],
    ) -> None:
        if len(self.users) > self.limit:
            self.clear()  # crude bound on memory; a miss only costs one read
        if forgotten:
            for key in [k for k, u in self.users.items() if u.id in forgotten]:
                del self.users[key]
            for user_id in forgotten:
                self.runs.pop(user_id, None)
        for user in users.values():
            if user.id in forgotten:
                continue
            self.users[(user.platform, user.external_id)] = user
            self.runs[user.id] = runs.get(user.id)
        if blocked:  # rare: scan the cache only when someone blocked Phare in this batch
            for user in self.users.values():
                if user.id in blocked:
                    user.active = False

    def clear(self) -> None:
        self.users.clear()
        self.runs.clear()


@dataclass
class _Batch:
    now: datetime
    deferred: list[tuple[str, str, str]] = field(default_factory=list)  # outbox id, what, user id
    users: dict[str, UserRecord] = field(default_factory=dict)
    by_key: dict[tuple[str, str], str] = field(default_factory=dict)
    runs: dict[str, RunRecord] = field(default_factory=dict)
    seen: set[tuple[str, str]] = field(default_factory=set)
    changes: Changes = field(default_factory=Changes)
    exports: dict[str, list[HistoryRecord]] = field(default_factory=dict)


@dataclass
class _Turn:
    """One message's work on copies, merged into the batch only if it completes."""

    user: UserRecord
    run: RunRecord | None
    chat_key: str
    platform: str
    replies: list[Outgoing] = field(default_factory=list)
    ended: list[tuple[RunRecord, str]] = field(default_factory=list)
    new_run: bool = False
    forget: bool = False
    safety: list[tuple[str, str | None]] = field(default_factory=list)
    kept: list[KeptNote] = field(default_factory=list)
    deferred: dict[int, str] = field(default_factory=dict)  # id(reply) -> what it needs from storage


_YES = frozenset({"oui", "yes", "c'est moi", "c’est moi", "moi", "oui c'est moi", "yes it's me", "me", "y", "o"})
_NO = frozenset({"non", "no", "n", "pas moi", "not me", "non merci", "no thanks"})


def private_chat(user_key: str) -> str:
    """A chat key meaning "this person's private chat": each transport knows how to reach it."""
    return f"@user:{user_key}"


def _locale(value: str | None, default: str) -> Locale:
    if value is None:
        return cast(Locale, default)
    return "fr" if value.lower().startswith("fr") else "en"


class Router:
    def __init__(
        self,
        db: Database,
        repo: Repository,
        library: Library,
        *,
        clock: Clock = utc_now,
        operator_contact: str = "",
        default_locale: str = "fr",
        safety: SafetyCheck | None = None,
        bot_username: str | None = None,
        access: Access | None = None,
        max_batch: int = 256,
    ) -> None:
        self.db = db
        self.repo = repo
        self.library = library
        self.engine = Engine(library)
        self.clock = clock
        self.operator_contact = operator_contact
        self.default_locale = default_locale
        self.safety = safety
        self.bot_username = bot_username
        self.access = access or Access()
        self.max_batch = max_batch
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue()
        self.batches = 0  # committed so far: a figure for benchmarks and logs
        self.instance = new_id()  # names this process on the outbox rows it queues
        self._last_adoption = datetime.min.replace(tzinfo=UTC)
        # SQLite serves one process and this router is its only writer, so what it committed last is the
        # truth: users and open runs are kept in memory between batches. With PostgreSQL other processes
        # write too, and every batch reads (and locks) afresh.
        self._cache: _Cache | None = _Cache() if db.is_sqlite else None
        self._worker: asyncio.Task[None] | None = None
        self._listeners: list[Callable[[list[Delivery]], Awaitable[None] | None]] = []

    # --- lifecycle ------------------------------------------------------------------------------------

    def on_commit(self, listener: Callable[[list[Delivery]], Awaitable[None] | None]) -> None:
        """Called with the replies a batch queued, right after its commit, for the transports to send."""
        self._listeners.append(listener)

    async def start(self) -> None:
        self._ensure_worker()

    def _ensure_worker(self) -> None:
        if self._worker is None:
            self._worker = asyncio.create_task(self._work(), name="phare-router")

    async def stop(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
            self._worker = None

    async def mark_sent(self, ids: tuple[str, ...], blocked: tuple[str, ...] = ()) -> None:
        await self.submit(MarkSent(ids, blocked))

    async def submit(self, job: Job) -> None:
        """Queue a message (or a wake-up) and return once its step is committed."""
        await self.enqueue(job)

    def enqueue(self, job: Job) -> asyncio.Future[None]:
        """Queue a job now; the future is done once its step is committed.

        Jobs are committed in the order they were queued, so a transport that queues a person's messages in
        the order it received them needs no chaining of its own."""
        self._ensure_worker()
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Pending(job, done))
        return done

    async def tick(self) -> None:
        """Continue runs whose pause is over and close runs untouched for 24 h; on PostgreSQL, keep this
        process's heartbeat and send the replies that a dead process left behind."""
        now = self.clock()
        orphans: list[Delivery] = []
        async with self.db.begin() as conn:
            due = await self.repo.due_runs(conn, now)
            stale = await self.repo.stale_runs(conn, now - timedelta(hours=24))
            await self.repo.prune_processed(conn, now - PROCESSED_KEEP)
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

    # --- the writer -----------------------------------------------------------------------------------

    async def _work(self) -> None:
        while True:
            first = await self._queue.get()
            pending = [first]
            # Linger for two loop turns: the senders whose steps just committed get to queue their next
            # message, so batches grow under load (group commit) at no cost when idle.
            for _ in range(2):
                while len(pending) < self.max_batch and not self._queue.empty():
                    pending.append(self._queue.get_nowait())
                if len(pending) >= self.max_batch:
                    break
                await asyncio.sleep(0)
            self.batches += 1
            deliveries = await self._commit_batch(pending)
            for item in pending:
                if not item.done.done():
                    item.done.set_result(None)
            if deliveries:
                await self._notify(deliveries)

    async def _notify(self, deliveries: list[Delivery]) -> None:
        for listener in self._listeners:
            outcome = listener(deliveries)
            if outcome is not None:
                await outcome

    async def _commit_batch(self, pending: list[_Pending]) -> list[Delivery]:
        try:
            return await self._run([p.job for p in pending])
        except (ConflictError, IntegrityError, DBAPIError) as exc:
            if self._cache is not None:
                self._cache.clear()  # records may have been changed in memory by the failed batch
            log.warning("batch of %d failed (%s); retrying one by one", len(pending), type(exc).__name__)
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
                item.done.set_exception(RuntimeError("could not store this step"))
        return deliveries

    async def _run(self, jobs: list[Job]) -> list[Delivery]:
        now = self.clock()
        batch = _Batch(now=now)
        messages = [j for j in jobs if isinstance(j, Incoming)]
        by_id = [j for j in jobs if isinstance(j, Wake | Expire)]
        dues = [j for j in jobs if isinstance(j, Due)]
        sent = [i for j in jobs if isinstance(j, MarkSent) for i in j.ids]
        blocked = [u for j in jobs if isinstance(j, MarkSent) for u in j.blocked]
        cache = self._cache
        async with self.db.begin() as conn:
            if messages:
                keys = [(m.platform, m.user_key) for m in messages]
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
                for platform in {m.platform for m in messages}:
                    ids = [m.message_id for m in messages if m.platform == platform]
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
            batch.runs.update(await self.repo.current_runs(conn, wanted))
            for job in jobs:
                if isinstance(job, Incoming):
                    self._message(job, batch)
                elif isinstance(job, Wake | Expire):
                    self._timer(job, batch)
            if dues:
                await self._scheduled(conn, dues, batch)
            if sent:
                await self.repo.delete_outbox(conn, sent)
            for user_id in blocked:
                await self.repo.set_active(conn, user_id, False)
            await self._fill_deferred(conn, batch)
            await self.repo.flush(conn, batch.changes)
            changed = [*batch.changes.users_new.values(), *batch.changes.users_dirty.values()]
            await sync_schedules(conn, changed, now)  # check-in settings changed: their schedules follow
        if cache is not None:
            cache.remember(batch.users, batch.runs, batch.changes.forgotten, blocked)
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

    def _message(self, msg: Incoming, batch: _Batch) -> None:
        mark = (msg.platform, msg.message_id)
        if mark in batch.seen:
            return
        batch.seen.add(mark)
        batch.changes.processed_new.append((msg.platform, msg.message_id, batch.now))
        user_id = batch.by_key.get((msg.platform, msg.user_key))
        known = user_id is not None and user_id in batch.users
        if known:
            assert user_id is not None
            user = batch.users[user_id]
        else:
            user = UserRecord(
                id=new_id(),
                platform=msg.platform,
                external_id=msg.user_key,
                locale=_locale(msg.locale, self.default_locale),
                address="vous",
                created_at=batch.now,
            )
        if not self.access.admits(user):
            if not self._invited(msg, user):
                # Not admitted on this instance: a kind answer, nothing stored (crisis resources all the same).
                refused = _Turn(user=user, run=None, chat_key=msg.chat_key, platform=msg.platform)
                verdict = self._verdict(msg)
                if verdict.shows_lines:
                    # No question to someone who cannot answer here: the lines, at least at the crisis level.
                    refused.replies.append(self._resources(user, "urgent" if verdict.level == "urgent" else "crisis"))
                elif msg.private:
                    refused.replies.append(self._text("access_denied", user))
                self._queue_replies(refused, batch, user_id=None)
                return
            if known:
                batch.changes.user(user)
        if not known:
            if not msg.private:
                # Someone in a group who never wrote to Phare in private: answer, but store nothing.
                self._group(msg, _Turn(user=user, run=None, chat_key=msg.chat_key, platform=msg.platform),
                            batch, transient=True)  # fmt: skip
                return
            batch.users[user.id] = user
            batch.by_key[(msg.platform, msg.user_key)] = user.id
            batch.changes.users_new[user.id] = user
        run = batch.runs.get(user.id)
        if not msg.private:
            self._group(msg, _Turn(user=user, run=run, chat_key=msg.chat_key, platform=msg.platform), batch)
            return
        turn = _Turn(user=user.clone(), run=run.clone() if run else None, chat_key=msg.chat_key, platform=msg.platform)
        try:
            self._route(msg, turn, batch.now)
        except Exception as exc:  # noqa: BLE001 — any failure gets a kind reply, the batch goes on
            self._log_failure(exc)
            turn = _Turn(user=user, run=run, chat_key=msg.chat_key, platform=msg.platform)
            turn.replies.append(self._text("error", turn.user))
        self._merge(turn, batch, user, run)

    def _invited(self, msg: Incoming, user: UserRecord) -> bool:
        """`/start CODE` with a valid invite code admits a new user for good."""
        command = parse_command(msg.text, self.bot_username) if msg.text and msg.private else None
        if command is None or command.name != "start" or command.payload not in self.access.invite_codes:
            return False
        user.settings = {**user.settings, "invited": True}
        return True

    def _group(self, msg: Incoming, turn: _Turn, batch: _Batch, *, transient: bool = False) -> None:
        """In a group, nothing personal is ever posted: crisis resources go to the person in private (with a
        discreet fallback in the group for someone Phare cannot write to), personal commands are redirected to
        a private chat, and ordinary chatter gets no answer. An edit is read by the safety check only."""
        user = turn.user
        private = _Turn(user=user, run=None, chat_key=private_chat(msg.user_key), platform=msg.platform)
        verdict = self._verdict(msg)
        if verdict.shows_lines:
            level: Level = verdict.level or "crisis"
            reply = self._resources(user, level)
            if level == "check":
                reply = replace(reply, buttons=self._check_buttons(user))
                user.settings = {**user.settings, CHECK_PENDING: {"held": False}}
                if not transient:
                    batch.changes.user(user)
            button = Button("private", self._render("open_private", user), "private:")
            fallback = Outgoing(self._group_lines(user), (button,), safety=level)
            private.replies.append(replace(reply, fallback_chat=msg.chat_key, fallback=fallback))
            if not transient:
                batch.changes.safety_new.append((user.id, f"{level}_shown_private", user.country, batch.now))
            self._queue_replies(private, batch, user_id=None if transient else user.id)
            return
        command = parse_command(msg.text, self.bot_username) if msg.text and not msg.edited else None
        if command is None:
            return
        if command.name in ("help", "about") or (command.name == "start" and not command.payload):
            turn.replies.append(self._text("group_help" if command.name != "about" else "about", user))
        else:
            payload = command.name if command.name in self.library.dialogues else ""
            button = Button("private", self._render("open_private", user), f"private:{payload}")
            turn.replies.append(Outgoing(self._render("group_redirect", user), (button,)))
        self._queue_replies(turn, batch, user_id=None if transient else user.id)

    def _queue_replies(self, turn: _Turn, batch: _Batch, *, user_id: str | None) -> None:
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

    def _timer(self, job: Wake | Expire, batch: _Batch) -> None:
        user = batch.users.get(job.user_id)
        run = batch.runs.get(job.user_id)
        if user is None or run is None or run.id != job.run_id:
            return
        turn = _Turn(user=user.clone(), run=run.clone(), chat_key=run.chat_key, platform=user.platform)
        try:
            state = RunState.from_dict(run.state["engine"])
            if isinstance(job, Wake):
                self._apply(turn, self.engine.wake(state, self._run_ctx(turn), batch.now), batch.now)
            elif batch.now - run.updated_at >= timedelta(hours=24):
                self._apply(turn, self.engine.expire(state, self._run_ctx(turn)), batch.now)
        except Exception as exc:  # noqa: BLE001
            self._log_failure(exc)
            return
        self._merge(turn, batch, user, run)

    # --- check-ins (bot/checkins.py, bot/scheduler.py) ----------------------------------------------------

    async def _load_due_users(self, conn: AsyncConnection, dues: list[Due], batch: _Batch) -> None:
        from storage.schedules import users_by_id

        missing = [d.user_id for d in dues if d.user_id not in batch.users]
        for user in await users_by_id(conn, missing, lock=True):
            batch.users[user.id] = user

    async def _scheduled(self, conn: AsyncConnection, dues: list[Due], batch: _Batch) -> None:
        """Due check-ins: in this batch's transaction, record each prompt's key, queue it, move its schedule."""
        results = await handle_due(conn, dues, batch.users, batch.runs, batch.now, batch.changes.forgotten)
        for result in results:
            user = result.user
            if result.settings_changed:
                batch.users[user.id] = user
                batch.changes.user(user)
            messages = list(result.messages)
            if result.daily is not None:
                day, round_ = result.daily
                messages.append(checkins.daily_prompt(self.library, self._ctx(user), day, round_))
            if messages:
                turn = _Turn(user=user, run=None, chat_key=private_chat(user.external_id), platform=user.platform)
                turn.replies.extend(messages)
                self._queue_replies(turn, batch, user_id=user.id)

    def _checkin_button(self, action: str, ref: str | None, turn: _Turn, now: datetime) -> None:
        if action == "checkin_start":  # "yes" on a prompt: the check-in itself (unlisted, so not a start: button)
            self._start(checkins.PROMPT_DIALOGUE, turn, now)
            return
        reply = checkins.on_button(turn.user, action, ref, now)
        turn.replies.append(self._text(reply.key, turn.user, **reply.values))

    def _checkin_action(self, name: str, turn: _Turn, now: datetime) -> None:
        user = turn.user
        if name == "checkin_reflection":
            turn.replies.append(self._text(checkins.reflection_for(user, now), user))
            return
        status = Outgoing(checkins.status_text(self.library, self._ctx(user), user))
        # Shown before the question that follows (when called from /settings), so its buttons stay last.
        at = next((i for i in range(len(turn.replies) - 1, -1, -1) if turn.replies[i].buttons), len(turn.replies))
        turn.replies.insert(at, status)

    def _merge(self, turn: _Turn, batch: _Batch, before: UserRecord, run_before: RunRecord | None) -> None:
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
                self._record_history(ended, outcome, user, batch)
            if turn.run is not None and turn.run.status != "ended":
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

    def _record_history(self, run: RunRecord, outcome: str, user: UserRecord, batch: _Batch) -> None:
        changes = batch.changes
        if run.id in changes.runs_new:
            del changes.runs_new[run.id]  # started and ended within this batch: never written as a run
        else:
            changes.run(replace(run, status="ended"))
        if not user.consented or run.dialogue_id in (ONBOARDING, SETTINGS, FORGET, checkins.SETTINGS_DIALOGUE):
            return
        changes.history_new[run.id] = HistoryRecord(
            id=run.id,
            user_id=user.id,
            dialogue_id=run.dialogue_id,
            started_at=run.started_at,
            ended_at=batch.now,
            outcome=outcome,
            measures=dict(run.state.get("measures", {})),
            notes=dict(run.state.get("notes", {})),
        )

    # --- routing ---------------------------------------------------------------------------------------

    def _route(self, msg: Incoming, turn: _Turn, now: datetime) -> None:
        user = turn.user
        if not user.active:
            user.active = True  # they write again after blocking Phare: deliveries may resume
        if turn.run is not None and now - turn.run.updated_at >= timedelta(hours=24):
            state = RunState.from_dict(turn.run.state["engine"])
            self._apply(turn, self.engine.expire(state, self._run_ctx(turn)), now)
            turn.replies.append(self._text("expired_notice", user))
        verdict = self._verdict(msg)
        if msg.edited:
            # An edit is never an answer (the step it answered has moved on), but what it says is read.
            if verdict.shows_lines:
                self._safety(verdict, turn, now, held=None)
            else:
                turn.replies.append(self._text("edit_not_an_answer", user))
            return
        pending = user.settings.get(CHECK_PENDING)
        if pending is not None:
            user.settings = {k: v for k, v in user.settings.items() if k != CHECK_PENDING}
            answer = self._check_answer_of(msg)
            if answer is not None and not verdict.takeover:
                self._answer_check(answer, turn, now)
                return
            if turn.run is not None and "safety_held" in turn.run.state:
                # They wrote on instead of answering: this message is the one that counts now.
                turn.run = replace(turn.run, state={k: v for k, v in turn.run.state.items() if k != "safety_held"})
        if verdict.shows_lines:
            step_takes_text = turn.run is not None and turn.run.status == "active" and msg.kind == "text"
            self._safety(verdict, turn, now, held=msg.text if step_takes_text and msg.option is None else None)
            return
        command = parse_command(msg.text, self.bot_username) if msg.text else None
        if command is not None:
            self._command(command, msg, turn, now)
            return
        if msg.option is not None and msg.option.startswith(START_PREFIX):
            target = msg.option[len(START_PREFIX) :]
            if target in self._startable():  # button data is not trusted: only listed exercises start
                self._start(target, turn, now)
            else:
                turn.replies.append(self._text("unknown_command", user))
            return
        if msg.option is not None and msg.option.startswith(ACTION_PREFIX):
            action = msg.option[len(ACTION_PREFIX) :]
            if action == "keep_text":
                self._keep_held_text(turn, now)
                return
            if action in (CHECK_ME, CHECK_NOT_ME):
                turn.replies.append(self._text("check_expired", user))  # a tap on an answered question
                return
            if action in DEFERRED:
                self._action(action, turn, now)
                return
            if action in checkins.BUTTONS:
                self._checkin_button(action, msg.ref, turn, now)
                return
        if turn.run is None:
            if not user.onboarded:
                self._start(ONBOARDING, turn, now)
            elif msg.kind not in ("text", "option"):
                turn.replies.append(self._text("non_text_idle", user))
            else:
                turn.replies.append(self._menu(user))
            return
        state = RunState.from_dict(turn.run.state["engine"])
        ctx = self._run_ctx(turn)
        if turn.run.status == "paused":
            turn.replies.append(self._text("paused_hint", user))
            return
        if msg.kind not in ("text", "option"):
            self._apply(turn, self.engine.handle(state, Input(), ctx, now), now)
            return
        step = self.engine.step_of(state)
        typed = msg.text or ""
        if step is not None and step.kind == "text" and not typed.startswith("/") and identifying_details(typed):
            self._hold(turn, typed)
            return
        seq = None
        if msg.option is not None:
            seq = self._seq_from_ref(msg.ref, turn.run)
            if seq is None:
                seq = -1  # forged or from another run: the engine treats it as a stale button
        self._apply(turn, self.engine.handle(state, Input(msg.text, msg.option, seq), ctx, now), now)

    def _hold(self, turn: _Turn, text: str) -> None:
        """Text that may identify a patient is held back (in the encrypted run state) until the user
        rephrases it or chooses to keep it."""
        assert turn.run is not None
        turn.run = replace(turn.run, state={**turn.run.state, "held_text": text})
        keep = Button(ACTION_PREFIX + "keep_text", self._render("keep_as_written", turn.user), "app")
        turn.replies.append(Outgoing(self._render("identifier_warning", turn.user), (keep,)))

    def _keep_held_text(self, turn: _Turn, now: datetime) -> None:
        if turn.run is None or not turn.run.state.get("held_text"):
            turn.replies.append(self._text("nothing_held", turn.user))
            return
        text = str(turn.run.state["held_text"])
        state = RunState.from_dict(turn.run.state["engine"])
        result = self.engine.handle(state, Input(text=text), self._run_ctx(turn), now)
        self._apply(turn, result, now)

    def _command(self, command: Command, msg: Incoming, turn: _Turn, now: datetime) -> None:
        user = turn.user
        name = command.name
        if not user.onboarded and name not in ("start", "help", "about", "cancel"):
            self._start(ONBOARDING, turn, now)
            return
        if name == "start":
            target = "" if command.payload in self.access.invite_codes else command.payload.lower()
            if not user.onboarded:
                if target in self.library.dialogues:
                    user.settings = {**user.settings, "after_onboarding": target}
                self._start(ONBOARDING, turn, now)
            elif target and target in self._startable():
                self._start(target, turn, now)
            elif turn.run is not None and turn.run.status == "active":
                turn.replies.append(self._text("welcome_back", user))
                state = RunState.from_dict(turn.run.state["engine"])
                for say in self.engine.current_prompt(state, self._run_ctx(turn)):
                    turn.replies.append(self._outgoing(say, turn.run))
            else:
                turn.replies.append(self._text("welcome_back", user))
                turn.replies.append(self._menu(user))
        elif name == "help":
            if turn.run is not None and turn.run.status == "active":
                state = RunState.from_dict(turn.run.state["engine"])
                self._apply(turn, self.engine.help(state, self._run_ctx(turn)), now)
            else:
                turn.replies.append(self._text("help_general", user))
        elif name == "cancel":
            if turn.run is None:
                turn.replies.append(self._text("nothing_to_cancel", user))
            else:
                state = RunState.from_dict(turn.run.state["engine"])
                self._apply(turn, self.engine.cancel(state, self._run_ctx(turn)), now)
        elif name == "resume":
            if turn.run is None or turn.run.status != "paused":
                turn.replies.append(self._text("nothing_to_resume", user))
            else:
                state = RunState.from_dict(turn.run.state["engine"])
                self._apply(turn, self.engine.resume(state, self._run_ctx(turn), now), now)
        elif name == "exercises":
            turn.replies.append(self._exercises(user))
        elif name in ("history", "export", "supervision_notes", "letters"):
            self._action(name, turn, now)
        elif name == "forget":
            self._start(FORGET, turn, now)
        elif name == "settings":
            self._start(SETTINGS, turn, now)
        elif name == "checkin":
            self._start(checkins.SETTINGS_DIALOGUE, turn, now)
        elif name == "about":
            turn.replies.append(self._text("about", user))
        elif name in self._startable():
            self._start(name, turn, now)
        else:
            turn.replies.append(self._text("unknown_command", user))

    def _startable(self) -> set[str]:
        return {d.id for d in self.library.listed()}

    def _start(self, dialogue_id: str, turn: _Turn, now: datetime) -> None:
        if dialogue_id not in self.library.dialogues:
            turn.replies.append(self._text("unknown_command", turn.user))
            return
        if turn.run is not None:
            state = RunState.from_dict(turn.run.state["engine"])
            old_title = self.library.get(turn.run.dialogue_id).title.render(self._ctx(turn.user))
            turn.ended.append((turn.run, "incomplete"))
            if state.status != "ended":
                turn.replies.append(self._text("replaced_run", turn.user, title=old_title))
            turn.run = None
        result = self.engine.start(dialogue_id, self._ctx(turn.user, dialogue_id), now)
        turn.run = RunRecord(
            id=new_id(),
            user_id=turn.user.id,
            dialogue_id=dialogue_id,
            status="active",
            state={"engine": result.state.to_dict(), "measures": {}, "notes": {}},
            version=0,
            chat_key=turn.chat_key,
            started_at=now,
            updated_at=now,
        )
        turn.new_run = True
        self._apply(turn, result, now)

    # --- applying an engine result ---------------------------------------------------------------------

    def _apply(self, turn: _Turn, result: Result, now: datetime) -> None:
        run = turn.run
        assert run is not None
        for say in result.replies:
            turn.replies.append(self._outgoing(say, run))
        measures = dict(run.state.get("measures", {}))
        notes = dict(run.state.get("notes", {}))
        end: End | None = None
        offers: tuple[str, ...] = ()
        actions_: list[str] = []
        wake_at = run.wake_at
        for effect in result.effects:
            if isinstance(effect, RecordMeasure):
                measures[effect.name] = effect.value
            elif isinstance(effect, SaveNote):
                notes[effect.key] = effect.text
            elif isinstance(effect, Collect):
                if turn.user.consented:
                    turn.kept.append(KeptNote(new_id(), turn.user.id, effect.collection, effect.text, now))
            elif isinstance(effect, SetProfile):
                self._set_profile(turn.user, effect, now)
            elif isinstance(effect, Wait):
                wake_at = effect.until
            elif isinstance(effect, Action):
                actions_.append(effect.name)
            elif isinstance(effect, Offer):
                offers = effect.dialogue_ids
            elif isinstance(effect, End):
                end = effect
        status = "ended" if result.state.status == "ended" else result.state.status
        turn.run = replace(
            run,
            state={"engine": result.state.to_dict(), "measures": measures, "notes": notes}
            | ({"held_text": run.state["held_text"]} if "held_text" in run.state and not result.accepted else {}),
            status=status,
            wake_at=result.state.wake_at if wake_at is not None and result.state.wake_at else None,
            updated_at=now if result.accepted or turn.new_run else run.updated_at,
        )
        if end is not None:
            turn.ended.append((turn.run, end.outcome))
            finished = turn.run
            turn.run = None
            if turn.user.consented and measures and end.outcome == "completed":
                last = {**turn.user.settings.get("last", {}), finished.dialogue_id: measures}
                turn.user.settings = {**turn.user.settings, "last": last}
            if finished.dialogue_id == ONBOARDING and end.outcome == "completed":
                turn.user.onboarded = True
        for name in actions_:
            self._action(name, turn, now)
        if offers:
            self._offer(turn, offers)
        if end is not None and turn.run is None and not turn.forget:
            follow = turn.user.settings.get("after_onboarding")
            if follow and turn.user.onboarded:
                turn.user.settings = {k: v for k, v in turn.user.settings.items() if k != "after_onboarding"}
                if follow in self._startable():
                    self._start(str(follow), turn, now)

    @staticmethod
    def _outgoing(say: Say, run: RunRecord) -> Outgoing:
        ref = f"{run.id[:8]}.{say.seq}"
        buttons = tuple(Button(c.id, c.label, ref) for c in say.options)
        return Outgoing(say.text, buttons, say.scale, ref if say.scale else "")

    def _set_profile(self, user: UserRecord, effect: SetProfile, now: datetime) -> None:
        if effect.key == "language" and effect.value in ("fr", "en"):
            user.locale = effect.value
        elif effect.key == "address" and effect.value in ("vous", "tu"):
            user.address = effect.value
        elif effect.key == "country":
            # "Another country" is a fact worth keeping: it gets the international lines, not France's.
            user.country = None if effect.value in ("", "None") else effect.value.upper()
        elif effect.key in checkins.CHECKIN_KEYS:
            checkins.apply_setting(user, effect.key, effect.value, now)
        elif effect.key == "consent":
            if effect.value == "yes":
                user.consent_version, user.consent_at = NOTICE_VERSION, now
            else:
                user.consent_version, user.consent_at = None, None

    def _action(self, name: str, turn: _Turn, now: datetime) -> None:
        user = turn.user
        if name == "forget":
            turn.forget = True
            turn.run = None
            turn.ended.clear()
            turn.replies.append(self._text("forget_done", user))
        elif name in DEFERRED:
            # These read what is stored: filled in within the same transaction, after the batch's messages.
            placeholder = Outgoing(text="…")
            turn.deferred[id(placeholder)] = name
            turn.replies.append(placeholder)
        elif name == "exercises":
            turn.replies.append(self._exercises(user))
        elif name in ("checkin_reflection", "checkin_status"):
            self._checkin_action(name, turn, now)

    def _offer(self, turn: _Turn, dialogue_ids: tuple[str, ...]) -> None:
        ctx = self._ctx(turn.user)
        buttons = tuple(
            Button(START_PREFIX + d, self.library.get(d).title.render(ctx), "offer")
            for d in dialogue_ids
            if d in self.library.dialogues
        )
        turn.replies.append(Outgoing(self._render("offer", turn.user), buttons))

    async def _fill_deferred(self, conn: AsyncConnection, batch: _Batch) -> None:
        """Write the replies that read storage (/history, /export, private lists), in the batch's transaction,
        after its messages, so they see this batch's own changes too."""
        if not batch.deferred:
            return
        outbox = batch.changes.outbox_new
        position = {record.id: index for index, record in enumerate(outbox)}
        expanded: dict[int, list[OutboxRecord]] = {}
        for record_id, name, user_id in batch.deferred:
            user = batch.users.get(user_id)
            index = position[record_id]
            record = outbox[index]
            if user is None or user_id in batch.changes.forgotten:
                expanded[index] = []
                continue
            messages = await self._deferred_messages(conn, batch, name, user)
            expanded[index] = [replace(record, id=ordered_id(), payload=m.to_dict()) for m in messages]
        rebuilt: list[OutboxRecord] = []
        for index, record in enumerate(outbox):
            rebuilt.extend(expanded.get(index, [record]))
        # New ids sort after the old ones: hand them out again in list order so each chat's order holds.
        ids = sorted(r.id for r in rebuilt)
        batch.changes.outbox_new = [replace(r, id=i) for r, i in zip(rebuilt, ids, strict=True)]

    async def _deferred_messages(
        self, conn: AsyncConnection, batch: _Batch, name: str, user: UserRecord
    ) -> list[Outgoing]:
        ctx = self._ctx(user)
        if name in ("supervision_notes", "letters", "clear_supervision"):
            collection = "letters" if name == "letters" else "supervision"
            if name == "clear_supervision":
                await self.repo.clear_kept(conn, user.id, collection)
                batch.changes.kept_new = [
                    k for k in batch.changes.kept_new if not (k.user_id == user.id and k.collection == collection)
                ]
                return [self._text("supervision_cleared", user)]
            kept = await self.repo.kept_of(conn, user.id, collection)
            kept += [k for k in batch.changes.kept_new if k.user_id == user.id and k.collection == collection]
            if not user.consented:
                return [self._text("history_no_consent", user)]
            if not kept:
                return [self._text(f"{collection}_empty", user)]
            text = actions.kept_text(self.library, ctx, collection, kept)
            if collection == "supervision":
                clear = Button(ACTION_PREFIX + "clear_supervision", self._render("clear_supervision", user), "app")
                return [Outgoing(text, (clear,))]
            return [Outgoing(text)]
        stored = await self.repo.history_of(conn, user.id)
        fresh = [h for h in batch.changes.history_new.values() if h.user_id == user.id]
        entries = sorted(fresh + [e for e in stored if e.id not in batch.changes.history_new],
                         key=lambda e: e.started_at, reverse=True)  # fmt: skip
        if name == "history":
            if not user.consented:
                return [self._text("history_no_consent", user)]
            return [Outgoing(actions.history_text(self.library, ctx, entries[:10])),
                    *await self._history_chart(ctx, user, entries, batch.now)]  # fmt: skip
        kept_all = await self.repo.kept_of(conn, user.id)
        data = actions.export_data(user, entries, batch.runs.get(user.id), batch.now, kept_all)
        stamp = batch.now.strftime("%Y%m%d")
        return [
            self._text("export_ready", user),
            Outgoing(
                "", attachment=Attachment(f"phare-export-{stamp}.json", "application/json", actions.export_json(data))
            ),
            Outgoing("", attachment=Attachment(f"phare-measures-{stamp}.csv", "text/csv", actions.export_csv(data))),
        ]

    async def _history_chart(
        self, ctx: Context, user: UserRecord, entries: list[HistoryRecord], now: datetime
    ) -> list[Outgoing]:
        """/history's chart of the last four weeks (bot/charts.py), drawn off the event loop."""
        from bot import charts

        data = charts.chart_data(self.library, ctx, user, entries, now)
        if not data.checkins and not data.exercises:
            return []
        png = await asyncio.get_running_loop().run_in_executor(None, charts.render_png, data)
        return [charts.image_message(png, now)]

    # --- safety ------------------------------------------------------------------------------------------

    def _verdict(self, msg: Incoming) -> SafetyVerdict:
        words = msg.words
        if not words or self.safety is None:
            return SAFE
        return self.safety.check(words)

    def _resources(self, user: UserRecord, level: Level) -> Outgoing:
        assert self.safety is not None
        return Outgoing(self.safety.resources(user.country, self._ctx(user), level), safety=level)

    def _group_lines(self, user: UserRecord) -> str:
        """For the group, when the person cannot be reached in private: the lines, without a word about them."""
        assert self.safety is not None
        return self._render("group_lines", user) + "\n\n" + self.safety.lines(user.country, self._ctx(user))

    def _check_buttons(self, user: UserRecord) -> tuple[Button, ...]:
        return (
            Button(ACTION_PREFIX + CHECK_ME, self._render("check_me", user), "safety"),
            Button(ACTION_PREFIX + CHECK_NOT_ME, self._render("check_not_me", user), "safety"),
        )

    def _safety(self, verdict: SafetyVerdict, turn: _Turn, now: datetime, *, held: str | None) -> None:
        """Urgent and crisis take over at once; check asks first, holding the words it interrupted so that a
        "no" loses nothing: they are then taken as the answer they were meant to be."""
        if verdict.takeover:
            self._crisis(turn, now, verdict.level or "crisis")
            return
        user = turn.user
        reply = self._resources(user, "check")
        turn.replies.append(replace(reply, buttons=self._check_buttons(user)))
        turn.safety.append(("check_asked", user.country))
        user.settings = {**user.settings, CHECK_PENDING: {"held": held is not None}}
        if held is not None and turn.run is not None:
            turn.run = replace(turn.run, state={**turn.run.state, "safety_held": held})

    def _check_answer_of(self, msg: Incoming) -> str | None:
        """A tap on the question's buttons, or a typed yes or no."""
        if msg.option is not None and msg.option.startswith(ACTION_PREFIX):
            action = msg.option[len(ACTION_PREFIX) :]
            return action if action in (CHECK_ME, CHECK_NOT_ME) else None
        typed = (msg.text or "").strip().strip(".!").casefold()
        if typed in _YES:
            return CHECK_ME
        if typed in _NO:
            return CHECK_NOT_ME
        return None

    def _answer_check(self, answer: str, turn: _Turn, now: datetime) -> None:
        """The answer is kept as a fact (which button), never with the words that raised the question."""
        held = None
        if turn.run is not None and "safety_held" in turn.run.state:
            held = str(turn.run.state["safety_held"])
            turn.run = replace(turn.run, state={k: v for k, v in turn.run.state.items() if k != "safety_held"})
        if answer == CHECK_ME:
            turn.safety.append(("check_answered_me", turn.user.country))
            self._crisis(turn, now, "crisis")
            return
        turn.safety.append(("check_answered_not_me", turn.user.country))
        turn.replies.append(self._text("check_thanks", turn.user))
        if turn.run is None or turn.run.status != "active":
            return
        state = RunState.from_dict(turn.run.state["engine"])
        if held is not None:
            self._apply(turn, self.engine.handle(state, Input(text=held), self._run_ctx(turn), now), now)
        else:
            for say in self.engine.current_prompt(state, self._run_ctx(turn)):
                turn.replies.append(self._outgoing(say, turn.run))

    def _crisis(self, turn: _Turn, now: datetime, level: Level) -> None:
        user = turn.user
        turn.replies.append(self._resources(user, level))
        turn.safety.append((f"{level}_resources_shown", user.country))
        if turn.run is not None and turn.run.status == "active":
            state = RunState.from_dict(turn.run.state["engine"])
            paused = self.engine.pause(state)
            turn.run = replace(
                turn.run,
                status="paused",
                wake_at=None,
                state={**{k: v for k, v in turn.run.state.items() if k != "safety_held"}, "engine": paused.to_dict()},
                updated_at=now,
            )
            turn.replies.append(self._text("paused_for_safety", user))

    # --- texts ---------------------------------------------------------------------------------------------

    def _run_ctx(self, turn: _Turn) -> Context:
        return self._ctx(turn.user, turn.run.dialogue_id if turn.run else None)

    def _ctx(self, user: UserRecord, dialogue_id: str | None = None) -> Context:
        """How to speak to this user; in a run, the measures of their previous run of it as prev_<name>."""
        previous = user.settings.get("last", {}).get(dialogue_id, {}) if dialogue_id else {}
        return Context(
            locale=cast(Locale, user.locale if user.locale in ("fr", "en") else "fr"),
            address=cast(Address, user.address if user.address in ("vous", "tu") else "vous"),
            vars={
                "operator_contact": self.operator_contact,
                "country": user.country or "",  # the time zones a check-in suggests first
                **{f"prev_{k}": v for k, v in previous.items()},
            },
        )

    def _render(self, key: str, user: UserRecord, **values: object) -> str:
        return self.library.text(key).render(self._ctx(user), values)

    def _text(self, key: str, user: UserRecord, **values: object) -> Outgoing:
        return Outgoing(self._render(key, user, **values))

    def _exercise_buttons(self, user: UserRecord) -> tuple[Button, ...]:
        ctx = self._ctx(user)
        return tuple(Button(START_PREFIX + d.id, d.title.render(ctx), "menu") for d in self.library.listed())

    def _menu(self, user: UserRecord) -> Outgoing:
        return Outgoing(self._render("idle_menu", user), self._exercise_buttons(user))

    def _exercises(self, user: UserRecord) -> Outgoing:
        ctx = self._ctx(user)
        lines = [self._render("exercises_header", user)]
        for dialogue in self.library.listed():
            lines.append(f"• /{dialogue.id} — *{dialogue.title.render(ctx)}*: {dialogue.summary.render(ctx)}")
        return Outgoing("\n".join(lines), self._exercise_buttons(user))

    @staticmethod
    def _seq_from_ref(ref: str | None, run: RunRecord) -> int | None:
        if not ref or "." not in ref:
            return None
        prefix, _, seq = ref.partition(".")
        if prefix != run.id[:8] or not seq.isdigit():
            return None
        return int(seq)

    @staticmethod
    def _log_failure(exc: BaseException) -> None:
        # The exception's message may quote what the user wrote: log its type and where, never its text.
        frames = traceback.format_tb(exc.__traceback__)
        log.error("step failed with %s\n%s", type(exc).__name__, "".join(frames))
