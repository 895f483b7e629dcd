"""Telegram updates as platform-neutral Incoming messages; what Phare must not answer is dropped here.

Updates are read as the Bot API's JSON objects, not as python-telegram-bot's Update: Phare needs a dozen
fields of them, and building the full object tree cost as much as the rest of a step. Every field is read
with its type checked, so an update of an unexpected shape is skipped (by the caller), never half-read.

Message ids are stable across redeliveries (the writer drops one it has already processed):
`m<chat>:<message>` for a message, `e<chat>:<message>:<edit date>:<update id>` for an edit, `c<query id>` for a
tap (in a group, only a score tapped under a round's question reaches the writer). An edit needs its update's id:
edit_date counts whole seconds, and two edits of one message in the same second are two things the person wrote
(the second may be the one that says they are not safe), whereas a redelivered update keeps its id. A member
joining or leaving a group is `m<chat>:<message>/joined/<member>` (one message may add several people) or, from a
chat_member update, `u<chat>:<update>/left/<member>`. Telegram sends both for one change when Phare administers
the group (the message may be hidden by the group's settings, and the update only comes to an administrator):
"joined" and "left" state a membership, and the same one may come twice.

In a group, a command for Phare names who sent it; whether that person administers the group is not in the
update: the service asks Telegram (`admin_of`) before the message goes to the writer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.core.jobs import ROUND_PREFIX
from bot.messages import Button, Incoming, InputKind
from bot.transports.telegram.keyboards import decode

PLATFORM = "telegram"
_GROUPS = ("group", "supergroup")

RawUpdate = Mapping[str, Any]
ResolveIndex = Callable[[int, int, int], Button | None]

# What a message may carry instead of text, in the order that decides its kind. An animation also fills
# `document`, but it is not a file the person meant to share, so it is checked first.
_KINDS: tuple[tuple[str, InputKind], ...] = (
    ("sticker", "sticker"), ("photo", "photo"), ("voice", "voice"), ("audio", "voice"),
    ("video_note", "voice"), ("animation", "other"), ("document", "document"), ("location", "location"),
    ("venue", "location"), ("video", "other"), ("contact", "other"), ("dice", "other"), ("game", "other"),
    ("poll", "other"), ("invoice", "other"), ("story", "other"), ("paid_media", "other"),
    ("successful_payment", "other"), ("passport_data", "other"), ("checklist", "other"),
)  # fmt: skip


class UnreadableUpdate(ValueError):
    """A field Phare relies on is missing or of the wrong type."""


@dataclass(frozen=True)
class TapReceipt:
    """A tapped button: the query must be answered, and the tapped message's keyboard (if named) removed."""

    query_id: str
    chat_id: int | None
    message_id: int | None


@dataclass(frozen=True)
class Received:
    incoming: Incoming | None
    tap: TapReceipt | None = None
    # (chat id, user id): a command in a group, whose `admin` the service sets from getChatMember.
    admin_of: tuple[int, int] | None = None
    also: tuple[Incoming, ...] = ()  # more members who joined by the same message
    # (chat id, user id): this person's membership or rights changed (a chat_member update), even with nothing
    # for the writer (an admin promoted or demoted): what was known of their admin status is out of date.
    changed: tuple[int, int] | None = None

    @property
    def incomings(self) -> tuple[Incoming, ...]:
        return (self.incoming, *self.also) if self.incoming is not None else self.also


def _now() -> datetime:
    return datetime.now(UTC)


