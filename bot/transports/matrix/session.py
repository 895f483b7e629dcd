"""The bot's Matrix session: signing in (or back in) on one device, raw API calls, cross-signing that device.

`session.json` keeps the access token, the device id and the crypto store's pickle key, so a restart is
the same device with the same keys; a signed-out session signs in again and is cross-signed with the
same identity (see crosssign.py), so people see no change.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import os
from pathlib import Path
from typing import Any

import aiohttp
from nio import AsyncClient, AsyncClientConfig, LoginResponse, WhoamiError

import bot.transports.matrix.crosssign as crosssign
from bot.transports.matrix.options import MatrixOptions, MatrixStartError
from bot.transports.matrix.secrets import Sealer, SecretFile

log = logging.getLogger(__name__)

NETWORK = (aiohttp.ClientError, asyncio.TimeoutError, TimeoutError, OSError)


def random_key() -> str:
    """A fresh key for matrix-nio's store (32 random bytes, URL-safe base64)."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode("ascii")


def new_client(options: MatrixOptions, directory: Path, user_id: str, device_id: str, pickle_key: str) -> AsyncClient:
    store = directory / "store"
    store.mkdir(exist_ok=True)
    config = AsyncClientConfig(
        encryption_enabled=True,
        pickle_key=pickle_key,  # the olm account and sessions are encrypted at rest with it
        store_sync_tokens=False,  # nio saves the token before callbacks run; Phare saves it after commit
        max_limit_exceeded=0,  # a 429 comes back to Phare, whose Dispatcher waits and retries in order
        max_timeouts=0,  # so do network errors: Phare's retry policy paces the sync loop and the Dispatcher
        request_timeout=30,
    )
    return AsyncClient(options.homeserver, user_id, device_id, str(store), config)


async def sign_in(options: MatrixOptions, directory: Path, cipher: Sealer) -> AsyncClient:
    """A client signed in on the bot's device: the saved session, the configured token, or the password."""
    opts = options
    session_file = SecretFile(directory / "session.json", cipher)
    saved = session_file.read() or {}
    if opts.access_token:
        probe = AsyncClient(opts.homeserver)
        probe.access_token = opts.access_token
        who = await probe.whoami()
        await probe.close()
        if isinstance(who, WhoamiError) or not who.device_id:
            raise MatrixStartError("PHARE_MATRIX_ACCESS_TOKEN was refused by the homeserver (or has no device)")
        same = saved.get("user_id") == who.user_id and saved.get("device_id") == who.device_id
        pickle_key = str(saved["pickle_key"]) if same and "pickle_key" in saved else random_key()
        session_file.write({"user_id": who.user_id, "device_id": who.device_id, "pickle_key": pickle_key})
        client = new_client(opts, directory, who.user_id, who.device_id, pickle_key)
        client.restore_login(who.user_id, who.device_id, opts.access_token)
        return client
    saved_user = str(saved.get("user_id") or "")
    same = saved_user == opts.user if opts.user.startswith("@") else saved_user.startswith(f"@{opts.user}:")
    if saved_user and not same and not opts.access_token:
        raise MatrixStartError(
            f"this data directory's Matrix session belongs to another account ({saved['user_id']}): use another "
            "PHARE_DATA_DIR, or move DATA_DIR/matrix away to start afresh"
        )
    if saved.get("access_token"):
        client = new_client(opts, directory, saved["user_id"], saved["device_id"], saved["pickle_key"])
        client.restore_login(saved["user_id"], saved["device_id"], saved["access_token"])
        who = await client.whoami()
        if not isinstance(who, WhoamiError):
            return client
        await client.close()
        if who.status_code != "M_UNKNOWN_TOKEN" or not opts.password:
            raise MatrixStartError(f"the saved Matrix session no longer works ({who.status_code})")
        if not who.soft_logout:
            # Signed out for good: the homeserver deleted the device and its keys. A new device it is
            # (cross-signed again with the same identity); the old crypto store stays unused.
            saved = {}
        log.warning("Matrix: the saved session was signed out; signing in again")
    if not opts.password:
        raise MatrixStartError("set PHARE_MATRIX_PASSWORD or PHARE_MATRIX_ACCESS_TOKEN")
    # Same device as after a soft logout: its keys, its cross-signature and its rooms' keys stay.
    pickle_key = str(saved.get("pickle_key") or random_key())
    client = new_client(opts, directory, opts.user, saved.get("device_id", ""), pickle_key)
    response = await client.login(opts.password, device_name=opts.device_name)
    if not isinstance(response, LoginResponse):
        await client.close()
        raise MatrixStartError(f"Matrix login failed ({getattr(response, 'status_code', 'error')})")
    session_file.write({"user_id": response.user_id, "device_id": response.device_id,
                        "access_token": response.access_token, "pickle_key": pickle_key})  # fmt: skip
    return client


class RawApi:
    """Client-server API calls nio does not offer (cross-signing, key queries, a sync nio must not read),
    as the signed-in device."""

    def __init__(self, homeserver: str, client: AsyncClient) -> None:
        self.homeserver = homeserver
        self.client = client
        self._http = aiohttp.ClientSession()

    async def call(self, method: str, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        headers = {"Authorization": f"Bearer {self.client.access_token}"}
        async with self._http.request(method, self.homeserver + path, json=body, headers=headers) as resp:
            data = await resp.json(content_type=None)
            return resp.status, data if isinstance(data, dict) else {}

    async def get(self, path: str, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
        headers = {"Authorization": f"Bearer {self.client.access_token}"}
        async with self._http.get(self.homeserver + path, params=params, headers=headers) as resp:
            data = await resp.json(content_type=None)
            return resp.status, data if isinstance(data, dict) else {}

    async def close(self) -> None:
        await self._http.close()


async def cross_sign(api: RawApi, options: MatrixOptions, directory: Path, cipher: Sealer) -> crosssign.Outcome | None:
    """Cross-sign the bot's device by its account; None when that failed (logged: Phare serves on)."""
    client = api.client
    try:
        return await crosssign.bootstrap(
            api.call,
            client.user_id,
            client.device_id,
            SecretFile(directory / "cross_signing.json", cipher),
            password=options.password,
            mode=options.cross_signing,
        )
    except crosssign.CrossSigningError as exc:
        # Not fatal: unencrypted rooms and clients that still share keys with unsigned devices work.
        log.error("Matrix: the bot's device could not be cross-signed: %s", exc)
    except NETWORK as exc:
        log.error("Matrix: cross-signing check failed (%s); it is tried again at the next start", type(exc).__name__)
    return None
