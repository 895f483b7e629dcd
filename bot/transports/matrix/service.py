"""Phare on Matrix: a sync loop in, the Dispatcher and MatrixTransport out, end-to-end encryption throughout.

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
import base64
import contextlib
import hashlib
import logging
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, cast

import aiohttp
from nio import (
    AsyncClient,
    AsyncClientConfig,
    EncryptionError,
    ErrorResponse,
    Event,
    LocalProtocolError,
    LoginResponse,
    MatrixRoom,
    MegolmEvent,
    MessageDirection,
    RoomMessagesError,
    SyncError,
    SyncResponse,
    WhoamiError,
)

import bot.transports.matrix.crosssign as crosssign
from bot.messages import Incoming
from bot.outbox import Dispatcher
from bot.transports.matrix.formatting import reaction_index
from bot.transports.matrix.inbound import (
    Addressing,
    inviter_allowed,
    known_commands,
    personal,
    private_command,
    read_message,
)
from bot.transports.matrix.options import MatrixOptions, MatrixStartError
from bot.transports.matrix.secrets import Sealer, SecretFile
from bot.transports.matrix.state import MatrixState
from bot.transports.matrix.transport import PLATFORM, MatrixTransport
from bot.transports.matrix.trust import DeviceTrust, members
from bot.transports.numbering import match_button
from bot.writer import Writer, private_chat, utc_now
from dialogues.texts import Context

log = logging.getLogger(__name__)

_NETWORK = (aiohttp.ClientError, asyncio.TimeoutError, TimeoutError, OSError)


class _WithoutDetails(logging.Filter):
    """nio's schema-validation messages quote the event or response, which may hold what someone wrote."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING:
            record.msg, record.args = "%s (details not logged: they may quote a message)", (record.name,)
        return True


def quiet_libraries() -> None:
    """Logs never hold what people write: matrix-nio logs whole sync responses (message text, in rooms
    without encryption) at DEBUG and every event at INFO, and its store's SQL (peewee) logs parameters."""
    logging.getLogger("nio").setLevel(logging.WARNING)
    logging.getLogger("peewee").setLevel(logging.INFO)
    for name in ("nio.events.misc", "nio.responses", "nio.schemas"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _WithoutDetails) for f in logger.filters):
            logger.addFilter(_WithoutDetails())


@dataclass
class _Pending:
    """An event collected during a sync, with the room's membership as it was at that event."""

    room_id: str
    event: Event
    private: bool
    members: int


@dataclass
class _Batch:
    events: list[_Pending] = field(default_factory=list)
    joined: dict[str, str] = field(default_factory=dict)  # room → our join event, for greetings