# Updates arrive as parsed JSON, whose objects are dicts: a type test settles those before the slower test against
# Mapping (an abstract class), for the four objects read from every update.
def _object(parent: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = parent.get(key)
    if type(value) is not dict and not isinstance(value, Mapping):
        raise UnreadableUpdate(key)
    return value


def _optional_object(parent: Mapping[str, Any], key: str) -> Mapping[str, Any] | None:
    value = parent.get(key)
    return value if type(value) is dict or isinstance(value, Mapping) else None


def _int(parent: Mapping[str, Any], key: str) -> int:
    value = parent.get(key)
    if type(value) is not int:  # bool is an int subclass, and no id is a bool
        raise UnreadableUpdate(key)
    return value


def _optional_str(parent: Mapping[str, Any], key: str) -> str | None:
    value = parent.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise UnreadableUpdate(key)
    return value


class UpdateReader:
    def __init__(self, bot_id: int, username: str, resolve: ResolveIndex, clock: Callable[[], datetime] = _now) -> None:
        self.bot_id = bot_id
        self.username = username.lower()
        self._resolve = resolve
        self._clock = clock

    def read(self, update: RawUpdate) -> Received | None:
        """What to do with an update; None for anything Phare ignores (channel posts, service messages).

        Raises UnreadableUpdate when a field Phare needs is missing or malformed."""
        if type(update) is not dict and not isinstance(update, Mapping):
            raise UnreadableUpdate("update")
        if "callback_query" in update:
            return self._tap(_object(update, "callback_query"))
        if "message" in update:
            return self._message(_object(update, "message"))
        if "edited_message" in update:
            return self._message(_object(update, "edited_message"), edit=_int(update, "update_id"))
        if "chat_member" in update:
            return self._member_update(_object(update, "chat_member"), _int(update, "update_id"))
        return None

    def _message(self, message: Mapping[str, Any], *, edit: int | None = None) -> Received | None:
        """`edit` is the update id of an edited message (None for a new one)."""
        edited = edit is not None
        chat = _object(message, "chat")
        user = _optional_object(message, "from")
        chat_type = chat.get("type")
        if not edited and chat_type in _GROUPS and ("new_chat_members" in message or "left_chat_member" in message):
            return self._membership(message, chat)
        if user is None or user.get("is_bot") is True or chat_type == "channel":
            return None
        chat_id, user_id, message_number = _int(chat, "id"), _int(user, "id"), _int(message, "message_id")
        private = chat_type == "private"
        kind: InputKind = "text"
        text = _optional_str(message, "text")
        if text is None:
            found = _kind(message)
            if found is None:
                return None  # a service message: a pin, a title change
            kind, text = found, _optional_str(message, "caption")  # a caption is read by the safety check too
        if not private and (kind != "text" or not (self._addressed(text) or self._answers_me(message))):
            return None  # privacy in groups: only commands for Phare and replies to Phare are read (edits too:
            # the safety check reads them; the writer takes no other action on an edit)
        if edited and kind != "text":
            return None
        if edited:
            stamp = message.get("edit_date")
            message_id = f"e{chat_id}:{message_number}:{stamp if type(stamp) is int else 0}:{edit}"
        else:
            message_id = f"m{chat_id}:{message_number}"
        incoming = Incoming(
            platform=PLATFORM,
            user_key=str(user_id),
            chat_key=str(chat_id),
            message_id=message_id,
            received_at=self._clock(),
            text=text,
            private=private,
            locale=_optional_str(user, "language_code"),
            kind=kind,
            edited=edited,
            chat_title=None if private else _optional_str(chat, "title"),
        )
        command = not private and not edited and self._addressed(text)  # an edit is never acted on
        return Received(incoming, admin_of=(chat_id, user_id) if command else None)

    def _membership(self, message: Mapping[str, Any], chat: Mapping[str, Any]) -> Received | None:
        """People added to or leaving a group, as a service message says (Phare itself is not a member here)."""
        chat_id, message_number = _int(chat, "id"), _int(message, "message_id")
        if "new_chat_members" in message:
            people = message.get("new_chat_members")
            if not isinstance(people, list) or not all(isinstance(p, Mapping) for p in people):
                raise UnreadableUpdate("new_chat_members")
            kind: InputKind = "joined"
        else:
            people, kind = [_object(message, "left_chat_member")], "left"
        found = [self._member_event(kind, chat, p, f"m{chat_id}:{message_number}") for p in people]
        events = tuple(e for e in found if e is not None)
        return Received(events[0], also=events[1:]) if events else None

    def _member_update(self, update: Mapping[str, Any], update_id: int) -> Received | None:
        """A chat_member update (sent to administrators only): someone's membership changed, whoever changed it."""
        chat = _object(update, "chat")
        if chat.get("type") not in _GROUPS:
            return None
        old, new = _object(update, "old_chat_member"), _object(update, "new_chat_member")
        person, chat_id = _object(new, "user"), _int(chat, "id")
        changed = (chat_id, _int(person, "id"))
        was, now = _is_member(old), _is_member(new)
        if was == now:
            return Received(None, changed=changed)  # promoted, demoted, restricted: no one came or went
        kind: InputKind = "joined" if now else "left"
        return Received(self._member_event(kind, chat, person, f"u{chat_id}:{update_id}"), changed=changed)

    def _member_event(
        self, kind: InputKind, chat: Mapping[str, Any], person: Mapping[str, Any], base: str
    ) -> Incoming | None:
        if person.get("is_bot") is True:
            return None  # Phare or another bot: not a member of a supervision group
        person_id = _int(person, "id")
        return Incoming(
            platform=PLATFORM,
            user_key=str(person_id),
            chat_key=str(_int(chat, "id")),
            message_id=f"{base}/{kind}/{person_id}",
            received_at=self._clock(),
            private=False,
            locale=_optional_str(person, "language_code"),
            kind=kind,
            chat_title=_optional_str(chat, "title"),
        )

    def _addressed(self, text: str | None) -> bool:
        if not text or not text.startswith("/"):
            return False
        head = text[1:].split(maxsplit=1)[0] if len(text) > 1 and not text[1].isspace() else ""
        name, _, target = head.partition("@")
        return bool(name) and (not target or target.lower() == self.username)

    def _answers_me(self, message: Mapping[str, Any]) -> bool:
        replied = _optional_object(message, "reply_to_message")
        author = _optional_object(replied, "from") if replied is not None else None
        return author is not None and author.get("id") == self.bot_id

    def _tap(self, query: Mapping[str, Any]) -> Received:
        query_id = _optional_str(query, "id")
        user = _object(query, "from")
        user_id = _int(user, "id")
        if not query_id:
            raise UnreadableUpdate("id")
        # The tapped message may be "inaccessible" (date 0, no content) but still names its chat and id.
        message = _optional_object(query, "message")
        chat = _object(message, "chat") if message is not None else None
        chat_id = _int(chat, "id") if chat is not None else None
        message_id = _int(message, "message_id") if message is not None else None
        receipt = TapReceipt(query_id, chat_id, message_id)
        # Data Phare could not have sent becomes a tap on a button of no question: the writer answers it
        # as a stale button, kindly, and changes nothing.
        option, ref = "", None
        data = query.get("data")
        tap = decode(data) if isinstance(data, str) else None
        if tap is not None and tap.index is None:
            option, ref = tap.option or "", tap.ref
        elif tap is not None and tap.index is not None and chat_id is not None and message_id is not None:
            button = self._resolve(chat_id, message_id, tap.index)
            if button is not None:
                option, ref = button.id, button.ref
        chat_type = chat.get("type") if chat is not None else "private"
        group = chat_type != "private"
        if group:
            if chat_id is None or chat_type not in _GROUPS or not option.startswith(ROUND_PREFIX):
                return Received(None, receipt)  # only a round's scores are tapped in a group: answered, dropped
            # A score is one member's answer under a question for all: its keyboard stays for the others (the
            # round's end removes it), so the receipt names no message.
            receipt = TapReceipt(query_id, None, None)
        incoming = Incoming(
            platform=PLATFORM,
            user_key=str(user_id),
            chat_key=str(chat_id if chat_id is not None else user_id),
            message_id=f"c{query_id}",
            received_at=self._clock(),
            option=option,
            ref=ref,
            private=not group,
            locale=_optional_str(user, "language_code"),
            kind="option",
            chat_title=_optional_str(chat, "title") if group and chat is not None else None,
        )
        return Received(incoming, receipt)


def _is_member(member: Mapping[str, Any]) -> bool:
    """Whether a ChatMember is in the chat: a restricted one says so itself; "left" and "kicked" are not."""
    status = member.get("status")
    if not isinstance(status, str):
        raise UnreadableUpdate("status")
    if status == "restricted":
        return member.get("is_member") is True
    return status in ("creator", "administrator", "member")


def _kind(message: Mapping[str, Any]) -> InputKind | None:
    for key, kind in _KINDS:
        if message.get(key):
            return kind
    return None
