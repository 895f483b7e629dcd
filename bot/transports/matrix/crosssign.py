"""Cross-signing for the bot's own device, on top of matrix-nio (which does not implement it: its issue #229).

Since April 2026 Element shares room keys only with devices their owner has cross-signed, so an unsigned
bot could no longer read encrypted rooms. The bootstrap follows the spec:

1. three Ed25519 keys: master, self-signing and user-signing; the master key signs the other two;
2. `POST /keys/device_signing/upload` publishes them, behind user-interactive auth with the bot's
   password (a first upload may go through without it, MSC3967);
3. the self-signing key signs the device's keys, published by `POST /keys/signatures/upload`.

The private keys are kept encrypted in the data directory (see secrets.py), so a new device of the same
account (after a lost crypto store) is signed again without a new identity. Every signature is over
canonical JSON (sorted keys, no spaces, UTF-8) without `signatures` and `unsigned`.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from bot.transports.matrix.secrets import SecretFile

log = logging.getLogger(__name__)

# (method, path, body) → (HTTP status, JSON body); the caller adds the access token.
Call = Callable[[str, str, dict[str, Any]], Awaitable[tuple[int, dict[str, Any]]]]


def b64(data: bytes) -> str:
    """Unpadded standard base64, as Matrix writes keys and signatures."""
    return base64.b64encode(data).decode().rstrip("=")


def unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))


def canonical_json(value: dict[str, Any]) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def signable(value: dict[str, Any]) -> bytes:
    return canonical_json({k: v for k, v in value.items() if k not in ("signatures", "unsigned")})


def public_b64(key: Ed25519PrivateKey) -> str:
    return b64(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))


def sign(value: dict[str, Any], user_id: str, key: Ed25519PrivateKey) -> dict[str, Any]:
    """`value` with one more signature, by `key`, filed under ed25519:<its public key>."""
    signature = b64(key.sign(signable(value)))
    signatures = {u: dict(s) for u, s in value.get("signatures", {}).items()}
    signatures.setdefault(user_id, {})[f"ed25519:{public_b64(key)}"] = signature
    return {**value, "signatures": signatures}


def verify(value: dict[str, Any], user_id: str, public_key: str) -> bool:
    """Whether `value` carries a valid signature by the Ed25519 key `public_key` (unpadded base64)."""
    signature = value.get("signatures", {}).get(user_id, {}).get(f"ed25519:{public_key}")
    if not isinstance(signature, str):
        return False
    try:
        Ed25519PublicKey.from_public_bytes(unb64(public_key)).verify(unb64(signature), signable(value))
    except (InvalidSignature, ValueError):
        return False
    return True


def key_of(cross_signing_key: dict[str, Any]) -> str | None:
    """The public key of a cross-signing key object (`keys` holds exactly one ed25519 key)."""
    for key_id, value in cross_signing_key.get("keys", {}).items():
        if key_id.startswith("ed25519:") and isinstance(value, str):
            return value
    return None


@dataclass(frozen=True)
class CrossSigningKeys:
    master: Ed25519PrivateKey
    self_signing: Ed25519PrivateKey
    user_signing: Ed25519PrivateKey

    @classmethod
    def generate(cls) -> CrossSigningKeys:
        return cls(Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate())

    def seeds(self) -> dict[str, str]:
        from cryptography.hazmat.primitives.serialization import NoEncryption, PrivateFormat

        def raw(key: Ed25519PrivateKey) -> str:
            return b64(key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()))

        return {"master": raw(self.master), "self_signing": raw(self.self_signing),
                "user_signing": raw(self.user_signing)}  # fmt: skip

    @classmethod
    def from_seeds(cls, seeds: dict[str, Any]) -> CrossSigningKeys:
        def key(name: str) -> Ed25519PrivateKey:
            return Ed25519PrivateKey.from_private_bytes(unb64(str(seeds[name])))

        return cls(key("master"), key("self_signing"), key("user_signing"))

    def objects(self, user_id: str) -> dict[str, dict[str, Any]]:
        """The three public key objects, the self-signing and user-signing ones signed by the master."""

        def obj(key: Ed25519PrivateKey, usage: str) -> dict[str, Any]:
            public = public_b64(key)
            return {"user_id": user_id, "usage": [usage], "keys": {f"ed25519:{public}": public}}

        return {
            "master_key": obj(self.master, "master"),
            "self_signing_key": sign(obj(self.self_signing, "self_signing"), user_id, self.master),
            "user_signing_key": sign(obj(self.user_signing, "user_signing"), user_id, self.master),
        }


class CrossSigningError(RuntimeError):
    """Why the device could not be cross-signed, in words an operator can act on (never a secret)."""


@dataclass(frozen=True)
class Outcome:
    status: str  # "signed" (newly), "already" (was signed), "foreign" (account has keys Phare lacks), "off"
    master_key: str | None = None


def device_signed(device: dict[str, Any], user_id: str, master: dict[str, Any], self_signing: dict[str, Any]) -> bool:
    """The chain a client checks: master → self-signing key → device."""
    master_public, ssk_public = key_of(master), key_of(self_signing)
    if master_public is None or ssk_public is None:
        return False
    return verify(self_signing, user_id, master_public) and verify(device, user_id, ssk_public)


async def bootstrap(
    call: Call,
    user_id: str,
    device_id: str,
    store: SecretFile,
    *,
    password: str | None,
    mode: str = "auto",
) -> Outcome:
    """Make the bot's device cross-signed by its own account; idempotent (safe at every start).

    mode "auto": create keys when the account has none, reuse ours, leave foreign keys alone (they were
    made elsewhere: replacing them would break every other device's trust); "reset": replace foreign
    keys with new ones; "off": do nothing.
    """
    if mode == "off":
        return Outcome("off")
    status, body = await call("POST", "/_matrix/client/v3/keys/query", {"device_keys": {user_id: []}})
    if status != 200:
        raise CrossSigningError(f"keys/query failed with HTTP {status}")
    server_master = body.get("master_keys", {}).get(user_id)
    server_ssk = body.get("self_signing_keys", {}).get(user_id)
    device = body.get("device_keys", {}).get(user_id, {}).get(device_id)
    if device is None:
        raise CrossSigningError("the device's keys are not on the homeserver yet")
    saved = store.read()
    keys = CrossSigningKeys.from_seeds(saved) if saved else None
    ours = keys is not None and server_master is not None and key_of(server_master) == public_b64(keys.master)
    if server_master is not None and not ours:
        if mode != "reset":
            log.warning(
                "Matrix: the bot's account already has cross-signing keys that Phare does not hold; the "
                "device stays unsigned and Element will not share room keys with it. Restore "
                "matrix/cross_signing.json, or set PHARE_MATRIX_CROSS_SIGNING=reset to replace them."
            )
            return Outcome("foreign", key_of(server_master))
        keys = None
    if keys is None or server_master is None or not ours:
        keys = keys or CrossSigningKeys.generate()
        store.write(keys.seeds())  # before the upload: an uploaded identity must never be lost
        await _upload_identity(call, user_id, keys, password)
        server_master = keys.objects(user_id)["master_key"]
        server_ssk = keys.objects(user_id)["self_signing_key"]
        log.info("Matrix: published the bot's cross-signing keys")
    assert server_ssk is not None
    if device_signed(device, user_id, server_master, server_ssk):
        return Outcome("already", key_of(server_master))
    signed = sign(device, user_id, keys.self_signing)
    status, body = await call("POST", "/_matrix/client/v3/keys/signatures/upload", {user_id: {device_id: signed}})
    if status != 200 or body.get("failures"):
        failures = sorted(body.get("failures", {}))
        raise CrossSigningError(f"signature upload refused (HTTP {status}, failures: {failures})")
    log.info("Matrix: the bot's device is cross-signed by its account")
    return Outcome("signed", key_of(server_master))


async def _upload_identity(call: Call, user_id: str, keys: CrossSigningKeys, password: str | None) -> None:
    payload: dict[str, Any] = keys.objects(user_id)
    path = "/_matrix/client/v3/keys/device_signing/upload"
    status, body = await call("POST", path, payload)
    if status == 200:
        return  # a first upload without auth (MSC3967)
    if status != 401 or "session" not in body:
        raise CrossSigningError(f"device_signing/upload failed with HTTP {status} {body.get('errcode', '')}")
    if password is None:
        raise CrossSigningError(
            "publishing cross-signing keys needs the account's password (user-interactive auth): set "
            "PHARE_MATRIX_PASSWORD for one start"
        )
    payload["auth"] = {
        "type": "m.login.password",
        "identifier": {"type": "m.id.user", "user": user_id},
        "password": password,
        "session": body["session"],
    }
    status, body = await call("POST", path, payload)
    if status != 200:
        raise CrossSigningError(f"device_signing/upload refused (HTTP {status} {body.get('errcode', '')})")
