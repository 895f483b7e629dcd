"""Sending Phare's replies to Matrix rooms: notices with HTML, options as a list plus keycap reactions,
files as (encrypted) media.

Exactly once: every event is sent with a transaction id derived from the outbox delivery id (`<id>` for
the message, `<id>.r<n>` for its reactions, `<id>.f` for its file). A resend after a crash, or a retry
after a timeout whose request did arrive, reuses the same ids on the same device, and the homeserver
answers with the event it already has instead of posting it twice.

Failures become DeliveryError: 429 carries the homeserver's retry_after_ms so the Dispatcher waits and
retries in order; network errors are retried with backoff; a room the bot was removed from is permanent.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from nio import (
    ErrorResponse,
    LocalProtocolError,
    RoomCreateError,
    RoomGetStateResponse,
    RoomPreset,
    RoomSendResponse,
    UploadResponse,
)

from bot.core.jobs import private_chat
from bot.messages import Attachment, Delivery
from bot.transports.base import DeliveryError, Transport
from bot.transports.matrix.formatting import KEYCAPS, answer_buttons, content
from bot.transports.matrix.options import MatrixOptions
from bot.transports.matrix.session import NETWORK
from bot.transports.matrix.trust import members

if TYPE_CHECKING:
    from nio import AsyncClient

    from bot.transports.matrix.state import MatrixState
    from bot.transports.matrix.trust import DeviceTrust


class Session(Protocol):
    """What the transport needs of the Matrix service that owns the connection (bot/transports/matrix/service.py)."""

    client: AsyncClient | None
    state: MatrixState | None
    trust: DeviceTrust | None
    ready: asyncio.Event

    async def notice_text(self, text_key: str, user_key: str | None) -> str: ...

    async def wait_synced(self, predicate: Callable[[], bool], timeout: float) -> bool: ...


log = logging.getLogger(__name__)

PLATFORM = "matrix"
PRIVATE_CHAT_PREFIX = private_chat("")
_REACTION_ATTEMPTS = 5  # the keycaps are shortcuts (typing the number answers too): not worth a long wait
FILES_NOTICE = "matrix_files_unencrypted"
_PERMANENT = ("M_FORBIDDEN", "M_NOT_FOUND", "M_UNKNOWN_TOKEN_FOREVER")
ENCRYPTION = {"type": "m.room.encryption", "state_key": "", "content": {"algorithm": "m.megolm.v1.aes-sha2"}}


def _error(response: ErrorResponse, what: str) -> DeliveryError:
    code = response.status_code or "error"
    if code == "M_LIMIT_EXCEEDED" or response.retry_after_ms:
        retry = (response.retry_after_ms or 1000) / 1000
        return DeliveryError(f"{what}: rate limited", retry_after=retry)
    return DeliveryError(f"{what}: {code}", permanent=code in _PERMANENT)


class MatrixTransport(Transport):
    platform = PLATFORM
    reads_escapes = True  # formatting.to_html shows what people wrote as they wrote it

    def __init__(self, service: Session, options: MatrixOptions) -> None:
        self.service = service
        self.options = options
        self._direct_locks: dict[str, asyncio.Lock] = {}
        self._reactions: dict[str, asyncio.Task[None]] = {}
        self.last_sent: dict[str, str] = {}  # room → the last event Phare posted there
        self._reaction_retry = options.retry.with_attempts(_REACTION_ATTEMPTS)

    @property
    def _client(self) -> Any:
        assert self.service.client is not None
        return self.service.client

    @property
    def _state(self) -> Any:
        assert self.service.state is not None
        return self.service.state

    # --- delivery --------------------------------------------------------------------------------------------

    async def deliver(self, delivery: Delivery) -> None:
        try:
            await self._deliver(delivery)
        except DeliveryError:
            raise
        except Exception as exc:  # the Dispatcher only knows DeliveryError: retried, kept queued, never lost
            log.error("Matrix: sending failed with %s", type(exc).__name__)
            raise DeliveryError(f"unexpected {type(exc).__name__}") from exc

    async def _deliver(self, delivery: Delivery) -> None:
        if not self.service.ready.is_set():
            await asyncio.wait_for(self.service.ready.wait(), 120)
        room_id = await self.room_for(delivery.chat_key)
        room = self._client.rooms.get(room_id)
        if room is None:
            # Rooms are known from the first sync on; a room id Phare is not in is one it was removed from.
            raise DeliveryError("not in this room any more", permanent=True)
        if len(members(room)) < 2:
            raise DeliveryError("nobody left in this chat", permanent=True)
        message = delivery.message
        body = content(message, bot_link=f"https://matrix.to/#/{self._client.user_id}")
        if body is not None:
            event_id = await self._send(room_id, "m.room.message", body, delivery.id)
            buttons = answer_buttons(message)
            self._state.shown(room_id, event_id, buttons)
            if buttons:
                self._react_later(room_id, event_id, min(len(buttons), len(KEYCAPS)), delivery.id)
        if message.attachment is not None:
            if not room.encrypted:
                # Once a day per room is enough of a reminder (an export is two files, a break a chart).
                partner = delivery.chat_key.removeprefix(PRIVATE_CHAT_PREFIX)
                day = datetime.now(UTC).date().isoformat()
                await self.notice(room_id, FILES_NOTICE, partner if partner != delivery.chat_key else None,
                                  key=f"files:{room_id}:{day}")  # fmt: skip
            await self._send_file(room_id, room.encrypted, message.attachment, f"{delivery.id}.f")

    def _react_later(self, room_id: str, event_id: str, count: int, delivery_id: str) -> None:
        """The keycap shortcuts under a question, sent after it, one room at a time and in order, but
        without holding up the next message (each event costs a homeserver commit). They are a
        convenience: if they fail, typing the number or the label still answers."""
        previous = self._reactions.get(room_id)
        retry = self._reaction_retry

        async def run() -> None:
            if previous is not None:
                await asyncio.gather(previous, return_exceptions=True)
            for index in range(count):
                reaction = {"m.relates_to": {"rel_type": "m.annotation", "event_id": event_id, "key": KEYCAPS[index]}}
                attempt = 0
                while True:
                    attempt += 1
                    try:
                        await self._send(room_id, "m.reaction", reaction, f"{delivery_id}.r{index}")
                        break
                    except DeliveryError as exc:
                        if exc.permanent:
                            return
                        if retry.exhausted(attempt):
                            log.warning("Matrix: gave up on an option shortcut")
                            return
                        await asyncio.sleep(retry.delay(attempt, exc.retry_after))

        task = asyncio.create_task(run(), name="matrix-reactions")
        self._reactions[room_id] = task

        def done(finished: asyncio.Task[None]) -> None:
            if self._reactions.get(room_id) is finished:
                del self._reactions[room_id]

        task.add_done_callback(done)

    async def idle(self) -> None:
        while self._reactions:
            await asyncio.gather(*self._reactions.values(), return_exceptions=True)

    async def close(self) -> None:
        await self.idle()

    async def _send(self, room_id: str, event_type: str, body: dict[str, Any], txn: str) -> str:
        client = self._client
        room = client.rooms.get(room_id)
        changed: list[tuple[str, str]] = []
        if room is not None and room.encrypted:
            try:
                if client.should_query_keys:  # a member's new device must be known before the room key goes out
                    await client.keys_query()
                if self.service.trust is not None:
                    changed = await self.service.trust.prepare(room)
            except NETWORK as exc:
                raise DeliveryError(f"network: {type(exc).__name__}") from exc
        try:
            # Devices the trust policy excluded are blacklisted: nio shares the room key with the others.
            response = await client.room_send(room_id, event_type, body, tx_id=txn, ignore_unverified_devices=True)
        except NETWORK as exc:
            raise DeliveryError(f"network: {type(exc).__name__}") from exc
        except LocalProtocolError as exc:
            raise DeliveryError(f"not ready to send: {type(exc).__name__}") from exc
        if not isinstance(response, RoomSendResponse):
            raise _error(response, "send")
        self.last_sent[room_id] = str(response.event_id)
        for user_id, master in changed:
            await self.notice(room_id, "matrix_identity_changed", user_id, key=f"identity:{room_id}:{user_id}:{master}")
        return str(response.event_id)

    async def _send_file(self, room_id: str, encrypted: bool, attachment: Attachment, txn: str) -> None:
        """In an encrypted room the file is encrypted before upload: the media repository only ever holds
        ciphertext, and the key travels inside the (encrypted) event, as `file` instead of `url`."""
        data = attachment.data
        try:
            # nio uploads without a timeout: a stalled upload must not hold this chat's queue forever.
            uploaded, keys = await asyncio.wait_for(
                self._client.upload(
                    io.BytesIO(data),
                    content_type=attachment.mime,
                    filename=attachment.filename,
                    encrypt=encrypted,
                    filesize=len(data),
                ),
                120,
            )
        except NETWORK as exc:
            raise DeliveryError(f"upload: {type(exc).__name__}") from exc
        if not isinstance(uploaded, UploadResponse):
            raise _error(uploaded, "upload")
        body: dict[str, Any] = {
            "msgtype": "m.image" if attachment.kind == "image" else "m.file",
            "body": attachment.filename,
            "filename": attachment.filename,
            "info": {"mimetype": attachment.mime, "size": len(data)},
        }
        if encrypted:
            assert keys is not None
            body["file"] = {"url": uploaded.content_uri, "mimetype": attachment.mime, **keys}
        else:
            body["url"] = uploaded.content_uri
        await self._send(room_id, "m.room.message", body, txn)

    async def notice(
        self, room_id: str, text_key: str, user_key: str | None, *, key: str, txn: str | None = None
    ) -> None:
        """A transport's own notice, at most once per `key` (sent, then marked; a crash in between resends
        it with the same transaction id, which the homeserver deduplicates)."""
        state = self._state
        if state.noticed(key):
            return
        text = await self.service.notice_text(text_key, user_key)
        body = content_of(text)
        try:
            await self._send(room_id, "m.room.message", body, txn or _txn(key))
        except DeliveryError as exc:
            log.warning("Matrix: a notice could not be sent (%s)", exc)
            return
        state.mark_noticed(key)

    # --- rooms ------------------------------------------------------------------------------------------------

    async def room_for(self, chat_key: str) -> str:
        """The room for a chat key: `@user:<id>` is the person's direct chat, found or created, and checked
        on the homeserver right before the send (see direct_room); anything else is a room id (a group's),
        where what the core addressed to the room is posted."""
        if chat_key.startswith(PRIVATE_CHAT_PREFIX):
            return await self.direct_room(chat_key[len(PRIVATE_CHAT_PREFIX) :])
        return chat_key

    def _is_direct_with(self, room_id: str, user_id: str) -> bool:
        room = self._client.rooms.get(room_id)
        return room is not None and members(room) == {self._client.user_id, user_id}

    async def _still_direct(self, room_id: str, user_id: str) -> bool:
        """Whether the homeserver, now, has just Phare and this person joined or invited in the room. The
        synced state can be a moment behind (a third person invited just before a reply goes out): a
        personal message is checked against the server itself right before it is sent."""
        try:
            response = await self._client.room_get_state(room_id)
        except NETWORK as exc:
            raise DeliveryError(f"room members: {type(exc).__name__}") from exc
        if not isinstance(response, RoomGetStateResponse):
            error = _error(response, "room members")
            if error.permanent:
                return False  # Phare is no longer in that room: not this person's direct chat any more
            raise error
        now = {
            str(event.get("state_key"))
            for event in response.events
            if event.get("type") == "m.room.member"
            and (event.get("content") or {}).get("membership") in ("join", "invite")
        }
        if now != {self._client.user_id, user_id}:
            log.info("Matrix: a direct chat has become a group; personal messages go to another direct chat")
            return False
        return True

    async def direct_room(self, user_id: str) -> str:
        """The room where this person last wrote to Phare in private, if it is still just the two of
        them (on the homeserver, not only in the last sync); else another such room; else a new encrypted
        direct chat, to which Phare invites them."""
        lock = self._direct_locks.setdefault(user_id, asyncio.Lock())
        async with lock:
            state, client = self._state, self._client
            known = state.direct_room(user_id)
            if known and self._is_direct_with(known, user_id) and await self._still_direct(known, user_id):
                return str(known)
            room = client.rooms.get(known) if known else None
            if room is not None and members(room) == {client.user_id}:
                # They left their direct chat with Phare: that is a choice to respect, not to undo.
                raise DeliveryError("the person left the direct chat", permanent=True)
            candidates = [
                r for r in client.rooms.values() if r.room_id != known and self._is_direct_with(r.room_id, user_id)
            ]
            for chosen in sorted(candidates, key=lambda r: (r.encrypted, r.room_id), reverse=True):
                if await self._still_direct(chosen.room_id, user_id):
                    state.set_direct(user_id, chosen.room_id)
                    return str(chosen.room_id)
            try:
                created = await client.room_create(
                    is_direct=True,
                    invite=[user_id],
                    preset=RoomPreset.trusted_private_chat,
                    initial_state=[ENCRYPTION] if self.options.encrypt_new_rooms else [],
                )
            except NETWORK as exc:
                raise DeliveryError(f"create room: {type(exc).__name__}") from exc
            if isinstance(created, RoomCreateError):
                raise _error(created, "create room")
            room_id = str(created.room_id)
            state.set_direct(user_id, room_id)
            # Sending needs the room's state (encryption, members) from a sync.
            if not await self.service.wait_synced(lambda: self._is_direct_with(room_id, user_id), 30):
                raise DeliveryError("new direct chat not synced yet")
            return room_id


def content_of(text: str) -> dict[str, Any]:
    from bot.messages import Outgoing

    body = content(Outgoing(text))
    assert body is not None
    return body


def _txn(key: str) -> str:
    import hashlib

    return "n" + hashlib.sha256(key.encode()).hexdigest()[:32]