class MatrixService:
    """One Matrix account, one device. `start()`, `stop()`, `failed` (set when the sync loop cannot go on)."""

    def __init__(self, writer: Writer, options: MatrixOptions, data_dir: Path, cipher: Sealer) -> None:
        self.writer = writer
        self.options = options
        self.directory = data_dir / "matrix"
        self.cipher = cipher
        self.failed = asyncio.Event()
        self.client: AsyncClient | None = None
        self.state: MatrixState | None = None
        self.transport: MatrixTransport | None = None
        self.dispatcher: Dispatcher | None = None
        self.trust: DeviceTrust | None = None
        self.cross_signing: crosssign.Outcome | None = None
        self.ready = asyncio.Event()  # the first sync of this process is done: rooms are known
        self._http: aiohttp.ClientSession | None = None
        self._loop_task: asyncio.Task[None] | None = None
        self._batch: _Batch | None = None
        self._handling = False
        self._stopping = False
        self._attempted_invites: set[str] = set()
        self._synced = asyncio.Condition()
        self._addressing: Addressing | None = None

    # --- lifecycle ---------------------------------------------------------------------------------------

    async def start(self) -> None:
        quiet_libraries()
        self.directory.mkdir(parents=True, exist_ok=True)
        os.chmod(self.directory, 0o700)
        self.state = MatrixState(self.directory / "state.db")
        self._http = aiohttp.ClientSession()
        self.client = await self._login()
        client = self.client
        if client.should_upload_keys:
            await client.keys_upload()
        display = await client.get_displayname(client.user_id)
        name = getattr(display, "displayname", None)
        dialogue_ids = list(self.writer.library.dialogues)
        self._addressing = Addressing(client.user_id, name, self.options.prefix, known_commands(dialogue_ids))
        self.trust = DeviceTrust(client, self._call, self.state, self.options.device_trust)
        self.transport = MatrixTransport(self, self.options)
        try:
            self.cross_signing = await crosssign.bootstrap(
                self._call,
                client.user_id,
                client.device_id,
                SecretFile(self.directory / "cross_signing.json", self.cipher),
                password=self.options.password,
                mode=self.options.cross_signing,
            )
        except crosssign.CrossSigningError as exc:
            # Not fatal: unencrypted rooms and clients that still share keys with unsigned devices work.
            log.error("Matrix: the bot's device could not be cross-signed: %s", exc)
        except _NETWORK as exc:
            log.error(
                "Matrix: cross-signing check failed (%s); it is tried again at the next start", type(exc).__name__
            )
        if self.state.sync_token is None:
            await self._first_sync()
        self.dispatcher = Dispatcher(self.transport, self.writer.mark_sent, concurrency=self.options.send_concurrency)
        self.writer.on_commit(self.dispatcher.enqueue)
        await self.writer.start()
        await self.dispatcher.start(await self.writer.pending(PLATFORM))
        client.add_event_callback(self._collect, Event)
        self._loop_task = asyncio.create_task(self._sync_loop(), name="matrix-sync")
        log.info("Matrix: signed in, device %s", client.device_id)

    async def stop(self) -> None:
        """Stop reading (after the batch in hand is committed), send what can be sent in time, close."""
        self._stopping = True
        if self._loop_task is not None:
            if not self._handling:
                self._loop_task.cancel()
            await asyncio.gather(self._loop_task, return_exceptions=True)
            self._loop_task = None
        if self.dispatcher is not None:
            try:
                await asyncio.wait_for(self.dispatcher.drain(), self.options.drain_timeout)
            except TimeoutError:
                log.warning("Matrix: some replies were not sent before shutdown; they stay queued for the next start")
            await self.dispatcher.stop()
            self.dispatcher = None
        if self.transport is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.transport.close(), self.options.drain_timeout)
        if self.client is not None:
            await self.client.close()
        if self._http is not None:
            await self._http.close()
        if self.state is not None:
            self.state.close()

    async def idle(self) -> None:
        """Wait until every reply committed so far is sent (tests)."""
        if self.dispatcher is not None:
            await self.dispatcher.drain()
        if self.transport is not None:
            await self.transport.idle()

    # --- signing in ----------------------------------------------------------------------------------------

    def _client(self, user_id: str, device_id: str, pickle_key: str) -> AsyncClient:
        store = self.directory / "store"
        store.mkdir(exist_ok=True)
        config = AsyncClientConfig(
            encryption_enabled=True,
            pickle_key=pickle_key,  # the olm account and sessions are encrypted at rest with it
            store_sync_tokens=False,  # nio saves the token before callbacks run; Phare saves it after commit
            max_limit_exceeded=0,  # a 429 comes back to Phare, whose Dispatcher waits and retries in order
            max_timeouts=0,  # so do network errors: the sync loop and the Dispatcher have their own backoff
            request_timeout=30,
        )
        return AsyncClient(self.options.homeserver, user_id, device_id, str(store), config)

    async def _login(self) -> AsyncClient:
        opts = self.options
        session_file = SecretFile(self.directory / "session.json", self.cipher)
        saved = session_file.read() or {}
        if opts.access_token:
            probe = AsyncClient(opts.homeserver)
            probe.access_token = opts.access_token
            who = await probe.whoami()
            await probe.close()
            if isinstance(who, WhoamiError) or not who.device_id:
                raise MatrixStartError("PHARE_MATRIX_ACCESS_TOKEN was refused by the homeserver (or has no device)")
            same = saved.get("user_id") == who.user_id and saved.get("device_id") == who.device_id
            pickle_key = str(saved["pickle_key"]) if same and "pickle_key" in saved else _random_key()
            session_file.write({"user_id": who.user_id, "device_id": who.device_id, "pickle_key": pickle_key})
            client = self._client(who.user_id, who.device_id, pickle_key)
            client.restore_login(who.user_id, who.device_id, opts.access_token)
            return client
        saved_user = str(saved.get("user_id") or "")
        same = saved_user == opts.user if opts.user.startswith("@") else saved_user.startswith(f"@{opts.user}:")
        if saved_user and not same and not opts.access_token:
            raise MatrixStartError(
                f"this data directory's Matrix session belongs to another account ({saved['user_id']}): use another "
                "PHARE_DATA_DIR, or move DATA_DIR/matrix away to start afresh"
            )
        if saved.get("access_token"):
            client = self._client(saved["user_id"], saved["device_id"], saved["pickle_key"])
            client.restore_login(saved["user_id"], saved["device_id"], saved["access_token"])
            who = await client.whoami()
            if not isinstance(who, WhoamiError):
                return client
            await client.close()
            if who.status_code != "M_UNKNOWN_TOKEN" or not opts.password:
                raise MatrixStartError(f"the saved Matrix session no longer works ({who.status_code})")
            if not who.soft_logout:
                # Signed out for good: the homeserver deleted the device and its keys. A new device it is
                # (cross-signed again below with the same identity); the old crypto store stays unused.
                saved = {}
            log.warning("Matrix: the saved session was signed out; signing in again")
        if not opts.password:
            raise MatrixStartError("set PHARE_MATRIX_PASSWORD or PHARE_MATRIX_ACCESS_TOKEN")
        # Same device as after a soft logout: its keys, its cross-signature and its rooms' keys stay.
        pickle_key = str(saved.get("pickle_key") or _random_key())
        client = self._client(opts.user, saved.get("device_id", ""), pickle_key)
        response = await client.login(opts.password, device_name=opts.device_name)
        if not isinstance(response, LoginResponse):
            await client.close()
            raise MatrixStartError(f"Matrix login failed ({getattr(response, 'status_code', 'error')})")
        session_file.write({"user_id": response.user_id, "device_id": response.device_id,
                            "access_token": response.access_token, "pickle_key": pickle_key})  # fmt: skip
        return client

    async def _call(self, method: str, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """A raw client-server API call (cross-signing and key queries nio does not offer)."""
        assert self._http is not None and self.client is not None
        headers = {"Authorization": f"Bearer {self.client.access_token}"}
        async with self._http.request(method, self.options.homeserver + path, json=body, headers=headers) as resp:
            data = await resp.json(content_type=None)
            return resp.status, data if isinstance(data, dict) else {}

    # --- syncing ---------------------------------------------------------------------------------------------

    def _filter(self) -> dict[str, Any]:
        return {"room": {"timeline": {"limit": self.options.timeline_limit}}, "presence": {"not_types": ["*"]}}

    async def _first_sync(self) -> None:
        """The very first start: learn the rooms, read none of their history, accept waiting invites."""
        assert self.client is not None and self.state is not None
        while True:
            response = await self.client.sync(timeout=0, full_state=True, sync_filter=self._filter())
            if isinstance(response, SyncResponse):
                break
            log.warning("Matrix: first sync failed (%s); retrying", response.status_code)
            await asyncio.sleep(2)
        await self._invites(response)
        self.state.save_sync_token(response.next_batch)
        self.ready.set()

    async def _sync_loop(self) -> None:
        assert self.client is not None and self.state is not None
        client, state = self.client, self.state
        backoff = 1.0
        first = True
        while not self._stopping:
            since = state.sync_token
            self._batch = _Batch()
            try:
                # The first sync of each run asks for the full state: rooms and members are not persisted.
                waiting = bool(state.held())  # come back soon: a held message's grace period may end
                response = await client.sync(
                    timeout=0 if first else min(self.options.sync_timeout_ms, 1000 if waiting else 10**9),
                    since=since,
                    full_state=first,
                    sync_filter=self._filter(),
                )
            except _NETWORK as exc:
                log.warning("Matrix: sync failed (%s); retrying in %.0f s", type(exc).__name__, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.options.max_backoff)
                continue
            if isinstance(response, SyncError):
                if response.status_code == "M_UNKNOWN_TOKEN":
                    log.critical("Matrix: the bot's session was signed out; restart Phare to sign in again")
                    self.failed.set()
                    return
                delay = response.retry_after_ms / 1000 if response.retry_after_ms else backoff
                log.warning("Matrix: sync refused (%s); retrying in %.0f s", response.status_code, delay)
                await asyncio.sleep(delay)
                backoff = min(backoff * 2, self.options.max_backoff)
                continue
            backoff = 1.0
            batch, self._batch = self._batch, None
            self._handling = True
            try:
                await self._handle(response, batch, since)
                state.save_sync_token(response.next_batch)
            except Exception as exc:  # noqa: BLE001 — the token is not saved: the batch is read again
                log.error("Matrix: a sync batch could not be handled (%s); reading it again", type(exc).__name__)
                client.next_batch = None  # else nio takes the same batch for a duplicate and skips its events
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.options.max_backoff)
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
        """What nio's sync_forever does between syncs: key uploads, queries, claims and to-device sends."""
        assert self.client is not None
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
            except (*_NETWORK, LocalProtocolError) as exc:
                log.warning("Matrix: key maintenance failed (%s)", type(exc).__name__)

    async def _collect(self, room: MatrixRoom, event: Event) -> None:
        """nio calls this for each timeline event, with the room's state as of that event."""
        batch = self._batch
        assert self.client is not None
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
        batch.events.append(_Pending(room.room_id, event, private=count == 2, members=count))

    async def _handle(self, response: SyncResponse, batch: _Batch, since: str | None) -> None:
        assert self.client is not None and self.state is not None
        await self._invites(response)
        if since is not None:
            await self._backfill(response, batch, since)
        jobs: list[Incoming] = []
        offline: dict[str, str] = {}  # room → the sender of its first too-old message
        horizon = (time.time() - self.options.catchup.total_seconds()) * 1000
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
                with contextlib.suppress(LocalProtocolError, *_NETWORK):  # already requested for this session
                    await self.client.request_room_key(event)
                continue
            jobs.extend(self._incoming(pending))
        for room_id, event_id in batch.joined.items():
            greeting = self._greeting(room_id, event_id, batch)
            if greeting is not None:
                jobs.append(greeting)
        # Submitted together so the writer commits them in a few group commits; its queue keeps their
        # order, so each person's messages are handled in the order they were sent.
        results = await asyncio.gather(*(self.writer.submit(job) for job in jobs), return_exceptions=True)
        failed = [r for r in results if isinstance(r, BaseException)]
        if failed:
            raise RuntimeError(f"{len(failed)} step(s) not stored")
        self.state.release(released)
        assert self.transport is not None
        for room_id, sender in offline.items():
            await self.transport.notice(room_id, "matrix_offline", sender, key=f"offline:{room_id}:{since}")
        for pending in give_up:
            await self._undecryptable(pending)
        self.state.release([p.event.event_id for p in give_up])

    def _retry_held(self, jobs: list[Incoming]) -> tuple[list[str], list[_Pending]]:
        """Held encrypted events: those whose key has come are read now; those past the grace period are
        given up (the person is told); the others wait for the next sync."""
        assert self.client is not None and self.state is not None
        released: list[str] = []
        give_up: list[_Pending] = []
        now = time.time()
        for room_id, source, private, count, first_seen in self.state.held():
            event = MegolmEvent.from_dict(source)
            event.room_id = room_id
            try:
                decrypted = self.client.decrypt_event(event)
            except EncryptionError:
                if now - first_seen >= self.options.undecryptable_grace:
                    give_up.append(_Pending(room_id, event, private, count))
                continue
            released.append(event.event_id)
            if isinstance(decrypted, Event):
                jobs.extend(self._incoming(_Pending(room_id, decrypted, private, count)))
        return released, give_up

    async def _backfill(self, response: SyncResponse, batch: _Batch, since: str) -> None:
        """A limited timeline skipped events after our token: fetch them, oldest first, before the rest."""
        assert self.client is not None
        for room_id, info in response.rooms.join.items():
            if not info.timeline.limited or not info.timeline.prev_batch or room_id in batch.joined:
                continue
            room = self.client.rooms.get(room_id)
            if room is None:
                continue
            earlier: list[Event] = []
            start = info.timeline.prev_batch
            for _ in range(50):  # at most 5,000 events: beyond that the catch-up window has long passed
                page = await self.client.room_messages(room_id, start, since, MessageDirection.back, limit=100)
                if isinstance(page, RoomMessagesError) or not page.chunk:
                    break
                earlier.extend(e for e in page.chunk if isinstance(e, Event))
                if not page.end or page.end == start:
                    break
                start = page.end
            me = self.client.user_id
            count = len(members(room))
            older = [_Pending(room_id, e, count == 2, count) for e in reversed(earlier) if e.sender != me]
            if older:
                position = next((i for i, p in enumerate(batch.events) if p.room_id == room_id), len(batch.events))
                batch.events[position:position] = older

    async def _invites(self, response: SyncResponse) -> None:
        """Join invites from the allow-list; decline the others (leaving an invited room declines it)."""
        assert self.client is not None
        client = self.client
        allowed = self.options.allowed_inviters or (f"*:{client.user_id.partition(':')[2]}",)
        for room_id in response.rooms.invite:
            if room_id in self._attempted_invites:
                continue
            room = client.invited_rooms.get(room_id)
            inviter = getattr(room, "inviter", None)
            welcome = inviter_allowed(inviter, allowed)
            try:
                answer = await (client.join(room_id) if welcome else client.room_leave(room_id))
            except (*_NETWORK, LocalProtocolError) as exc:
                log.warning("Matrix: could not answer an invite (%s); trying again later", type(exc).__name__)
                continue
            if isinstance(answer, ErrorResponse):
                log.warning("Matrix: could not answer an invite (%s); trying again later", answer.status_code)
                continue
            self._attempted_invites.add(room_id)
            if not welcome:
                log.info("Matrix: declined an invite from outside the allow-list")

    # --- events → Incoming ----------------------------------------------------------------------------------

    def _incoming(self, pending: _Pending) -> list[Incoming]:
        assert self.client is not None and self.state is not None and self._addressing is not None
        event, room_id = pending.event, pending.room_id
        source = event.source
        kind_of = source.get("type")
        base = {
            "platform": PLATFORM,
            "user_key": event.sender,
            # A direct chat's messages are answered in "this person's private chat", resolved when the
            # reply is sent: if a third member has joined by then, the reply goes to a new direct chat,
            # never to the room that became a group.
            "chat_key": private_chat(event.sender) if pending.private else room_id,
            "message_id": event.event_id,
            "received_at": utc_now(),
            "private": pending.private,
        }
        content = source.get("content") or {}
        if pending.private:
            self.state.set_direct(event.sender, room_id)
        if kind_of == "m.reaction":
            if not pending.private:
                return []
            relation = content.get("m.relates_to") or {}
            index = reaction_index(str(relation.get("key", "")))
            buttons = self.state.buttons_of(str(relation.get("event_id", "")))
            if index is None or index >= len(buttons):
                return []
            # The button's own ref: for an older question the writer answers it as a stale button.
            button = buttons[index]
            return [Incoming(**base, option=button.id, ref=button.ref, kind="option")]
        if kind_of == "m.sticker":
            return [Incoming(**base, kind="sticker")] if pending.private else []
        if kind_of != "m.room.message":
            return []
        read = read_message(content)
        if read is None:
            return []
        if read.kind != "text":
            if not pending.private:
                return []
            return [Incoming(**base, text=read.text, kind=read.kind)]
        if read.text is None:
            return []
        addressed = content if not read.edited else {**content, **(content.get("m.new_content") or {})}
        mentioned = not pending.private and self._addressing.mentioned(addressed)
        text = self._addressing.command(read.text, private=pending.private, mentioned=mentioned)
        if text is None:
            return []
        # The safety check reads the person's words, not the command they may have become ("phare: …").
        words = self._addressing.words(read.text, mentioned=mentioned)
        said = words if words != text else None
        if read.edited:
            return [Incoming(**base, text=text, said=said, edited=True)]
        if pending.private:
            chosen = match_button(text, self.state.current_buttons(room_id))
            if chosen is not None:
                return [Incoming(**base, option=chosen.id, ref=chosen.ref, kind="option")]
            return [Incoming(**base, text=text, said=said)]
        jobs = [Incoming(**base, text=text, said=said)]
        if personal(text):
            # The writer answers in the group with a pointer to a private chat; Phare opens that chat
            # itself and carries the command there (the delivery to "@user:…" finds or creates it).
            jobs.append(
                replace(
                    jobs[0],
                    chat_key=private_chat(event.sender),
                    message_id=f"{event.event_id}/private",
                    text=private_command(text, self.writer.library.dialogues),
                    said="",  # the group message itself was checked: one crisis reply, not two
                    private=True,
                )
            )
        return jobs

    def _greeting(self, room_id: str, join_event: str, batch: _Batch) -> Incoming | None:
        """Phare joined a direct chat: it speaks first (onboarding for a newcomer, the menu otherwise),
        unless the person has already written since."""
        assert self.client is not None
        room = self.client.rooms.get(room_id)
        if room is None or len(members(room)) != 2:
            return None
        if any(p.room_id == room_id for p in batch.events):
            return None
        partner = next(iter(members(room) - {self.client.user_id}))
        assert self.state is not None
        self.state.set_direct(partner, room_id)
        return Incoming(
            platform=PLATFORM,
            user_key=partner,
            chat_key=private_chat(partner),
            message_id=join_event,
            received_at=utc_now(),
            text="/start",
            private=True,
        )

    async def _undecryptable(self, pending: _Pending) -> None:
        """Never silence: the key was asked for when the event came; now the person is told, once per
        encryption session (one lost key usually means several unreadable messages)."""
        assert self.transport is not None
        event = cast(MegolmEvent, pending.event)
        key = "undecryptable:" + hashlib.sha256(f"{pending.room_id}|{event.session_id}".encode()).hexdigest()[:32]
        if pending.private:
            await self.transport.notice(pending.room_id, "matrix_undecryptable", event.sender, key=key)

    # --- texts ------------------------------------------------------------------------------------------------

    async def context_for(self, user_key: str | None) -> Context:
        return await self.writer.context_for(PLATFORM, user_key=user_key)

    async def notice_text(self, text_key: str, user_key: str | None) -> str:
        return self.writer.render(text_key, await self.context_for(user_key))


def _random_key() -> str:
    """A fresh key for matrix-nio's store (32 random bytes, URL-safe base64)."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode("ascii")
