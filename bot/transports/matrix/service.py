"""Phare on Matrix: a sync loop in, the Dispatcher and MatrixTransport out, end-to-end encryption throughout.

This module wires the parts together and owns their lifecycle: session.py signs in and cross-signs the
device, sync.py reads events (and catches up after downtime), incoming.py turns them into Incoming
messages, invites.py answers invitations, transport.py sends the replies.

With several replicas on PostgreSQL, the device is one process's at a time (bot/ownership.py): two processes
syncing as one device would each ratchet its Olm sessions and spend its one-time keys, and the people's clients
would fail to decrypt one or the other. Only the owner signs in, syncs and sends; the others hold nothing of the
device (not even its store open) and wait to take over. Replies for Matrix users committed by another replica (a
check-in, a paused exercise's timer) are therefore taken over from the outbox by the owner.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable
from pathlib import Path

from nio import AsyncClient

from bot.messages import Delivery
from bot.outbox import Dispatcher
from bot.ownership import Lease
from bot.transports.base import Inbox
from bot.transports.matrix import epoch
from bot.transports.matrix.crosssign import Outcome
from bot.transports.matrix.inbound import Addressing, known_commands
from bot.transports.matrix.incoming import EventReader
from bot.transports.matrix.invites import Invites
from bot.transports.matrix.options import MatrixOptions
from bot.transports.matrix.secrets import Sealer
from bot.transports.matrix.session import RawApi, cross_sign, sign_in
from bot.transports.matrix.state import MatrixState
from bot.transports.matrix.sync import SyncLoop
from bot.transports.matrix.transport import PLATFORM, MatrixTransport
from bot.transports.matrix.trust import DeviceTrust
from dialogues.texts import Context

log = logging.getLogger(__name__)
# Seconds between two looks of the device's owner at the outbox for Matrix replies other replicas committed (its
# own are handed over at their commit). They are scheduled messages and timers: a second late is unnoticed.
ADOPT_EVERY = 1.0
REFUSED_WAIT = 30.0  # seconds before a replica refused the device (epoch.py) looks again


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


def lease_name(options: MatrixOptions) -> str:
    """What the device's lock is keyed by: the account on its homeserver (Phare keeps one device per account)."""
    return f"matrix {options.user} on {options.homeserver}"


