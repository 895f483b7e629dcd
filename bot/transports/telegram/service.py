"""Phare on Telegram: updates in (polling or webhook), replies out (Dispatcher → transport → limiter)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import cast

from telegram.error import TelegramError
from telegram.request import BaseRequest, HTTPXRequest

from bot.config import Settings
from bot.messages import Incoming
from bot.outbox import Dispatcher
from bot.ownership import Lease
from bot.retry import DEFAULT_RETRY, RetryPolicy
from bot.transports.base import Inbox
from bot.transports.telegram.api import PhareBot
from bot.transports.telegram.limiter import Limits, SendLimiter
from bot.transports.telegram.members import ChatAdmins
from bot.transports.telegram.menu import publish_menu
from bot.transports.telegram.polling import Poller, StepsNotStored
from bot.transports.telegram.redact import install_redaction
from bot.transports.telegram.transport import TelegramTransport, reason
from bot.transports.telegram.updates import PLATFORM, RawUpdate, Received, TapReceipt, UpdateReader
from bot.transports.telegram.webhook import WebhookConfig, WebhookIntake, webhook_secret
from dialogues.texts import Context, Locale

log = logging.getLogger(__name__)

DEFAULT_API = "https://api.telegram.org/bot"


@dataclass(frozen=True)
class TelegramOptions:
    token: str
    base_url: str | None = None  # a local Bot API server (or a test double) instead of api.telegram.org
    webhook: WebhookConfig | None = None
    limits: Limits = field(default_factory=Limits)
    poll_timeout: float = 25.0
    send_concurrency: int = 16
    drain_timeout: float = 10.0  # at shutdown; what is not sent by then stays queued for the next start
    retry: RetryPolicy = DEFAULT_RETRY  # sends, polling and keyboard edits alike
    admin_ttl: float = 60.0  # how long a group member's admin status is taken as known


def file_url(base_url: str) -> str:
    """The Bot API serves files under /file/bot<token>/ next to /bot<token>/."""
    head, sep, _ = base_url.rpartition("/bot")
    return f"{head}/file/bot" if sep else base_url


class TelegramService:
    def __init__(self, writer: Inbox, options: TelegramOptions, *, lease: Lease | None = None) -> None:
        self.writer = writer
        self.options = options
        # Polling is one connection per bot: with several replicas, only the lease's owner polls (bot/ownership.py).
        # Every replica sends, and every one serves a webhook.
        self.lease = lease or Lease(None, f"telegram bot {bot_id(options.token)}")
        self._stopping = False
        # Before the Bot exists: python-telegram-bot logs its API URLs, token included, as it is built.
        install_redaction(options.token, *([options.webhook.secret] if options.webhook else []))
        base_url = options.base_url or DEFAULT_API
        pool = options.send_concurrency * 2 + 8  # sends, keyboard edits and callback answers at once
        self.bot = PhareBot(
            options.token,
            base_url=base_url,
            base_file_url=file_url(base_url),
            request=http_request(connection_pool_size=pool, pool_timeout=30.0, read_timeout=30.0),
            get_updates_request=http_request(connection_pool_size=2, read_timeout=10.0),
        )
        self.limiter = SendLimiter(options.limits)
        self.admins = ChatAdmins(self.bot, ttl=options.admin_ttl)
        self.transport: TelegramTransport | None = None
        self.dispatcher: Dispatcher | None = None
        self._reader: UpdateReader | None = None
        self._poller: Poller | None = None
        self._poll_task: asyncio.Task[None] | None = None
        self._webhook: WebhookIntake | None = None
        self._steps: set[asyncio.Future[None]] = set()  # queued to the writer, not yet committed
        self._taps: set[asyncio.Task[None]] = set()
        self.failed: asyncio.Event = asyncio.Event()

    # --- lifecycle -------------------------------------------------------------------------------------

    async def start(self) -> None:
        await self.bot.initialize()  # getMe: checks the token, gives the username for /cmd@name in groups
        username = self.bot.username
        if self.writer.bot_username is None:
            self.writer.bot_username = username
        library = self.writer.library
        await publish_menu(self.bot, library, cast(Locale, self._locale(self.writer.default_locale)))
        self.transport = TelegramTransport(
            self.bot, library, self.limiter, username=username, context_for=self._context_for, retry=self.options.retry
        )
        self._reader = UpdateReader(self.bot.id, username, self.transport.button_at)
        self.dispatcher = Dispatcher(
            self.transport, self.writer.mark_sent, concurrency=self.options.send_concurrency, retry=self.options.retry
        )
        self.writer.on_commit(self.dispatcher.enqueue)
        await self.writer.start()
        await self.dispatcher.start(await self.writer.pending(PLATFORM))
        if self.options.webhook is not None:
            self._webhook = WebhookIntake(self.bot, self.handle, self.options.webhook)
            await self._webhook.start()
            log.info("Telegram: @%s receives updates by webhook on %s:%d", username,
                     self.options.webhook.listen, self.options.webhook.port)  # fmt: skip
        else:
            self._poll_task = asyncio.create_task(self._poll_when_owned(), name="telegram-poll")

    def connection(self) -> str | None:
        """Where this bot's updates are read, for /readyz; None while that is not settled yet."""
        if self.options.webhook is not None:
            return "webhook served here"
        if self.lease.state == "owned":
            return "polling here" if self._poller is not None else None
        return f"polling {self.lease.describe()}" if self.lease.state == "elsewhere" else None

    async def _poll_when_owned(self) -> None:
        """Poll while this process owns the bot's polling; give it up if the ownership is lost, and wait to
        take it back (another replica may have it by then)."""
        while not self._stopping:
            await self.lease.acquire()
            try:
                await self.bot.delete_webhook(drop_pending_updates=False)  # polling and a webhook exclude each other
                poller = Poller(self.bot, self.handle, timeout=self.options.poll_timeout, retry=self.options.retry)
                self._poller = poller
                log.info("Telegram: @%s polls for updates", self.bot.username)
                polling = asyncio.create_task(poller.run(), name="telegram-poller")
                lost = asyncio.create_task(self.lease.lost(), name="telegram-lease")
                await asyncio.wait((polling, lost), return_when=asyncio.FIRST_COMPLETED)
                if not polling.done():  # the lock went with the database session: another replica may poll now
                    poller.stop()
                    await asyncio.gather(polling, return_exceptions=True)
                    self._poller = None
                    continue
                lost.cancel()
                await asyncio.gather(lost, return_exceptions=True)
                polling.result()  # stopped on purpose, or raised why it could not go on
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 — the runner decides what a dead intake means
                log.critical("Telegram polling stopped: %s", reason(exc))
                self.failed.set()
                return
            finally:
                if self._stopping or self.failed.is_set():
                    await self.lease.release()

    async def stop(self) -> None:
        """Stop reading, finish the steps already read, send what can be sent in time, then close."""
        self._stopping = True
        if self._poll_task is not None:
            if self._poller is not None:
                self._poller.stop()  # finishes the batch in hand first
            else:
                self._poll_task.cancel()  # still waiting for the ownership
            await asyncio.gather(self._poll_task, return_exceptions=True)
        await self.lease.release()
        if self._webhook is not None:
            await self._webhook.stop()
        await asyncio.gather(*self._steps, return_exceptions=True)
        if self.dispatcher is not None:
            try:
                await asyncio.wait_for(self.dispatcher.drain(), self.options.drain_timeout)
            except TimeoutError:
                log.warning("some replies were not sent before shutdown; they stay queued for the next start")
            await self.dispatcher.stop()
        if self._taps:
            _, late = await asyncio.wait(self._taps, timeout=5.0)
            for task in late:  # a tap still waiting out Telegram's 429s: its spinner stops on its own
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        if self.transport is not None:
            await self.transport.close()
        with contextlib.suppress(TelegramError):
            await self.bot.shutdown()

    async def idle(self) -> None:
        """Wait until every step read so far is committed and every resulting reply and edit is done."""
        while True:
            await asyncio.gather(*self._steps, *self._taps, return_exceptions=True)
            if self.dispatcher is not None:
                await self.dispatcher.drain()
            if self.transport is not None:
                await self.transport.idle()
            if not self._steps and not self._taps:
                return

    # --- updates in ------------------------------------------------------------------------------------

    async def handle(self, updates: Sequence[RawUpdate]) -> None:
        """Commit these updates' steps (in order per person, people in parallel); raise if one failed."""
        assert self._reader is not None
        steps: list[asyncio.Future[None]] = []
        for update in updates:
            try:
                received = self._reader.read(update)
            except Exception as exc:  # noqa: BLE001 — one odd update must not stop the others
                update_id = update.get("update_id") if isinstance(update, Mapping) else None
                log.error("skipped update %s that could not be read: %s", update_id, type(exc).__name__)
                continue
            if received is None:
                continue
            step = None
            for incoming in await self._completed(received):
                step = self._submit(incoming)
                steps.append(step)
            if received.tap is not None:
                self._after_tap(received.tap, step)
        failed = False
        for step in steps:  # all are queued already: awaiting them one by one waits for the last commit
            try:
                await step
            except Exception:  # noqa: BLE001 — logged by _stored; the batch is read again
                failed = True
        if failed:
            raise StepsNotStored()

    async def _completed(self, received: Received) -> tuple[Incoming, ...]:
        """What the reader could not tell from the update itself: whether a group command's sender is an admin.
        Awaited before the next update is queued, so each person's messages keep their order."""
        incomings = received.incomings
        if received.changed is not None:
            self.admins.forget(*received.changed)
        for incoming in incomings:
            if incoming.kind in ("joined", "left"):
                self.admins.forget(int(incoming.chat_key), int(incoming.user_key))
        if received.admin_of is None or received.incoming is None:
            return incomings
        admin = await self.admins.is_admin(*received.admin_of)
        return (replace(received.incoming, admin=admin), *received.also)

    def _submit(self, incoming: Incoming) -> asyncio.Future[None]:
        """Queue this step now: the writer commits in queue order, so each person's steps keep Telegram's."""
        step = self.writer.enqueue(incoming)
        self._steps.add(step)
        step.add_done_callback(self._stored)
        return step

    def _stored(self, step: asyncio.Future[None]) -> None:
        self._steps.discard(step)
        if not step.cancelled() and step.exception() is not None:
            log.error("a step could not be stored: %s", type(step.exception()).__name__)

    def _after_tap(self, tap: TapReceipt, step: asyncio.Future[None] | None) -> None:
        assert self.transport is not None
        transport = self.transport
        # Only Phare's own questions lose their keyboard: in a group, a (forged) tap must not strip the link
        # button of a redirect.
        where = None
        if step is not None and tap.chat_id is not None and tap.message_id is not None:
            where = (tap.chat_id, tap.message_id)
        if where is not None:
            transport.tapped(*where)

        async def after_step() -> None:
            if step is not None:
                with contextlib.suppress(Exception):
                    await step
            if where is not None:
                await transport.remove_keyboard(*where)

        async def answer() -> None:
            # The spinner stops at once (retried through 429s and outages); the keyboard goes once the step is in.
            await asyncio.gather(transport.answer_tap(tap.query_id), after_step())

        task = asyncio.create_task(answer())
        self._taps.add(task)
        task.add_done_callback(self._taps.discard)

    # --- texts -----------------------------------------------------------------------------------------

    def _locale(self, value: str | None) -> str:
        return "en" if value and not value.lower().startswith("fr") else "fr"

    async def _context_for(self, user_id: str | None) -> Context:
        return await self.writer.context_for(PLATFORM, user_id=user_id)


