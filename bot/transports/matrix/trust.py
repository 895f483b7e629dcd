"""Which devices receive the room keys of Phare's encrypted messages.

Nobody verifies a bot's contacts by emoji, so the policy is automatic (PHARE_MATRIX_DEVICE_TRUST):

- `tofu` (default), trust on first use, with cross-signing respected:
  * a person without cross-signing: each of their devices is trusted when Phare first sees it;
  * a person with cross-signing: their master key is pinned the first time Phare sees it, and only the
    devices signed by their self-signing key (itself signed by the pinned master key) receive keys; an
    unsigned device (a session they never verified, or one slipped into their account) gets nothing,
    as Element does since 2026;
  * if their master key changes (they reset their identity, or someone took over their account), the new
    key is pinned and Phare tells them once, in the chat, to contact the operator if it was not them.
- `all`: every device of every member receives the keys (as nio's ignore_unverified_devices does).

The policy applies to the bot's own account too: its other sessions (an operator signed into the bot's
account in Element, say) get keys only if cross-signed.

A verdict is remembered until the homeserver says the person's keys changed (their user id in a sync's
`device_lists.changed`: a new device, a device removed, or a new cross-signing signature, as when they verify
a new phone): the sync loop calls `forget`, and the next message to them asks again. A device whose verdict
changes is marked again, and matrix-nio then starts a new encryption session in that person's rooms: shared
with a device just verified, withheld from one no longer trusted.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from nio import AsyncClient, MatrixRoom
from nio.crypto import OlmDevice

from bot.transports.matrix.crosssign import Call, device_signed, key_of
from bot.transports.matrix.state import MatrixState

log = logging.getLogger(__name__)

POLICIES = ("tofu", "all")


@dataclass(frozen=True)
class Identity:
    master: str | None  # None: the person has no cross-signing
    signed: frozenset[tuple[str, str]]  # (device id, ed25519 key) of the devices their identity signed


def members(room: MatrixRoom) -> set[str]:
    """Joined and invited members: an invited third person already makes a direct chat a group."""
    return set(room.users) | set(room.invited_users)


class DeviceTrust:
    def __init__(self, client: AsyncClient, call: Call, state: MatrixState, policy: str = "tofu") -> None:
        if policy not in POLICIES:
            raise ValueError(f"PHARE_MATRIX_DEVICE_TRUST must be one of {', '.join(POLICIES)}, not {policy!r}")
        self.client = client
        self.call = call
        self.state = state
        self.policy = policy
        self._cache: dict[str, tuple[frozenset[tuple[str, str]], Identity]] = {}
        # Bumped by forget(): a keys query that was under way when the keys changed is not remembered.
        self._generation: dict[str, int] = {}

    def forget(self, user_ids: Iterable[str]) -> None:
        """Their keys changed on the homeserver: ask again before the next message to them."""
        for user_id in user_ids:
            self._cache.pop(user_id, None)
            self._generation[user_id] = self._generation.get(user_id, 0) + 1

    async def prepare(self, room: MatrixRoom) -> list[tuple[str, str]]:
        """Mark every member's devices trusted or excluded before a message to this encrypted room.
        Returns (member, new master key) for those whose identity changed since it was pinned (to be told)."""
        if self.policy == "all":
            return []
        changed: list[tuple[str, str]] = []
        for user_id in sorted(members(room)):
            devices = [d for d in self.client.device_store.active_user_devices(user_id)
                       if d.id != self.client.device_id]  # fmt: skip
            if not devices:
                continue
            identity = await self._identity(user_id, devices)
            if identity is None:
                continue
            if identity.master is not None:
                pinned = self.state.get(f"pin:{user_id}")
                if pinned is None:
                    self.state.put(f"pin:{user_id}", identity.master)
                elif pinned != identity.master:
                    log.warning("Matrix: a member's cross-signing identity changed; pinned the new one")
                    self.state.put(f"pin:{user_id}", identity.master)
                    if user_id != self.client.user_id:
                        changed.append((user_id, identity.master))
            for device in devices:
                self._apply(device, identity.master is None or (device.id, device.ed25519) in identity.signed)
        return changed

    def _apply(self, device: OlmDevice, trusted: bool) -> None:
        # Each change of mark makes matrix-nio drop its sessions in this person's encrypted rooms: the
        # next message starts a new one, shared with the devices trusted then.
        if trusted:
            if device.blacklisted:
                self.client.unblacklist_device(device)
            if not device.verified:
                self.client.verify_device(device)
        elif not device.blacklisted:
            self.client.blacklist_device(device)

    async def _identity(self, user_id: str, devices: list[OlmDevice]) -> Identity | None:
        fingerprint = frozenset((d.id, d.ed25519) for d in devices)
        cached = self._cache.get(user_id)
        if cached is not None and cached[0] == fingerprint:
            return cached[1]
        generation = self._generation.get(user_id, 0)
        try:
            status, body = await self.call("POST", "/_matrix/client/v3/keys/query", {"device_keys": {user_id: []}})
        except Exception as exc:  # noqa: BLE001 — no answer: keep the devices' previous state this time
            log.warning("Matrix: could not query a member's keys (%s)", type(exc).__name__)
            return None
        if status != 200:
            return None
        identity = _identity_from(body, user_id)
        if self._generation.get(user_id, 0) == generation:
            self._cache[user_id] = (fingerprint, identity)
        return identity


def _identity_from(body: dict[str, Any], user_id: str) -> Identity:
    master = body.get("master_keys", {}).get(user_id)
    ssk = body.get("self_signing_keys", {}).get(user_id)
    if master is None:
        return Identity(None, frozenset())
    signed: set[tuple[str, str]] = set()
    for device_id, device in body.get("device_keys", {}).get(user_id, {}).items():
        if ssk is not None and device_signed(device, user_id, master, ssk):
            ed25519 = device.get("keys", {}).get(f"ed25519:{device_id}")
            if isinstance(ed25519, str):
                signed.add((device_id, ed25519))
    return Identity(key_of(master), frozenset(signed))
