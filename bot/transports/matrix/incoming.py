"""Synced Matrix events as Incoming messages for the writer, with the room's membership as it was then.

inbound.py holds the pure rules (what a message says, whether it is addressed to Phare); this module
applies them with what only the running bot knows: its own id, the options it showed in each room, and
which room is whose direct chat.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from nio import AsyncClient, Event, MatrixRoom, RoomGetStateResponse

from bot.core.jobs import private_chat
from bot.messages import Incoming
from bot.transports.matrix.formatting import reaction_index
from bot.transports.matrix.inbound import (
    Addressing,
    membership_change,
    personal,
    private_command,
    read_message,
)
from bot.transports.matrix.session import NETWORK
from bot.transports.matrix.transport import PLATFORM
from bot.transports.matrix.trust import members
from bot.transports.numbering import match_button

if TYPE_CHECKING:
    from bot.transports.matrix.state import MatrixState
    from dialogues.loader import Library

log = logging.getLogger(__name__)

ADMIN_LEVEL = 50
# Before room version 12 a room's creators are ordinary users with power levels (100 at creation, but they can
# be demoted); from 12 on they are above all levels and are not listed in m.room.power_levels at all.
_LEVELS_ONLY = frozenset(str(v) for v in range(1, 12))


def is_admin(room: MatrixRoom, user_id: str, creators: frozenset[str] = frozenset()) -> bool:
    """A group's administrator, for Phare: power level 50 or more, or one of the room's creators where
    the room version makes them so."""
    if user_id in creators and room.room_version not in _LEVELS_ONLY:
        return True
    return int(room.power_levels.get_user_level(user_id)) >= ADMIN_LEVEL


@dataclass
class Pending:
    """An event collected during a sync, with the room's membership as it was at that event."""

    room_id: str
    event: Event
    private: bool
    members: int


@dataclass
class Batch:
    events: list[Pending] = field(default_factory=list)
    joined: dict[str, str] = field(default_factory=dict)  # room → our join event, for greetings


class EventReader:
    def __init__(self, client: AsyncClient, state: MatrixState, addressing: Addressing, library: Library) -> None:
        self.client = client
        self.state = state
        self.addressing = addressing
        self.library = library
        self.creators: dict[str, frozenset[str]] = {}  # room → its creators (never change): asked once

    async def learn_creators(self, room_ids: Iterable[str]) -> None:
        """The creators of these rooms, from their m.room.create event (nio keeps neither its sender nor
        `additional_creators`). Without them, only power levels count (a warning says so)."""
        for room_id in set(room_ids) - self.creators.keys():
            room = self.client.rooms.get(room_id)
            if room is None or room.room_version in _LEVELS_ONLY:
                continue
            try:
                response = await self.client.room_get_state(room_id)
            except NETWORK as exc:
                log.warning("Matrix: a room's creators could not be read (%s)", type(exc).__name__)
                continue
            if not isinstance(response, RoomGetStateResponse):
                log.warning("Matrix: a room's creators could not be read (%s)", response.status_code)
                continue
            for event in response.events:
                if event.get("type") == "m.room.create":
                    extra = (event.get("content") or {}).get("additional_creators") or []
                    found = {str(event.get("sender", "")), *(str(u) for u in extra if isinstance(u, str))}
                    self.creators[room_id] = frozenset(found - {""})

    def incoming(self, pending: Pending) -> list[Incoming]:
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
            "received_at": datetime.now(UTC),
            "private": pending.private,
        }
        content = source.get("content") or {}
        if kind_of == "m.room.member":
            return self._membership(pending, content)
        if pending.private:
            self.state.set_direct(event.sender, room_id)
        else:
            room = self.client.rooms.get(room_id)
            if room is not None:
                base["admin"] = is_admin(room, event.sender, self.creators.get(room_id, frozenset()))
                base["chat_title"] = room.display_name
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
        mentioned = not pending.private and self.addressing.mentioned(addressed)
        text = self.addressing.command(read.text, private=pending.private, mentioned=mentioned)
        if text is None:
            return []
        # The safety check reads the person's words, not the command they may have become ("phare: …").
        words = self.addressing.words(read.text, mentioned=mentioned)
        said = words if words != text else None
        if read.edited:
            return [Incoming(**base, text=text, said=said, edited=True)]
        if pending.private:
            chosen = match_button(text, self.state.current_buttons(room_id))
            if chosen is not None:
                return [Incoming(**base, option=chosen.id, ref=chosen.ref, kind="option")]
            return [Incoming(**base, text=text, said=said)]
        room = self.client.rooms.get(room_id)
        present = tuple(sorted(members(room) - {self.client.user_id})) if room is not None else ()
        jobs = [Incoming(**base, text=text, said=said, members=present)]
        if personal(text):
            # The writer answers in the group with a pointer to a private chat; Phare opens that chat
            # itself and carries the command there (the delivery to "@user:…" finds or creates it).
            jobs.append(
                replace(
                    jobs[0],
                    chat_key=private_chat(event.sender),
                    message_id=f"{event.event_id}/private",
                    text=private_command(text, self.library.dialogues),
                    said="",  # the group message itself was checked: one crisis reply, not two
                    private=True,
                    members=(),
                )
            )
        return jobs

    def _membership(self, pending: Pending, content: dict[str, object]) -> list[Incoming]:
        """A member joined or left a group room (never Phare itself: sync.py keeps its own joins apart)."""
        event = pending.event
        member = event.source.get("state_key")
        if not isinstance(member, str) or member == self.client.user_id:
            return []
        previous = (event.source.get("unsigned", {}).get("prev_content") or {}).get("membership")
        kind = membership_change(content, previous, pending.members)
        if kind is None:
            return []
        room = self.client.rooms.get(pending.room_id)
        return [
            Incoming(
                platform=PLATFORM,
                user_key=member,
                chat_key=pending.room_id,
                message_id=event.event_id,
                received_at=datetime.now(UTC),
                private=False,
                kind=kind,
                admin=room is not None and is_admin(room, member, self.creators.get(pending.room_id, frozenset())),
                chat_title=room.display_name if room is not None else None,
            )
        ]

    def greeting(self, room_id: str, join_event: str, batch: Batch) -> Incoming | None:
        """Phare joined a direct chat: it speaks first (onboarding for a newcomer, the menu otherwise),
        unless the person has already written since."""
        room = self.client.rooms.get(room_id)
        if room is None or len(members(room)) != 2:
            return None
        if room.name:
            # A named room is a group being set up (its creator invites Phare first, the others next): nothing
            # personal is posted there, not even a greeting that would land just before the others come in.
            return None
        if any(p.room_id == room_id for p in batch.events):
            return None
        partner = next(iter(members(room) - {self.client.user_id}))
        self.state.set_direct(partner, room_id)
        return Incoming(
            platform=PLATFORM,
            user_key=partner,
            chat_key=private_chat(partner),
            message_id=join_event,
            received_at=datetime.now(UTC),
            text="/start",
            private=True,
        )
