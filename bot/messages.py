"""Platform-neutral messages: transports translate to and from these, nothing else crosses the boundary."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

# "joined" and "left": a member joined or left the group chat `chat_key` (`user_key` is that member, no text).
InputKind = Literal["text", "option", "sticker", "photo", "voice", "document", "location", "other", "joined", "left"]


@dataclass(frozen=True)
class Incoming:
    platform: str
    user_key: str
    chat_key: str
    message_id: str  # stable across redeliveries: the writer drops one it has already processed
    received_at: datetime
    text: str | None = None
    option: str | None = None  # id of a tapped button
    ref: str | None = None  # the button's reference (run and step it was shown at), checked, never trusted
    private: bool = True
    locale: str | None = None
    kind: InputKind = "text"
    edited: bool = False
    # The person's own words when `text` is a rewrite (Matrix's "!phare …" or a mention made a command): the
    # safety check reads what they wrote, not the command it became.
    said: str | None = None
    # In a group: whether the sender administers it (Telegram: creator or administrator; Matrix: power level
    # >= 50), as the transport found it when the message arrived. Group settings and the session timer need it.
    admin: bool = False
    chat_title: str | None = None  # a group's name as the platform shows it (to tell groups apart in private)
    # In a group, for a message addressed to Phare: who is in the room (platform ids), where the platform tells
    # (Matrix). Members who were there before Phare can then answer a round in private; Telegram cannot list a
    # group's members, and its members answer a round by tapping in the group.
    members: tuple[str, ...] = ()

    @property
    def words(self) -> str | None:
        """What the safety check reads."""
        return self.said if self.said is not None else self.text


@dataclass(frozen=True)
class Button:
    id: str
    label: str
    ref: str = ""


@dataclass(frozen=True)
class Attachment:
    filename: str
    mime: str
    data: bytes
    kind: Literal["image", "file"] = "file"


@dataclass(frozen=True)
class Outgoing:
    """One message for a chat. `text` is light markup (dialogues/markup.py): *bold*, _italic_, and a backslash
    before a marker shown as it is (what people wrote is escaped so); transports render it."""

    text: str
    buttons: tuple[Button, ...] = ()
    scale: tuple[int, int] | None = None  # a number answer: transports may show a keypad
    scale_ref: str = ""
    attachment: Attachment | None = None
    scheduled: bool = False  # a check-in the user did not ask for just now: it should notify
    safety: str = ""  # "urgent", "crisis" or "check" when the reply carries crisis lines (transcripts, metrics)
    # Where to post `fallback` instead when the chat cannot be reached (Telegram: a person who never opened a
    # private chat with the bot gets the crisis lines discreetly in the group they wrote in).
    fallback_chat: str = ""
    fallback: Outgoing | None = None
    # The person's data has just been erased (/forget): a transport deletes what it keeps of them itself (the
    # console's saved exports and charts, decrypted on disk).
    erase: bool = False
    # Meant for a group (a supervision reminder, the agenda, a round's aggregate): everything else is personal,
    # and a transport never posts a personal message in a room that has become a group.
    group: bool = False

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = _Stored(self, t=self.text)
        if self.buttons:
            data["b"] = [[b.id, b.label, b.ref] for b in self.buttons]
        if self.scale:
            data["s"] = [self.scale[0], self.scale[1], self.scale_ref]
        if self.attachment:
            a = self.attachment
            data["a"] = [a.filename, a.mime, base64.b64encode(a.data).decode(), a.kind]
        if self.scheduled:
            data["n"] = 1
        if self.safety:
            data["y"] = self.safety
        if self.fallback is not None:
            data["f"] = [self.fallback_chat, self.fallback.to_dict()]
        if self.erase:
            data["e"] = 1
        if self.group:
            data["g"] = 1
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Outgoing:
        if type(data) is _Stored:
            return data.message  # queued by this process: the message it was made from
        attachment = None
        if "a" in data:
            name, mime, blob, kind = data["a"]
            attachment = Attachment(name, mime, base64.b64decode(blob), kind)
        scale = (data["s"][0], data["s"][1]) if "s" in data else None
        return cls(
            text=data["t"],
            buttons=tuple(Button(*b) for b in data.get("b", [])),
            scale=scale,
            scale_ref=data["s"][2] if "s" in data else "",
            attachment=attachment,
            scheduled=bool(data.get("n")),
            safety=data.get("y", ""),
            fallback_chat=data["f"][0] if "f" in data else "",
            fallback=cls.from_dict(data["f"][1]) if "f" in data else None,
            erase=bool(data.get("e")),
            group=bool(data.get("g")),
        )


class _Stored(dict[str, Any]):
    """A reply as queued in the outbox, remembering the message it was made from: the writer hands each reply to the
    transports right after its commit, and building it again from this dict cost more than the rest of that hand-over.
    The message is frozen and a queued dict is never changed in place (bot/reads.py replaces its placeholders)."""

    __slots__ = ("message",)

    def __init__(self, message: Outgoing, **stored: Any) -> None:
        super().__init__(**stored)
        self.message = message


@dataclass(frozen=True)
class Delivery:
    """An outgoing message with where it goes and its outbox id (the key for at-most-once marking)."""

    id: str
    platform: str
    chat_key: str
    message: Outgoing
    priority: int = 0
    user_id: str | None = field(default=None, compare=False)