class MatrixService:
    """One Matrix account, one device. `start()`, `stop()`, `failed` (set when the sync loop cannot go on)."""

    def __init__(
        self,
        writer: Inbox,
        options: MatrixOptions,
        data_dir: Path,
        cipher: Sealer,
        *,
        lease: Lease | None = None,
        adopt_every: float = ADOPT_EVERY,
    ) -> None:
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
        self.cross_signing: Outcome | None = None
        self.ready = asyncio.Event()  # the first sync of this process is done: rooms are known
        self._api: RawApi | None = None
        self._sync: SyncLoop | None = None
        # With SQLite this process is the only one: it owns the device without asking.
        self.lease = lease or Lease(None, lease_name(options))
        self.adopt_every = adopt_every
        self._owning: asyncio.Task[None] | None = None
        self._feeding: asyncio.Task[None] | None = None
        self._held: list[Delivery] = []  # this process's own commits, handed to the feeder (shared device)
        self._wake = asyncio.Event()
        self._stopping = False
        self._listening = False
        self.refused = False  # this directory is not the device's current one (epoch.py): never taken over here

    async def start(self) -> None:
        quiet_libraries()
        self.directory.mkdir(parents=True, exist_ok=True)
        os.chmod(self.directory, 0o700)
        if not self._listening:
            self.writer.on_commit(self._committed)  # once: the writer keeps its listeners for good
            self._listening = True
        if not self.lease.shared:
            await self._connect()
            return
        await self.writer.start()
        self._owning = asyncio.create_task(self._serve_when_owned(), name="matrix-ownership")

    def connection(self) -> str | None:
        """Where the device syncs, for /readyz; None while that is not settled yet, or never will be here."""
        if self.refused:
            return None
        if self.lease.state == "owned":
            return "syncing here" if self._sync is not None and self.ready.is_set() else None
        return f"syncing {self.lease.describe()}" if self.lease.state == "elsewhere" else None

    @property
    def problem(self) -> str | None:
        """Why this replica is not ready, beyond "not connected" (/readyz)."""
        if self.refused:
            return "refused the device: this data directory is not the one it was last used from"
        return None

    async def _serve_when_owned(self) -> None:
        """Hold the device while this process owns it; if the ownership is lost, let go of everything at once
        (another replica may have the device by then) and wait to take it back."""
        while not self._stopping:
            await self.lease.acquire()
            try:
                if self.lease.took_over:
                    # An owner whose database session was cut (not killed) notices within one check of its
                    # lease: it stops syncing before this one starts.
                    await asyncio.sleep(self.lease.every)
                try:
                    current = await epoch.take_over(self.directory, self.lease)
                except Exception as exc:  # noqa: BLE001 — the database or the disk hiccuped: ask again
                    log.warning("Matrix: could not check the device's directory (%s); trying again", type(exc).__name__)
                    await self.lease.release()
                    await asyncio.sleep(self.lease.every)
                    continue
                if not current:
                    await self._refuse()
                    continue
                self.refused = False
                await self._connect()
                assert self.dispatcher is not None
                self._feeding = asyncio.create_task(self._feed(self.dispatcher), name="matrix-outbox")
                await self.lease.lost()
                await self._disconnect(drain=False)
                # This process's link to the database just failed: a replica whose link held takes the device
                # first, and this one stands by.
                await asyncio.sleep(2 * self.lease.every)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 — the runner decides what a dead transport means
                log.critical("Matrix: could not take the device over: %s", type(exc).__name__)
                self.failed.set()
                await self._disconnect(drain=False)
                await self.lease.release()
                return

    async def _refuse(self) -> None:
        """This directory is not the one the device was last used from: leave the device to a replica whose
        directory is, and look again later (the operator may mount the shared one)."""
        if not self.refused:
            log.error(
                "Matrix: this replica's data directory (%s) does not hold the device's current keys, which another "
                "replica used last; it will not take the device over. Give every replica the same data directory "
                "(docs/operators.md, section 6)",
                self.directory,
            )
        self.refused = True
        await self.lease.release()
        await asyncio.sleep(REFUSED_WAIT)

    def _committed(self, deliveries: list[Delivery]) -> None:
        mine = [d for d in deliveries if d.platform == PLATFORM]
        if not mine or self.dispatcher is None:
            return  # not the device's owner: the owner takes them from the outbox
        if not self.lease.shared:
            self.dispatcher.enqueue(mine)
            return
        self._held.extend(mine)
        self._wake.set()

    async def _feed(self, dispatcher: Dispatcher) -> None:
        """Hand the Dispatcher this process's commits and what other replicas queued, merged in outbox order: a
        timer's reply committed elsewhere just before a reply here to the same person goes first."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.adopt_every)
            self._wake.clear()
            held, self._held = self._held, []
            try:
                others = await self.writer.adopt(PLATFORM)
            except Exception as exc:  # noqa: BLE001 — the database is away: what was committed here still goes
                log.warning("Matrix: could not read the outbox (%s)", type(exc).__name__)
                others = []
            dispatcher.enqueue(sorted([*others, *held], key=lambda d: d.id))

    async def _connect(self) -> None:
        """Sign in on the device, sync, and send: what the device's owner does."""
        self.ready = asyncio.Event()
        self.state = MatrixState(self.directory / "state.db")
        self.client = await sign_in(self.options, self.directory, self.cipher)
        client, state = self.client, self.state
        self._api = RawApi(self.options.homeserver, client)
        if client.should_upload_keys:
            await client.keys_upload()
        display = await client.get_displayname(client.user_id)
        name = getattr(display, "displayname", None)
        library = self.writer.library
        addressing = Addressing(client.user_id, name, self.options.prefix, known_commands(list(library.dialogues)))
        self.trust = DeviceTrust(client, self._api.call, state, self.options.device_trust)
        self.transport = MatrixTransport(self, self.options)
        self.cross_signing = await cross_sign(self._api, self.options, self.directory, self.cipher)
        self._sync = SyncLoop(
            client,
            state,
            self.options,
            self.writer,
            self.transport,
            EventReader(client, state, addressing, library),
            Invites(client, self.options.allowed_inviters, self.options.retry),
            ready=self.ready,
            failed=self.failed,
            trust=self.trust,
        )
        if state.sync_token is None:
            await self._sync.first_sync()
        else:
            await self._sync.invites.catch_up(self._api.get)
        self.dispatcher = Dispatcher(
            self.transport, self.writer.mark_sent, concurrency=self.options.send_concurrency, retry=self.options.retry
        )
        await self.writer.start()
        if self.lease.shared:
            # Nothing of Matrix is in flight here yet, and no other process sends it: every queued row is ours.
            backlog = await self.writer.adopt(PLATFORM, mine_too=True)
        else:
            backlog = await self.writer.pending(PLATFORM)
        await self.dispatcher.start(backlog)
        self._sync.start()
        log.info("Matrix: signed in, device %s", client.device_id)

    async def stop(self) -> None:
        """Stop reading (after the batch in hand is committed), send what can be sent in time, close."""
        self._stopping = True
        if self._owning is not None:
            self._owning.cancel()
            await asyncio.gather(self._owning, return_exceptions=True)
            self._owning = None
        await self._disconnect(drain=True)
        await self.lease.release()

    async def _disconnect(self, *, drain: bool) -> None:
        """Let go of the device. Without `drain` (the ownership is lost) nothing more is sent from here: what is
        left stays in the outbox for the next owner."""
        if self._sync is not None:
            await self._sync.stop()
        if self._feeding is not None:
            self._feeding.cancel()
            await asyncio.gather(self._feeding, return_exceptions=True)
            self._feeding = None
        held, self._held = self._held, []
        if self.dispatcher is not None:
            if drain:
                self.dispatcher.enqueue(sorted(held, key=lambda d: d.id))  # committed here, not yet handed over
                try:
                    await asyncio.wait_for(self.dispatcher.drain(), self.options.drain_timeout)
                except TimeoutError:
                    log.warning("Matrix: some replies were not sent before shutdown; they stay queued")
            try:
                await self.dispatcher.stop()
            except Exception as exc:  # noqa: BLE001 — marks not written: those replies are sent again, deduplicated
                log.warning("Matrix: could not record the last replies sent (%s)", type(exc).__name__)
            self.dispatcher = None
        if self.transport is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.transport.close(), self.options.drain_timeout if drain else 1.0)
        if self.client is not None:
            await self.client.close()
        if self._api is not None:
            await self._api.close()
        if self.state is not None:
            self.state.close()
        self._sync = None
        self.client = self.transport = self._api = self.state = None

    async def idle(self) -> None:
        """Wait until every reply committed so far is sent (tests).

        The writer hands a batch's replies to the Dispatcher just after its commit: a reader can see the
        commit (the message processed) a moment before they are queued. An empty job through the writer
        first closes that gap: the writer commits it only after every earlier batch was handed over."""
        await self.writer.mark_sent(())
        if self.dispatcher is not None:
            await self.dispatcher.drain()
        if self.transport is not None:
            await self.transport.idle()

    async def wait_synced(self, predicate: Callable[[], bool], timeout: float) -> bool:
        """Wait until a sync makes `predicate` true (a room the bot just created becomes known)."""
        assert self._sync is not None
        return await self._sync.wait_synced(predicate, timeout)

    async def context_for(self, user_key: str | None) -> Context:
        return await self.writer.context_for(PLATFORM, user_key=user_key)

    async def notice_text(self, text_key: str, user_key: str | None) -> str:
        return self.writer.render(text_key, await self.context_for(user_key))
