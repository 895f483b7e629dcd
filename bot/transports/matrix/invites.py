"""Invitations to rooms: joined from the allow-list, declined from anyone else.

- Every invite a sync brings is answered, whenever it comes: a room Phare was kicked from and is invited to
  again is joined again. (Stripped invite state carries no event id: an incremental sync lists a room
  under `invite` only when a new invite came, so a room is answered once per sync batch; a batch read
  again after a failure is not answered twice.)
- An answer that fails and may succeed later (network, 429, 5xx) is tried again in the background with
  the retry policy's waits, until it succeeds, fails for good (403, 404: the invite was withdrawn) or a
  sync shows the room joined or left.
- At start, the invites still waiting are caught up from a sync without a token (an incremental sync only
  lists invites newer than its token, and an invite Phare failed to answer before a restart is older).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from nio import AsyncClient, ErrorResponse, LocalProtocolError, SyncResponse

from bot.retry import RetryPolicy
from bot.transports.matrix.inbound import inviter_allowed
from bot.transports.matrix.session import NETWORK

log = logging.getLogger(__name__)

# (path, query parameters) → (HTTP status, JSON body); the caller adds the access token.
Get = Callable[[str, dict[str, str]], Awaitable[tuple[int, dict[str, Any]]]]

# Answers that trying again cannot change: the invite was withdrawn, the room is gone, Phare is banned.
PERMANENT = frozenset({"M_FORBIDDEN", "M_NOT_FOUND", "M_UNKNOWN_TOKEN", "M_BAD_JSON", "M_NOT_JSON",
                       "M_INVALID_PARAM", "M_UNSUPPORTED_ROOM_VERSION", "M_INCOMPATIBLE_ROOM_VERSION"})  # fmt: skip

# Only the invites: no timeline, no state, no account data of the joined rooms.
_INVITES_ONLY = {
    "presence": {"not_types": ["*"]},
    "account_data": {"not_types": ["*"]},
    "room": {
        "timeline": {"limit": 0},
        "state": {"not_types": ["*"]},
        "ephemeral": {"not_types": ["*"]},
        "account_data": {"not_types": ["*"]},
    },
}


@dataclass(frozen=True)
class _Failure:
    reason: str
    retry_after: float | None = None


class Invites:
    def __init__(self, client: AsyncClient, allowed_inviters: tuple[str, ...], retry: RetryPolicy) -> None:
        self.client = client
        self.allowed = allowed_inviters or (f"*:{client.user_id.partition(':')[2]}",)
        self.retry = retry
        self._since: str | None = None
        self._answered: set[str] = set()  # rooms whose invite this batch (`_since`) brought, answered
        self._retrying: dict[str, asyncio.Task[None]] = {}

    async def answer(self, response: SyncResponse, since: str | None = None) -> None:
        """Answer the invites of a sync batch read from the token `since`."""
        if since != self._since:
            self._since, self._answered = since, set()
        # Joined after all, or left (a decline done, an invite withdrawn): nothing to try again. Before the
        # new invites: a room left and invited to again in one batch is answered again.
        for room_id in (*response.rooms.join, *response.rooms.leave):
            task = self._retrying.pop(room_id, None)
            if task is not None:
                task.cancel()
        for room_id in response.rooms.invite:
            if room_id in self._answered or room_id in self._retrying:
                continue
            self._answered.add(room_id)
            room = self.client.invited_rooms.get(room_id)
            await self._answer(room_id, getattr(room, "inviter", None))

    async def catch_up(self, get: Get) -> None:
        """Answer the invites waiting since before this start (those older than the saved token too)."""
        params = {"timeout": "0", "filter": json.dumps(_INVITES_ONLY, separators=(",", ":"))}
        try:
            status, body = await get("/_matrix/client/v3/sync", params)
        except NETWORK as exc:
            log.warning("Matrix: could not look for waiting invites (%s); new ones are answered", type(exc).__name__)
            return
        if status != 200:
            log.warning("Matrix: could not look for waiting invites (HTTP %s); new ones are answered", status)
            return
        invited = body.get("rooms", {}).get("invite", {})
        for room_id, info in invited.items() if isinstance(invited, dict) else ():
            if room_id not in self._retrying:
                await self._answer(room_id, _inviter(info, self.client.user_id))

    async def stop(self) -> None:
        tasks = list(self._retrying.values())
        self._retrying.clear()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _answer(self, room_id: str, inviter: str | None) -> None:
        welcome = inviter_allowed(inviter, self.allowed)
        failure = await self._attempt(room_id, welcome)
        if failure is not None:
            task = asyncio.create_task(self._again(room_id, welcome, failure), name="matrix-invite")
            self._retrying[room_id] = task

    async def _again(self, room_id: str, welcome: bool, failure: _Failure) -> None:
        attempt = 0
        try:
            while True:
                attempt += 1
                delay = self.retry.delay(attempt, failure.retry_after)
                log.warning("Matrix: could not answer an invite (%s); trying again in %.1f s", failure.reason, delay)
                await asyncio.sleep(delay)
                again = await self._attempt(room_id, welcome)
                if again is None:
                    return
                failure = again
        finally:
            if self._retrying.get(room_id) is asyncio.current_task():
                del self._retrying[room_id]

    async def _attempt(self, room_id: str, welcome: bool) -> _Failure | None:
        """Join or decline (leaving an invited room declines it); a failure worth trying again, or None."""
        client = self.client
        try:
            answer = await (client.join(room_id) if welcome else client.room_leave(room_id))
        except (*NETWORK, LocalProtocolError) as exc:
            return _Failure(type(exc).__name__)
        if isinstance(answer, ErrorResponse):
            code = str(answer.status_code)
            if code in PERMANENT:
                log.warning("Matrix: an invite could not be answered (%s); it is not tried again", code)
                return None
            return _Failure(code, answer.retry_after_ms / 1000 if answer.retry_after_ms else None)
        if not welcome:
            log.info("Matrix: declined an invite from outside the allow-list")
        return None


def _inviter(info: Any, me: str) -> str | None:
    """Who invited `me`, from a raw sync's invite_state (the invite event is the member event for me)."""
    events = info.get("invite_state", {}).get("events", []) if isinstance(info, dict) else []
    for event in events if isinstance(events, list) else []:
        if not isinstance(event, dict) or event.get("type") != "m.room.member" or event.get("state_key") != me:
            continue
        if (event.get("content") or {}).get("membership") == "invite" and isinstance(event.get("sender"), str):
            return str(event["sender"])
    return None