def http_request(*, connection_pool_size: int, read_timeout: float, pool_timeout: float = 1.0) -> BaseRequest:
    """aiohttp's client when it is installed (the telegram extra brings it): it costs a sixth of HTTPX's CPU a
    request (bot/transports/telegram/http.py)."""
    try:
        from bot.transports.telegram.http import AiohttpRequest
    except ImportError:
        return HTTPXRequest(
            connection_pool_size=connection_pool_size, read_timeout=read_timeout, pool_timeout=pool_timeout
        )
    return AiohttpRequest(
        connection_pool_size=connection_pool_size, read_timeout=read_timeout, pool_timeout=pool_timeout
    )


def bot_id(token: str) -> str:
    """The bot's numeric id: the part of its token before the colon (not secret; the part after is)."""
    return token.split(":", 1)[0]


def options_from(settings: Settings) -> TelegramOptions:
    if settings.telegram_token is None:
        raise ValueError("PHARE_TELEGRAM_TOKEN is not set")
    webhook = None
    if settings.telegram_webhook_url:
        configured = settings.telegram_webhook_secret
        webhook = WebhookConfig(
            url=settings.telegram_webhook_url,
            secret=webhook_secret(configured.get_secret_value() if configured else None),
            listen=settings.telegram_webhook_listen,
            port=settings.telegram_webhook_port,
        )
    limits = Limits(
        overall_per_second=settings.telegram_rate_overall,
        private_per_second=settings.telegram_rate_private,
        group_per_minute=settings.telegram_rate_group,
    )
    return TelegramOptions(
        token=settings.telegram_token.get_secret_value(),
        base_url=settings.telegram_base_url,
        webhook=webhook,
        limits=limits,
        retry=settings.retry,
    )
