"""The sync loop: events in, committed by the writer, and only then the sync token saved; catch-up after downtime.

No replay, no loss:
- On the very first start the bot syncs once without reading anything (the rooms' history is not for
  it), then saves the sync token.
- After that, a sync batch's messages are committed by the writer before the batch's token is saved. A
  crash in between re-reads the batch; message ids are event ids, so the writer drops what it already
  processed. A restart thus answers, once, what was written while Phare was down; what is older than
  the catch-up window gets one short "I was offline" notice per room instead.
- A batch the homeserver cut short (`limited`) is completed from /messages back to the saved token.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, cast

from nio import (
    AsyncClient,
    EncryptionError,
    ErrorResponse,
    Event,
    LocalProtocolError,
    MatrixRoom,
    MegolmEvent,
    MessageDirection,
    RoomMessagesError,
    SyncError,
    SyncResponse,
)

from bot.core.jobs import Notice
from bot.messages import Incoming
from bot.transports.base import Inbox
from bot.transports.matrix.incoming import Batch, EventReader, Pending
from bot.transports.matrix.invites import Invites
from bot.transports.matrix.options import MatrixOptions
from bot.transports.matrix.session import NETWORK
from bot.transports.matrix.state import MatrixState
from bot.transports.matrix.transport import PLATFORM, MatrixTransport
from bot.transports.matrix.trust import DeviceTrust, members

log = logging.getLogger(__name__)


class SyncLoop:
    """Reads the account's sync stream until stop(); sets `ready` after the first sync, `failed` if the
    session is signed out (nothing can go on then)."""

    def __init__(
        self,
        client: AsyncClient,
        state: MatrixState,
        options: MatrixOptions,
        writer: Inbox,
        transport: MatrixTransport,
        reader: EventReader,
        invites: Invites,
        *,
        ready: asyncio.Event,
        failed: asyncio.Event,
        trust: DeviceTrust | None = None,
    ) -> None:
        self.client = client
        self.state = state
        self.options = options
        self.writer = writer
        self.transport = transport
        self.reader = reader
        self.invites = invites
        self.ready = ready
        self.failed = failed
        self.trust = trust
        self._task: asyncio.Task[None] | None = None
        self._batch: Batch | None = None
        self._handling = False
        self._stopping = False
        self._synced = asyncio.Condition()

    def _filter(self) -> dict[str, Any]:
        return {"room": {"timeline": {"limit": self.options.timeline_limit}}, "presence": {"not_types": ["*"]}}

    async def first_sync(self) -> None:
        """The very first start: learn the rooms, read none of their history, accept waiting invites."""
        attempt = 0
        while True:
            response = await self.client.sync(timeout=0, full_state=True, sync_filter=self._filter())
            if isinstance(response, SyncResponse):
                break
            attempt += 1
            delay = self.options.retry.delay(attempt, _retry_after(response))
            log.warning("Matrix: first sync failed (%s); retrying in %.1f s", response.status_code, delay)
            await asyncio.sleep(delay)
        await self.invites.answer(response, None)
        self.state.save_sync_token(response.next_batch)
        self.ready.set()

    def start(self) -> None:
        self.client.add_event_callback(self._collect, Event)
        self._task = asyncio.create_task(self._run(), name="matrix-sync")

    async def stop(self) -> None:
        """Stop reading; a batch being handled is committed (and its token saved) first."""
        self._stopping = True
        if self._task is not None:
            if not self._handling:
                self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        await self.invites.stop()

    async def _run(self) -> None:
        client, state, retry = self.client, self.state, self.options.retry
        failures = 0
        first = True
        while not self._stopping:
            since = state.sync_token
            self._batch = Batch()
            try:
                # The first sync of each run asks for the full state: rooms and members are not persisted.
                waiting = bool(state.held())  # come back soon: a held message's grace period may end
                response = await client.sync(
                    timeout=0 if first else min(self.options.sync_timeout_ms, 1000 if waiting else 10**9),
                    since=since,
                    full_state=first,
                    sync_filter=self._filter(),
                )
            except NETWORK as exc:
                failures += 1
                delay = retry.delay(failures)
                log.warning("Matrix: sync failed (%s); retrying in %.1f s", type(exc).__name__, delay)
                await asyncio.sleep(delay)
                continue
            if isinstance(response, SyncError):
                if response.status_code == "M_UNKNOWN_TOKEN":
                    log.critical("Matrix: the bot's session was signed out; restart Phare to sign in again")
                    self.failed.set()
                    return
                failures += 1
                delay = retry.delay(failures, _retry_after(response))
                log.warning("Matrix: sync refused (%s); retrying in %.1f s", response.status_code, delay)
                await asyncio.sleep(delay)
                continue
            failures = 0
            if self.trust is not None:
                # A new device, one removed, a new cross-signing signature (a device just verified): the
                # trust verdicts on these people are asked again before the next message to them.
                self.trust.forget([*response.device_list.changed, *response.device_list.left])
            batch, self._batch = self._batch, None
            self._handling = True
            try:
                await self._handle(response, batch, since)
                state.save_sync_token(response.next_batch)
            except Exception as exc:  # noqa: BLE001 — the token is not saved: the batch is read again
                log.error("Matrix: a sync batch could not be handled (%s); reading it again", type(exc).__name__)
                client.next_batch = None  # else nio takes the same batch for a duplicate and skips its events
                failures += 1
                await asyncio.sleep(retry.delay(failures))
                continue
            finally:
                self._handling = False
            first = False
            self.ready.set()
            async with self._synced:
                self._synced.notify_all()
            await self._maintenance()

    async def wait_synced(self, predicate: Callable[[], bool], timeout: float) -> bool:
        """Wait until a sync makes `predicate` true (a room the bot just created becomes known)."""
        deadline = time.monotonic() + timeout
        async with self._synced:
            while not predicate():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._synced.wait(), remaining)
        return True

    async def _maintenance(self) -> None:
        """What nio's sync_forever does between syncs: key uploads, queries, claims and to-device sends. One
        that fails is due again after the next sync, which paces its retries."""
        client = self.client
        steps: list[Callable[[], Awaitable[object]]] = [client.send_to_device_messages]
        if client.should_upload_keys:
            steps.append(client.keys_upload)
        if client.should_query_keys:
            steps.append(client.keys_query)
        if client.should_claim_keys:
            steps.append(lambda: client.keys_claim(client.get_users_for_key_claiming()))
        for step in steps:
            try:
                await step()
            except (*NETWORK, LocalProtocolError) as exc:
                log.warning("Matrix: key maintenance failed (%s)", type(exc).__name__)

    async def _collect(self, room: MatrixRoom, event: Event) -> None:
        """nio calls this for each timeline event, with the room's state as of that event."""
        batch = self._batch
        if batch is None or not isinstance(event, Event) or room.room_id in self.client.invited_rooms:
            return
        me = self.client.user_id
        source = event.source
        if source.get("type") == "m.room.member" and source.get("state_key") == me:
            content = source.get("content", {})
            previous = (source.get("unsigned", {}).get("prev_content") or {}).get("membership")
            if content.get("membership") == "join" and previous != "join":
                batch.joined[room.room_id] = event.event_id
                # What was said before Phare joined is the room's history: not for Phare to answer.
                batch.events = [p for p in batch.events if p.room_id != room.room_id]
            return
        if event.sender == me:
            return
        count = len(members(room))
        batch.events.append(Pending(room.room_id, event, private=count == 2, members=count))

    # --- one batch, and what was missed ------------------------------------------------------------------

    async def _handle(self, response: SyncResponse, batch: Batch, since: str | None) -> None:
        await self.invites.answer(response, since)
        if since is not None:
            await self._backfill(response, batch, since)
        jobs: list[Incoming] = []
        offline: dict[str, str] = {}  # room → the sender of its first too-old message
        horizon = (time.time() - self.options.catchup.total_seconds()) * 1000
        # Whether a group's member administers it is read with the room's creators (room version 12 on).
        await self.reader.learn_creators(
            [p.room_id for p in batch.events if not p.private] + [h[0] for h in self.state.held() if not h[2]]
        )
        released, give_up = self._retry_held(jobs)
        for pending in batch.events:
            event = pending.event
            if event.server_timestamp and event.server_timestamp < horizon:
                if pending.private:
                    offline.setdefault(pending.room_id, event.sender)
                continue
            if isinstance(event, MegolmEvent):
                # Its key may be a moment behind it (another sync): held, encrypted, until it comes.
                self.state.hold(pending.room_id, event.source, pending.private, pending.members)
                with contextlib.suppress(LocalProtocolError, *NETWORK):  # already requested for this session
                    await self.client.request_room_key(event)
                continue
            jobs.extend(self.reader.incoming(pending))
        for room_id, event_id in batch.joined.items():
            greeting = self.reader.greeting(room_id, event_id, batch)
            if greeting is not None:
                jobs.append(greeting)
        # Submitted together so the writer commits them in a few group commits; its queue keeps their
        # order, so each person's messages are handled in the order they were sent.
        results = await asyncio.gather(*(self.writer.submit(job) for job in jobs), return_exceptions=True)
        failed = [r for r in results if isinstance(r, BaseException)]
        if failed:
            raise RuntimeError(f"{len(failed)} step(s) not stored")
        self.state.release(released)
        for room_id, sender in offline.items():
            # Through the outbox like every reply, written by the core in the person's language, once per key.
            await self.writer.submit(
                Notice(PLATFORM, room_id, "matrix_offline", sender, key=f"offline:{room_id}:{since}")
            )
        for pending in give_up:
            await self._undecryptable(pending)
        self.state.release([p.event.event_id for p in give_up])

    def _retry_held(self, jobs: list[Incoming]) -> tuple[list[str], list[Pending]]:
        """Held encrypted events: those whose key has come are read now; those past the grace period are
        given up (the person is told); the others wait for the next sync."""
        released: list[str] = []
        give_up: list[Pending] = []
        now = time.time()
        for room_id, source, private, count, first_seen in self.state.held():
            event = MegolmEvent.from_dict(source)
            event.room_id = room_id
            try:
                decrypted = self.client.decrypt_event(event)
            except EncryptionError:
                if now - first_seen >= self.options.undecryptable_grace:
                    give_up.append(Pending(room_id, event, private, count))
                continue
            released.append(event.event_id)
            if isinstance(decrypted, Event):
                jobs.extend(self.reader.incoming(Pending(room_id, decrypted, private, count)))
        return released, give_up

    async def _backfill(self, response: SyncResponse, batch: Batch, since: str) -> None:
        """A limited timeline skipped events after our token: fetch them, oldest first, before the rest."""
        client = self.client
        for room_id, info in response.rooms.join.items():
            if not info.timeline.limited or not info.timeline.prev_batch or room_id in batch.joined:
                continue
            room = client.rooms.get(room_id)
            if room is None:
                continue
            earlier: list[Event] = []
            start = info.timeline.prev_batch
            for _ in range(50):  # at most 5,000 events: beyond that the catch-up window has long passed
                page = await client.room_messages(room_id, start, since, MessageDirection.back, limit=100)
                if isinstance(page, RoomMessagesError) or not page.chunk:
                    break
                earlier.extend(e for e in page.chunk if isinstance(e, Event))
                if not page.end or page.end == start:
                    break
                start = page.end
            me = client.user_id
            count = len(members(room))
            older = [Pending(room_id, e, count == 2, count) for e in reversed(earlier) if e.sender != me]
            if older:
                position = next((i for i, p in enumerate(batch.events) if p.room_id == room_id), len(batch.events))
                batch.events[position:position] = older

    async def _undecryptable(self, pending: Pending) -> None:
        """Never silence: the key was asked for when the event came; now the person is told, once per
        encryption session (one lost key usually means several unreadable messages)."""
        event = cast(MegolmEvent, pending.event)
        key = "undecryptable:" + hashlib.sha256(f"{pending.room_id}|{event.session_id}".encode()).hexdigest()[:32]
        if pending.private:
            await self.writer.submit(Notice(PLATFORM, pending.room_id, "matrix_undecryptable", event.sender, key=key))


def _retry_after(response: ErrorResponse) -> float | None:
    """The homeserver's own wait, when it gave one (a 429's retry_after_ms)."""
    return response.retry_after_ms / 1000 if response.retry_after_ms else None
