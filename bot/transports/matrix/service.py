"""Phare on Matrix: a sync loop in, the Dispatcher and MatrixTransport out, end-to-end encryption throughout.

This module wires the parts together and owns their lifecycle: session.py signs in and cross-signs the
device, sync.py reads events (and catches up after downtime), incoming.py turns them into Incoming
messages, invites.py answers invitations, transport.py sends the replies.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable
from pathlib import Path

from nio import AsyncClient

from bot.outbox import Dispatcher
from bot.transports.base import Inbox
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


class MatrixService:
    """One Matrix account, one device. `start()`, `stop()`, `failed` (set when the sync loop cannot go on)."""

    def __init__(self, writer: Inbox, options: MatrixOptions, data_dir: Path, cipher: Sealer) -> None:
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

    async def start(self) -> None:
        quiet_libraries()
        self.directory.mkdir(parents=True, exist_ok=True)
        os.chmod(self.directory, 0o700)
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
        self.writer.on_commit(self.dispatcher.enqueue)
        await self.writer.start()
        await self.dispatcher.start(await self.writer.pending(PLATFORM))
        self._sync.start()
        log.info("Matrix: signed in, device %s", client.device_id)

    async def stop(self) -> None:
        """Stop reading (after the batch in hand is committed), send what can be sent in time, close."""
        if self._sync is not None:
            await self._sync.stop()
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
        if self._api is not None:
            await self._api.close()
        if self.state is not None:
            self.state.close()

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
