"""Operator tools for the Matrix account's keys: `python -m bot.transports.matrix <command>` (same environment as
`phare run`: PHARE_DATA_DIR, PHARE_SECRET_KEY…).

  cross-signing export FILE   write the cross-signing private keys, decrypted, to FILE (mode 0600)
  cross-signing import FILE   put keys exported earlier back into the data directory (encrypted)
  cross-signing show          print the public keys (to compare with what clients show)
  room-keys export FILE       the bot device's room keys, in Element's key-export format (asks a passphrase)

An export is a credential: whoever holds it can sign devices as the bot. Keep it offline.
"""

from __future__ import annotations

import asyncio
import getpass
import json
import os
import sys
from pathlib import Path

from bot.app import open_cipher
from bot.config import Settings
from bot.transports.matrix.crosssign import CrossSigningKeys, public_b64
from bot.transports.matrix.secrets import Sealer, SecretFile

USAGE = __doc__ or ""


def _cipher(settings: Settings) -> Sealer:
    return open_cipher(settings)


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)


def cross_signing(action: str, target: str | None, settings: Settings) -> int:
    path = settings.data_dir / "matrix" / "cross_signing.json"
    if action != "import" and not path.exists():
        print("no cross-signing keys in this data directory (Phare creates them at its first Matrix start)")
        return 1
    store = SecretFile(path, _cipher(settings))
    if action == "import":
        if target is None:
            return _usage()
        seeds = json.loads(Path(target).read_text(encoding="utf-8"))
        CrossSigningKeys.from_seeds(seeds)  # refuse anything that is not three valid keys
        store.write({k: seeds[k] for k in ("master", "self_signing", "user_signing")})
        print("imported; the next start signs the bot's device with these keys")
        return 0
    seeds = store.read()
    if seeds is None:
        print("no cross-signing keys in this data directory (Phare creates them at its first Matrix start)")
        return 1
    keys = CrossSigningKeys.from_seeds(seeds)
    if action == "show":
        print(f"master:       {public_b64(keys.master)}")
        print(f"self-signing: {public_b64(keys.self_signing)}")
        print(f"user-signing: {public_b64(keys.user_signing)}")
        return 0
    if action == "export" and target is not None:
        _write_private(Path(target), json.dumps(seeds, indent=1) + "\n")
        print(f"wrote {target} (mode 0600): keep it offline")
        return 0
    return _usage()


async def export_room_keys(target: str, settings: Settings) -> int:
    from nio import AsyncClient, AsyncClientConfig

    session = SecretFile(settings.data_dir / "matrix" / "session.json", _cipher(settings)).read()
    if not session or not settings.matrix_homeserver:
        print("no Matrix session in this data directory (or PHARE_MATRIX_HOMESERVER unset)")
        return 1
    passphrase = getpass.getpass("passphrase for the export: ")
    config = AsyncClientConfig(encryption_enabled=True, pickle_key=session["pickle_key"])
    store = str(settings.data_dir / "matrix" / "store")
    client = AsyncClient(settings.matrix_homeserver, session["user_id"], session["device_id"], store, config)
    client.restore_login(session["user_id"], session["device_id"], session.get("access_token", ""))
    try:
        await client.export_keys(target, passphrase)
    finally:
        await client.close()
    os.chmod(target, 0o600)
    print(f"wrote {target}: importable in Element (Settings → Security → Import E2E room keys)")
    return 0


def _usage() -> int:
    print(USAGE, file=sys.stderr)
    return 2


def main(argv: list[str]) -> int:
    settings = Settings()
    if len(argv) >= 2 and argv[0] == "cross-signing":
        return cross_signing(argv[1], argv[2] if len(argv) > 2 else None, settings)
    if argv[:2] == ["room-keys", "export"] and len(argv) == 3:
        return asyncio.run(export_room_keys(argv[2], settings))
    return _usage()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
