"""Telegram updates as platform-neutral Incoming messages; what Phare must not answer is dropped here.

Message ids are stable across redeliveries (the router drops one it has already processed):
`m<chat>:<message>` for a message, `e<chat>:<message>:<edit date>` for an edit, `c<query id>` for a tap.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from telegram import CallbackQuery, Message, Update
from telegram.constants import ChatType

from bot.messages import Button, Incoming, InputKind
from bot.telegram.keyboards import decode

PLATFORM = "telegram"

ResolveIndex = Callable[[int, int, int], Button | None]


@dataclass(frozen=True)
class TapReceipt:
    """A tapped button: the query must be answered, and the tapped message's keyboard removed."""

    query_id: str
    chat_id: int | None
    message_id: int | None


@dataclass(frozen=True)
class Received:
    incoming: Incoming | None
    tap: TapReceipt | None = None


def _now() -> datetime:
    return datetime.now(UTC)


class UpdateReader:
    def __init__(self, bot_id: int, username: str, resolve: ResolveIndex, clock: Callable[[], datetime] = _now) -> None:
        self.bot_id = bot_id
        self.username = username.lower()
        self._resolve = resolve
        self._clock = clock

    def read(self, update: Update) -> Received | None:
        """What to do with an update; None for anything Phare ignores (channel posts, service messages)."""
        if update.callback_query is not None:
            return self._tap(update.callback_query)
        if update.message is not None:
            return self._message(update.message, edited=False)
        if update.edited_message is not None:
            return self._message(update.edited_message, edited=True)
        return None

    def _message(self, message: Message, *, edited: bool) -> Received | None:
        chat, user = message.chat, message.from_user
        if user is None or user.is_bot or chat.type == ChatType.CHANNEL:
            return None
        private = chat.type == ChatType.PRIVATE
        kind: InputKind = "text"
        text = message.text
        if text is None:
            found = _kind(message)
            if found is None:
                return None  # a service message: someone joined, a pin, a title change
            kind, text = found, message.caption  # a caption is read by the safety check like any text
        if not private and (kind != "text" or edited or not (self._addressed(text) or self._answers_me(message))):
            return None  # privacy in groups: only commands for Phare and replies to Phare are read
        if edited and kind != "text":
            return None
        if edited:
            stamp = int(message.edit_date.timestamp()) if message.edit_date else 0
            message_id = f"e{chat.id}:{message.message_id}:{stamp}"
        else:
            message_id = f"m{chat.id}:{message.message_id}"
        incoming = Incoming(
            platform=PLATFORM,
            user_key=str(user.id),
            chat_key=str(chat.id),
            message_id=message_id,
            received_at=self._clock(),
            text=text,
            private=private,
            locale=user.language_code,
            kind=kind,
            edited=edited,
        )
        return Received(incoming)

    def _addressed(self, text: str | None) -> bool:
        if not text or not text.startswith("/"):
            return False
        head = text[1:].split(maxsplit=1)[0] if len(text) > 1 and not text[1].isspace() else ""
        name, _, target = head.partition("@")
        return bool(name) and (not target or target.lower() == self.username)

    def _answers_me(self, message: Message) -> bool:
        replied = message.reply_to_message
        return replied is not None and replied.from_user is not None and replied.from_user.id == self.bot_id

    def _tap(self, query: CallbackQuery) -> Received:
        message = query.message
        chat_id = message.chat.id if message is not None else None
        message_id = message.message_id if message is not None else None
        receipt = TapReceipt(query.id, chat_id, message_id)
        if message is not None and message.chat.type != ChatType.PRIVATE:
            return Received(None, receipt)  # Phare posts no tappable buttons in groups: nothing to do
        # Data Phare could not have sent becomes a tap on a button of no question: the router answers it
        # as a stale button, kindly, and changes nothing.
        option, ref = "", None
        tap = decode(query.data)
        if tap is not None and tap.index is None:
            option, ref = tap.option or "", tap.ref
        elif tap is not None and tap.index is not None and chat_id is not None and message_id is not None:
            button = self._resolve(chat_id, message_id, tap.index)
            if button is not None:
                option, ref = button.id, button.ref
        incoming = Incoming(
            platform=PLATFORM,
            user_key=str(query.from_user.id),
            chat_key=str(chat_id if chat_id is not None else query.from_user.id),
            message_id=f"c{query.id}",
            received_at=self._clock(),
            option=option,
            ref=ref,
            private=True,
            locale=query.from_user.language_code,
            kind="option",
        )
        return Received(incoming, receipt)


def _kind(message: Message) -> InputKind | None:
    if message.sticker is not None:
        return "sticker"
    if message.photo:
        return "photo"
    if message.voice is not None or message.audio is not None or message.video_note is not None:
        return "voice"
    if message.animation is not None:
        return "other"  # an animation also fills `document`: it is not a file the person meant to share
    if message.document is not None:
        return "document"
    if message.location is not None or message.venue is not None:
        return "location"
    if message.effective_attachment is not None:
        return "other"
    return None
