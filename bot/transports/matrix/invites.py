"""Invitations to rooms: joined from the allow-list, declined from anyone else."""

from __future__ import annotations

import logging

from nio import AsyncClient, ErrorResponse, LocalProtocolError, SyncResponse

from bot.transports.matrix.inbound import inviter_allowed
from bot.transports.matrix.session import NETWORK

log = logging.getLogger(__name__)


class Invites:
    def __init__(self, client: AsyncClient, allowed_inviters: tuple[str, ...]) -> None:
        self.client = client
        self.allowed = allowed_inviters or (f"*:{client.user_id.partition(':')[2]}",)
        # A batch that failed is read again, invites included: each is answered once.
        self._answered: set[str] = set()

    async def answer(self, response: SyncResponse) -> None:
        """Join invites from the allow-list; decline the others (leaving an invited room declines it). One
        that fails stays listed by the homeserver and is tried again at the next sync."""
        client = self.client
        for room_id in response.rooms.invite:
            if room_id in self._answered:
                continue
            room = client.invited_rooms.get(room_id)
            inviter = getattr(room, "inviter", None)
            welcome = inviter_allowed(inviter, self.allowed)
            try:
                answer = await (client.join(room_id) if welcome else client.room_leave(room_id))
            except (*NETWORK, LocalProtocolError) as exc:
                log.warning("Matrix: could not answer an invite (%s); trying again later", type(exc).__name__)
                continue
            if isinstance(answer, ErrorResponse):
                log.warning("Matrix: could not answer an invite (%s); trying again later", answer.status_code)
                continue
            self._answered.add(room_id)
            if not welcome:
                log.info("Matrix: declined an invite from outside the allow-list")
