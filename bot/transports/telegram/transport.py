"""Sending Phare's replies to Telegram: text as HTML, buttons as inline keyboards, files as documents.

Every call goes through the limiter. Failures become DeliveryError so the Dispatcher can wait (429),
back off (network, 5xx) or give up on a chat that cannot receive (403, chat gone). A reply sent in
several parts resumes after the last confirmed part, so a retry never repeats what already arrived.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any, Literal

from telegram import InputFile
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, InvalidToken, NetworkError, RetryAfter, TelegramError

from bot.messages import Attachment, Button, Delivery, Outgoing
from bot.retry import DEFAULT_RETRY, RetryPolicy
from bot.transports.base import DeliveryError, Transport
from bot.transports.telegram.api import PhareBot, PlainValue
from bot.transports.telegram.formatting import CAPTION_LIMIT, split_text, to_html, to_plain, utf16_len
from bot.transports.telegram.keyboards import Keyboard, keyboard
from bot.transports.telegram.limiter import SendLimiter
from bot.transports.telegram.updates import PLATFORM
from dialogues.loader import Library
from dialogues.texts import Context

log = logging.getLogger(__name__)
# python-telegram-bot 22 warns on every rate limit that time periods will become timedelta; opting in now
# (its documented switch) silences that, and retry_seconds reads either form.
os.environ.setdefault("PTB_TIMEDELTA", "true")

PRIVATE_CHAT_PREFIX = "@user:"
FILES_NOTICE = "telegram_files_notice"
NO_PREVIEW = '{"is_disabled":true}'  # LinkPreviewOptions, serialised once
_REMEMBERED = 5_000
_REMOVERS = 4  # concurrent keyboard removals: each waits a round trip, and they are not urgent
_REMOVAL_ATTEMPTS = 2  # a keyboard left in place costs little (see remove_keyboard): not worth a long wait
# Telegram's descriptions for chats Phare can no longer write to; retrying cannot help.
_GONE = (
    "chat not found", "user not found", "peer_id_invalid", "bot was kicked", "bot was blocked",
    "not enough rights", "have no rights", "chat_write_forbidden", "user is deactivated",
    "bot is not a member", "group chat was deleted",
)  # fmt: skip

ContextFor = Callable[[str | None], Awaitable[Context]]


@dataclass(frozen=True)
class _Part:
    kind: Literal["text", "document", "photo"]
    text: str  # light markdown; the caption for a file
    keys: Keyboard | None = None
    attachment: Attachment | None = None


def chat_id_of(chat_key: str) -> int:
    """`@user:<id>` (the person's private chat) and plain chat ids both name a Telegram chat id."""
    raw = chat_key[len(PRIVATE_CHAT_PREFIX) :] if chat_key.startswith(PRIVATE_CHAT_PREFIX) else chat_key
    return int(raw)


def reason(exc: BaseException) -> str:
    """A short cause for the log: Telegram's description up to its details, which may quote a message."""
    text = exc.message if isinstance(exc, TelegramError) else type(exc).__name__
    return ":".join(text.split(":")[:2])[:80]


def retry_seconds(exc: RetryAfter) -> float:
    value = exc.retry_after
    return float(value if isinstance(value, int | float) else value.total_seconds())


def _gone(exc: TelegramError) -> bool:
    return isinstance(exc, Forbidden) or any(cause in exc.message.lower() for cause in _GONE)


class TelegramTransport(Transport):
    platform = PLATFORM
    reads_escapes = True  # to_html shows what people wrote as they wrote it

    def __init__(
        self,
        bot: PhareBot,
        library: Library,
        limiter: SendLimiter,
        *,
        username: str,
        context_for: ContextFor,
        retry: RetryPolicy = DEFAULT_RETRY,
    ) -> None:
        self.bot = bot
        self.library = library
        self.limiter = limiter
        self.username = username
        self._context_for = context_for
        self._plans: dict[str, list[_Part]] = {}
        self._progress: dict[str, int] = {}
        self._open: OrderedDict[int, int] = OrderedDict()  # chat → the message whose keyboard is live
        self._indexed: OrderedDict[tuple[int, int], tuple[Button, ...]] = OrderedDict()
        self._last_was_file: dict[int, bool] = {}
        self._migrated: dict[int, int] = {}
        # Keyboards of questions answered by typing wait here for a few removal workers: a task for each would
        # cost more than the removal itself, and they need no order.
        self._stale: deque[tuple[int, int]] = deque()
        self._stale_wanted = asyncio.Event()
        self._removals_done = asyncio.Event()
        self._removals_done.set()
        self._removing = 0
        self._removers: list[asyncio.Task[None]] = []
        self._retry = retry
        self._removal_retry = retry.with_attempts(_REMOVAL_ATTEMPTS)

    # --- sending ---------------------------------------------------------------------------------------

    async def deliver(self, delivery: Delivery) -> None:
        try:
            chat_id = chat_id_of(delivery.chat_key)
        except ValueError:
            raise DeliveryError("not a Telegram chat", permanent=True) from None
        chat_id = self._migrated.get(chat_id, chat_id)
        try:
            await self._deliver(delivery, chat_id)
        except DeliveryError as exc:
            if exc.permanent:
                self._forget(delivery.id)
            raise
        except RetryAfter as exc:
            raise DeliveryError("Telegram asks to slow down", retry_after=retry_seconds(exc)) from None
        except ChatMigrated as exc:
            self._migrated[chat_id] = exc.new_chat_id
            raise DeliveryError("the group moved to a new chat id", retry_after=0.0) from None
        except TelegramError as exc:
            if _gone(exc):
                self._forget(delivery.id)
                fallback = delivery.message.fallback
                if fallback is not None and delivery.chat_key.startswith(PRIVATE_CHAT_PREFIX):
                    # Someone who never opened a private chat: the writer's discreet group version instead.
                    await self.deliver(
                        replace(delivery, id=delivery.id + "/group", chat_key=delivery.message.fallback_chat,
                                message=fallback)
                    )  # fmt: skip
                    return
                raise DeliveryError(f"chat unreachable: {reason(exc)}", permanent=True) from None
            raise DeliveryError(reason(exc)) from None  # network, 5xx, timeouts: the Dispatcher backs off
        except Exception as exc:  # noqa: BLE001 — the Dispatcher only understands DeliveryError
            log.error("unexpected failure sending a reply: %s", type(exc).__name__)
            raise DeliveryError(type(exc).__name__) from None
        self._forget(delivery.id)

    async def _deliver(self, delivery: Delivery, chat_id: int) -> None:
        plan = self._plans.get(delivery.id)
        if plan is None:
            plan = self._plans[delivery.id] = await self._plan(delivery, chat_id)
        if not plan:
            log.warning("a reply with neither text nor file was not sent")
        asks = bool(plan) and plan[-1].keys is not None and plan[-1].keys.tappable
        for index in range(self._progress.get(delivery.id, 0), len(plan)):
            part = plan[index]
            await self.limiter.acquire(chat_id, delivery.priority)
            try:
                sent = await self._send(chat_id, part)
            except BadRequest as exc:
                if _gone(exc):
                    raise
                # Telegram refuses this part itself (not the chat, not the network): retrying would block
                # every later reply to this person, so it is skipped, loudly.
                log.error("Telegram refused one part of a reply, skipped: %s", reason(exc))
                sent = None
            self._progress[delivery.id] = index + 1
            if sent is not None:
                self._sent(chat_id, part, sent, asks=asks)
        if plan:
            self._last_was_file[chat_id] = plan[-1].kind == "document"

    async def _plan(self, delivery: Delivery, chat_id: int) -> list[_Part]:
        message: Outgoing = delivery.message
        keys = keyboard(message, self.username) if message.buttons or message.scale else None
        attachment = message.attachment
        if attachment is None:
            texts = split_text(message.text)
            parts = [_Part("text", t) for t in texts[:-1]]
            return [*parts, _Part("text", texts[-1], keys)] if texts else []
        parts = []
        kind: Literal["document", "photo"] = "photo" if attachment.kind == "image" else "document"
        if kind == "document" and not self._last_was_file.get(chat_id):
            # Files stay on Telegram's servers, unlike Phare's encrypted store: the person should know.
            context = await self._context_for(delivery.user_id)
            parts.append(_Part("text", self.library.text(FILES_NOTICE).render(context)))
        caption = message.text if utf16_len(message.text) <= CAPTION_LIMIT else ""
        if message.text and not caption:
            parts.extend(_Part("text", t) for t in split_text(message.text))
        parts.append(_Part(kind, caption, keys, attachment))
        return parts

    async def _send(self, chat_id: int, part: _Part) -> int:
        markup = part.keys.markup if part.keys is not None else None
        if part.kind == "text":
            try:
                return await self._send_text(chat_id, to_html(part.text), markup, html=True)
            except BadRequest as exc:
                if _gone(exc):
                    raise
                log.warning("Telegram refused the formatting (%s); sending plain text", reason(exc))
                return await self._send_text(chat_id, to_plain(part.text), markup, html=False)
        assert part.attachment is not None
        method, field = ("sendPhoto", "photo") if part.kind == "photo" else ("sendDocument", "document")
        data: dict[str, Any] = {
            "chat_id": chat_id, field: InputFile(part.attachment.data, filename=part.attachment.filename)
        }  # fmt: skip
        if part.text:
            data.update(caption=to_html(part.text), parse_mode=ParseMode.HTML.value)
        if markup is not None:
            data["reply_markup"] = markup
        # Through the Bot's own request path, which turns the InputFile into a multipart upload.
        result = await self.bot._post(method, data)
        return int(result["message_id"])

    async def _send_text(self, chat_id: int, text: str, markup: str | None, *, html: bool) -> int:
        # Without python-telegram-bot's objects either way: the keyboard is already JSON, and of the answer only
        # the message id is needed.
        data: dict[str, PlainValue] = {"chat_id": chat_id, "text": text, "link_preview_options": NO_PREVIEW}
        if html:
            data["parse_mode"] = ParseMode.HTML.value
        if markup is not None:
            data["reply_markup"] = markup
        result = await self.bot.call("sendMessage", data)
        return int(result["message_id"])

    def _sent(self, chat_id: int, part: _Part, sent: int, *, asks: bool) -> None:
        """Only the latest question in a chat is answered by its buttons.

        A reply that asks a new question with buttons (`asks`, decided by its last part) leaves the previous
        question's keyboard in place: removing it took one more API call for nearly every answer typed, and a tap
        on it later is answered kindly as an earlier question (and then removes it). A reply without buttons of
        its own (the end of an exercise, /cancel, words the crisis check stopped at, a file) means the
        questions are over: the one still open loses its keyboard. A tap removes its own (see `tapped`)."""
        keys = part.keys
        if keys is not None and keys.indexed:
            self._remember(self._indexed, (chat_id, sent), keys.buttons)
        if asks:
            if keys is not None and keys.tappable:
                self._remember(self._open, chat_id, sent)  # the previous one is simply no longer the open one
            return
        previous = self._open.pop(chat_id, None)
        if previous is not None and previous != sent:
            self._stale.append((chat_id, previous))
            self._removals_done.clear()
            self._stale_wanted.set()
            if not self._removers:
                self._removers = [asyncio.create_task(self._remove_stale()) for _ in range(_REMOVERS)]

    def _forget(self, delivery_id: str) -> None:
        self._plans.pop(delivery_id, None)
        self._progress.pop(delivery_id, None)

    @staticmethod
    def _remember(store: OrderedDict[Any, Any], key: Any, value: Any) -> None:
        store[key] = value
        store.move_to_end(key)
        while len(store) > _REMEMBERED:
            store.popitem(last=False)

    # --- taps and keyboards ----------------------------------------------------------------------------

    def button_at(self, chat_id: int, message_id: int, index: int) -> Button | None:
        buttons = self._indexed.get((chat_id, message_id), ())
        return buttons[index] if 0 <= index < len(buttons) else None

    def tapped(self, chat_id: int, message_id: int) -> None:
        """The keyboard of this message is being answered: the next question must not remove it again."""
        if self._open.get(chat_id) == message_id:
            del self._open[chat_id]

    async def answer_tap(self, query_id: str) -> None:
        """Stop the tapped button's spinner, which turns until the query is answered or Telegram gives up on it.

        A 429 is waited out as Telegram asks and an outage (5xx, network) backed off, by the retry policy; a
        refusal (the query is too old, or already answered) is final."""
        attempt = 0
        while True:
            attempt += 1
            try:
                await self.bot.call("answerCallbackQuery", {"callback_query_id": query_id})
                return
            except RetryAfter as exc:
                retry_after: float | None = retry_seconds(exc)
            except (BadRequest, Forbidden, InvalidToken) as exc:  # before NetworkError: BadRequest is one
                log.debug("a tap could not be answered: %s", reason(exc))
                return
            except NetworkError as exc:
                retry_after = None
                log.debug("answering a tap failed (%s); retrying", reason(exc))
            except TelegramError as exc:
                log.debug("a tap could not be answered: %s", reason(exc))
                return
            if self._retry.exhausted(attempt):
                log.warning("a tap was left unanswered after %d attempts", attempt)
                return
            await asyncio.sleep(self._retry.delay(attempt, retry_after=retry_after))

    async def remove_keyboard(self, chat_id: int, message_id: int) -> None:
        """Best effort: a keyboard left in place only costs a stale-button answer if it is tapped."""
        attempt = 0
        while True:
            attempt += 1
            await self.limiter.acquire(chat_id, priority=1)
            try:
                # Without reply_markup, Telegram removes the keyboard; the edited message is not parsed back.
                await self.bot.call("editMessageReplyMarkup", {"chat_id": chat_id, "message_id": message_id})
                return
            except RetryAfter as exc:
                if self._removal_retry.exhausted(attempt):
                    log.debug("keyboard left in place: Telegram still asks to slow down")
                    return
                await asyncio.sleep(self._removal_retry.delay(attempt, retry_after=retry_seconds(exc)))
            except (NetworkError, TelegramError) as exc:
                log.debug("keyboard left in place: %s", reason(exc))
                return

    # --- background work -------------------------------------------------------------------------------

    async def _remove_stale(self) -> None:
        while True:
            if not self._stale:
                if not self._removing:
                    self._removals_done.set()
                self._stale_wanted.clear()
                await self._stale_wanted.wait()
                continue
            chat_id, message_id = self._stale.popleft()
            self._removing += 1
            try:
                await self.remove_keyboard(chat_id, message_id)
            finally:
                self._removing -= 1

    async def idle(self) -> None:
        """Wait until every keyboard waiting for removal has been dealt with."""
        await self._removals_done.wait()

    async def close(self, timeout: float = 5.0) -> None:
        """Remove what can be removed in time; a keyboard left in place is only answered as stale if tapped."""
        try:
            await asyncio.wait_for(self._removals_done.wait(), timeout)
        except TimeoutError:
            log.info("%d keyboard(s) left in place at shutdown", len(self._stale))
        for task in self._removers:
            task.cancel()
        await asyncio.gather(*self._removers, return_exceptions=True)
        self._removers = []
